import type { LeaseStore } from '../leases/index.ts';
import type { Lease } from '../leases/index.ts';
import type { DhcpServerEngine } from './engine.ts';
import type { EngineEvent, EngineOutput, LeaseWrite, OutgoingReply } from './types.ts';

/** The three store calls the engine's writes map to. */
export type LeaseWriter = Pick<LeaseStore, 'commit' | 'markDeclined' | 'reclaim'>;

/**
 * Performs one commit's writes in order, stopping at the first refusal. Resolves with undefined when all
 * are durable, else with what the store holds at the refused address (null when it did not say).
 */
export async function performWrites(
  store: LeaseWriter,
  writes: readonly LeaseWrite[],
  now: number,
): Promise<Lease | null | undefined> {
  for (const w of writes) {
    if (w.op === 'claim') {
      const r = await store.commit(w.lease, { mode: 'claim', now, matchClientId: w.matchClientId });
      if (!r.ok) return 'holder' in r ? r.holder : null;
    } else if (w.op === 'decline') {
      if ((await store.markDeclined(w.address, w.probationSeconds, { now })) === null) return null;
    } else {
      // A lease renewed meanwhile (by another server) is not reclaimed; the store's callback says so.
      await store.reclaim(w.address, { remove: w.remove, now });
    }
  }
  return undefined;
}

/**
 * The commit loop of docs/server.md: takes `handle`'s output, commits what it asks for, reports back,
 * and resolves with every reply (to send) and event (to log) of the exchange. Replies never precede the
 * commit they depend on.
 */
export async function settle(
  engine: DhcpServerEngine,
  first: EngineOutput,
  store: LeaseWriter,
  now: number,
): Promise<{ replies: OutgoingReply[]; events: EngineEvent[] }> {
  const replies: OutgoingReply[] = [];
  const events: EngineEvent[] = [];
  for (let out: EngineOutput | undefined = first; out;) {
    replies.push(...out.replies);
    events.push(...out.events);
    const commit: EngineOutput['commit'] = out.commit;
    if (!commit) break;
    const refused = await performWrites(store, commit.writes, now);
    out =
      refused === undefined
        ? engine.commitSucceeded(commit.token, now)
        : engine.commitFailed(commit.token, now, refused);
  }
  return { replies, events };
}

/**
 * The expiry run: `engine.reclaim`, then the store's reclaim for each write. When the store declines one
 * (another server renewed the lease meanwhile), the engine is told what the store holds, so its index
 * never believes in a reclaim that did not happen. Resolves with how many leases the store reclaimed.
 */
export async function reclaimDue(
  engine: DhcpServerEngine,
  store: LeaseWriter & Pick<LeaseStore, 'get'>,
  now: number,
  options: { readonly remove: boolean; readonly limit?: number },
): Promise<number> {
  let done = 0;
  for (const w of engine.reclaim(now, options)) {
    if (w.op !== 'reclaim') continue;
    if ((await store.reclaim(w.address, { remove: w.remove, now })) !== null) {
      done++;
      continue;
    }
    const current = await store.get(w.address);
    if (current) engine.applyLeaseChange({ kind: 'updated', lease: current });
  }
  return done;
}
