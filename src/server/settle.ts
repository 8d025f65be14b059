import type { LeaseStore } from '../leases/index.ts';
import type { CommitResult, Lease } from '../leases/index.ts';
import type { DhcpServerEngine } from './engine.ts';
import type { EngineEvent, EngineOutput, LeaseWrite, OutgoingReply } from './types.ts';

/** The three store calls the engine's writes map to. */
export type LeaseWriter = Pick<LeaseStore, 'commit' | 'markDeclined' | 'reclaim'>;

/**
 * Performs one commit's writes in order, stopping at the first refusal. Resolves with undefined when all
 * are durable, else with what the store holds at the refused address (null when it did not say).
 */
export function performWrites(
  store: LeaseWriter,
  writes: readonly LeaseWrite[],
  now: number,
): Promise<CommitOutcome> {
  const only = writes.length === 1 ? writes[0]! : undefined;
  if (only?.op !== 'claim') return performInTurn(store, writes, now);
  // A DORA's commit, one claim: a `then` on the store's promise, without an async frame around it.
  try {
    return store
      .commit(only.lease, { mode: 'claim', now, matchClientId: only.matchClientId })
      .then(claimOutcome);
  } catch (err) {
    // As from an async function: a store that throws rejects the commit, it does not throw at the caller.
    return Promise.reject(err);
  }
}

function claimOutcome(r: CommitResult): CommitOutcome {
  return r.ok ? undefined : 'holder' in r ? r.holder : null;
}

async function performInTurn(
  store: LeaseWriter,
  writes: readonly LeaseWrite[],
  now: number,
): Promise<CommitOutcome> {
  for (const w of writes) {
    if (w.op === 'claim') {
      const r = await store.commit(w.lease, { mode: 'claim', now, matchClientId: w.matchClientId });
      if (!r.ok) return claimOutcome(r);
    } else if (w.op === 'decline') {
      if ((await store.markDeclined(w.address, w.probationSeconds, { now })) === null) return null;
    } else {
      // A lease renewed meanwhile (by another server) is not reclaimed; the store's callback says so.
      await store.reclaim(w.address, { remove: w.remove, now });
    }
  }
  return undefined;
}

/** What a commit's writes came to: undefined when all are durable, else what the store holds at the refused
 * address (null when it did not say). */
export type CommitOutcome = Lease | null | undefined;

/** Makes one commit's writes durable (`performWrites` against a store, plus whatever the caller adds). */
export type CommitWriter = (writes: readonly LeaseWrite[], now: number) => Promise<CommitOutcome>;

/** Where the commit loop reports an exchange's progress. The same object may serve every exchange. */
export interface CommitLoopSink {
  /** Each output in order: send its replies, log its events. Called only once the commit before it is durable. */
  emit(out: EngineOutput): void;
  /** The engine was called again (its next deadline may have moved). */
  touched(): void;
  /** The writer resolved: the store answered (a refusal is an answer too). */
  stored(): void;
  /** The writer rejected: the token was answered with `commitAborted`; nothing more of this exchange is sent. */
  storeFailed(error: unknown): void;
  /** `emit` or the engine threw; the loop goes on where it can. */
  failed(error: unknown): void;
  /** The exchange is over. Called exactly once. */
  finished(): void;
}

/**
 * The commit loop of docs/server.md, the one place that turns an engine's decision into store writes: emits
 * `out`, makes its commit durable through `write`, feeds the outcome back (`commitSucceeded`, `commitFailed`,
 * or `commitAborted` when the writer rejects) and goes on with the engine's answer until an output needs no
 * commit. A reply is emitted only after the commit it depends on resolved: no ACK before durability.
 * Plain `.then` callbacks rather than an async function: the server runs this for every lease it grants,
 * and each async frame costs promises the hot path does not need.
 */
export function runCommitLoop(
  engine: DhcpServerEngine,
  out: EngineOutput,
  write: CommitWriter,
  now: number,
  sink: CommitLoopSink,
): void {
  try {
    sink.emit(out);
  } catch (err) {
    sink.failed(err);
  }
  const commit = out.commit;
  if (commit === null) {
    sink.finished();
    return;
  }
  write(commit.writes, now).then(
    (refused: CommitOutcome) => {
      sink.stored();
      let next: EngineOutput;
      try {
        next =
          refused === undefined
            ? engine.commitSucceeded(commit.token, now)
            : engine.commitFailed(commit.token, now, refused);
      } catch (err) {
        sink.failed(err);
        sink.finished();
        return;
      }
      sink.touched();
      runCommitLoop(engine, next, write, now, sink);
    },
    (err: unknown) => {
      // No durability, no ACK: abort the token (no NAK either), the client will retry.
      sink.storeFailed(err);
      try {
        engine.commitAborted(commit.token, now);
      } catch (abortErr) {
        sink.failed(abortErr);
      }
      sink.touched();
      sink.finished();
    },
  );
}

/**
 * `runCommitLoop` against a store, collecting the exchange: resolves with every reply (to send) and event (to
 * log), or rejects with the store's or the engine's error (the token aborted, as the server does).
 */
export function settle(
  engine: DhcpServerEngine,
  first: EngineOutput,
  store: LeaseWriter,
  now: number,
): Promise<{ replies: OutgoingReply[]; events: EngineEvent[] }> {
  return new Promise((resolve, reject) => {
    const replies: OutgoingReply[] = [];
    const events: EngineEvent[] = [];
    let failure: { readonly error: unknown } | undefined;
    runCommitLoop(engine, first, (writes, at) => performWrites(store, writes, at), now, {
      emit: (out) => {
        replies.push(...out.replies);
        events.push(...out.events);
      },
      touched: () => undefined,
      stored: () => undefined,
      storeFailed: (error) => (failure ??= { error }),
      failed: (error) => (failure ??= { error }),
      finished: () => (failure === undefined ? resolve({ replies, events }) : reject(failure.error)),
    });
  });
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
