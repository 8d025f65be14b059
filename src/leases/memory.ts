import { ChangeHub } from './changes.ts';
import { decideCommit, declinedLease, reclaimedLease } from './decide.ts';
import type { Lease } from './lease.ts';
import { ipv4ToNumber } from './address.ts';
import { sameHostname } from './hostname.ts';
import * as args from './arguments.ts';
import type { CheckedCommit } from './arguments.ts';
import { foldStateCounts, subnetSet, type StateCount } from './query.ts';
import type {
  ClientQuery,
  CommitResult,
  LeaseChange,
  LeaseStore,
  SubnetFilter,
  SubnetLeaseStats,
} from './store.ts';
import { LeaseStoreBase } from './store-base.ts';

export interface MemoryLeaseStoreOptions {
  /** The clock used when a call passes no `now`. */
  readonly clock?: () => number;
}

/**
 * Leases in process memory only: for tests, embedding (the library API over userspace stacks) and as the reference
 * implementation of the conformance suite. Writes are "durable" as soon as they are applied.
 */
export class MemoryLeaseStore extends LeaseStoreBase implements LeaseStore {
  readonly backend = 'memory';
  readonly #byAddress = new Map<number, Lease>();
  readonly #byClientId = new Map<string, Set<number>>();
  readonly #byHwAddress = new Map<string, Set<number>>();

  constructor(options: MemoryLeaseStoreOptions = {}) {
    super(new ChangeHub(), options.clock ?? Date.now);
  }

  protected async commitChecked(commit: CheckedCommit): Promise<CommitResult> {
    const { lease, key, now, mode, matchClientId } = commit;
    const decision = decideCommit(this.#byAddress.get(key) ?? null, lease, mode, now, matchClientId);
    if (!decision.write) return decision.result;
    this.#put(key, lease);
    this.#emit({ kind: decision.kind, lease, previous: decision.previous, origin: 'local' });
    return { ok: true, kind: decision.kind, lease, previous: decision.previous };
  }

  async get(address: string): Promise<Lease | null> {
    this.assertOpen();
    return this.#byAddress.get(ipv4ToNumber(address)) ?? null;
  }

  async findByClient(query: ClientQuery): Promise<Lease | null> {
    this.assertOpen();
    const hwAddress = query.hwAddress.toLowerCase();
    if (query.clientId !== null) {
      const byId = this.#latest(
        this.#byClientId.get(query.clientId.toLowerCase()),
        (l) => l.subnetId === query.subnetId,
      );
      if (byId !== null) return byId;
    }
    return this.#latest(
      this.#byHwAddress.get(hwAddress),
      (l) => l.subnetId === query.subnetId && l.clientId === null,
    );
  }

  async getByHwAddress(hwAddress: string, subnetId?: number): Promise<Lease[]> {
    this.assertOpen();
    return this.#collect(this.#byHwAddress.get(hwAddress.toLowerCase()), subnetId);
  }

  async getByClientId(clientId: string, subnetId?: number): Promise<Lease[]> {
    this.assertOpen();
    return this.#collect(this.#byClientId.get(clientId.toLowerCase()), subnetId);
  }

  async getByHostname(hostname: string): Promise<Lease[]> {
    this.assertOpen();
    return this.#sorted().filter((l) => l.hostname !== null && sameHostname(l.hostname, hostname));
  }

  async getAll(filter?: SubnetFilter): Promise<Lease[]> {
    this.assertOpen();
    const subnets = subnetSet(filter);
    const all = this.#sorted();
    return subnets === null ? all : all.filter((l) => subnets.has(l.subnetId));
  }

  async getPage(from: string, limit: number): Promise<Lease[]> {
    this.assertOpen();
    const page = args.page(from, limit);
    const keys = [...this.#byAddress.keys()]
      .filter((k) => k >= page.lowest)
      .sort((a, b) => a - b)
      .slice(0, limit);
    return keys.map((k) => this.#byAddress.get(k) as Lease);
  }

  async listExpired(now: number, limit?: number): Promise<Lease[]> {
    this.assertOpen();
    args.expired(now, limit);
    const expired = [...this.#byAddress.entries()]
      .filter(([, l]) => l.expiresAt <= now && l.state !== 'expired-reclaimed')
      .sort(([ka, a], [kb, b]) => a.expiresAt - b.expiresAt || ka - kb)
      .map(([, l]) => l);
    return limit === undefined ? expired : expired.slice(0, limit);
  }

  protected async declineAt(key: number, probationSeconds: number, now: number): Promise<Lease | null> {
    const previous = this.#byAddress.get(key);
    if (previous === undefined) return null;
    const lease = declinedLease(previous, probationSeconds, now);
    this.#put(key, lease);
    this.#emit({ kind: 'updated', lease, previous, origin: 'local' });
    return lease;
  }

  protected async reclaimAt(key: number, remove: boolean, now: number): Promise<Lease | null> {
    const previous = this.#byAddress.get(key);
    if (previous === undefined || previous.state === 'expired-reclaimed' || previous.expiresAt > now)
      return null;
    if (remove) {
      this.#delete(key);
      this.#emit({ kind: 'removed', lease: previous, previous, origin: 'local' });
    } else {
      const lease = reclaimedLease(previous);
      this.#put(key, lease);
      this.#emit({ kind: 'updated', lease, previous, origin: 'local' });
    }
    return previous;
  }

  async removeReclaimed(expiredBefore: number, limit: number): Promise<Lease[]> {
    this.assertOpen();
    args.reclaimedBefore(expiredBefore, limit);
    const due = [...this.#byAddress.entries()]
      .filter(([, l]) => l.state === 'expired-reclaimed' && l.expiresAt < expiredBefore)
      .sort(([ka, a], [kb, b]) => a.expiresAt - b.expiresAt || ka - kb)
      .slice(0, limit);
    for (const [key, lease] of due) {
      this.#delete(key);
      this.#emit({ kind: 'removed', lease, previous: lease, origin: 'local' });
    }
    return due.map(([, l]) => l);
  }

  async remove(address: string): Promise<Lease | null> {
    this.assertOpen();
    const key = ipv4ToNumber(address);
    const previous = this.#byAddress.get(key);
    if (previous === undefined) return null;
    this.#delete(key);
    this.#emit({ kind: 'removed', lease: previous, previous, origin: 'local' });
    return previous;
  }

  async wipe(filter?: SubnetFilter): Promise<number> {
    this.assertOpen();
    const subnets = subnetSet(filter);
    let removed = 0;
    for (const [key, lease] of [...this.#byAddress.entries()].sort(([a], [b]) => a - b)) {
      if (subnets !== null && !subnets.has(lease.subnetId)) continue;
      this.#delete(key);
      removed++;
      this.#emit({ kind: 'removed', lease, previous: lease, origin: 'local' });
    }
    return removed;
  }

  async stats(filter?: SubnetFilter): Promise<SubnetLeaseStats[]> {
    this.assertOpen();
    const subnets = subnetSet(filter);
    const counts: StateCount[] = [];
    for (const lease of this.#byAddress.values()) {
      if (subnets !== null && !subnets.has(lease.subnetId)) continue;
      counts.push({ subnetId: lease.subnetId, state: lease.state, n: 1 });
    }
    return foldStateCounts(counts);
  }

  protected async release(): Promise<void> {}

  #emit(change: LeaseChange): void {
    this.changes.emit(change);
  }

  #put(key: number, lease: Lease): void {
    const previous = this.#byAddress.get(key);
    if (previous !== undefined) this.#unindex(key, previous);
    this.#byAddress.set(key, lease);
    if (lease.clientId !== null) addTo(this.#byClientId, lease.clientId, key);
    if (lease.hwAddress !== '') addTo(this.#byHwAddress, lease.hwAddress, key);
  }

  #delete(key: number): void {
    const previous = this.#byAddress.get(key);
    if (previous === undefined) return;
    this.#unindex(key, previous);
    this.#byAddress.delete(key);
  }

  #unindex(key: number, lease: Lease): void {
    if (lease.clientId !== null) removeFrom(this.#byClientId, lease.clientId, key);
    if (lease.hwAddress !== '') removeFrom(this.#byHwAddress, lease.hwAddress, key);
  }

  #sorted(): Lease[] {
    return [...this.#byAddress.entries()].sort(([a], [b]) => a - b).map(([, l]) => l);
  }

  #collect(keys: Set<number> | undefined, subnetId: number | undefined): Lease[] {
    if (keys === undefined) return [];
    return [...keys]
      .sort((a, b) => a - b)
      .map((k) => this.#byAddress.get(k) as Lease)
      .filter((l) => subnetId === undefined || l.subnetId === subnetId);
  }

  #latest(keys: Set<number> | undefined, accept: (lease: Lease) => boolean): Lease | null {
    let best: Lease | null = null;
    let bestKey = 0;
    for (const key of keys ?? []) {
      const lease = this.#byAddress.get(key) as Lease;
      if (!accept(lease)) continue;
      // Most recent cltt wins; ties go to the lowest address so every backend answers alike.
      if (best === null || lease.cltt > best.cltt || (lease.cltt === best.cltt && key < bestKey)) {
        best = lease;
        bestKey = key;
      }
    }
    return best;
  }
}

function addTo(index: Map<string, Set<number>>, value: string, key: number): void {
  let keys = index.get(value);
  if (keys === undefined) index.set(value, (keys = new Set()));
  keys.add(key);
}

function removeFrom(index: Map<string, Set<number>>, value: string, key: number): void {
  const keys = index.get(value);
  if (keys === undefined) return;
  keys.delete(key);
  if (keys.size === 0) index.delete(value);
}
