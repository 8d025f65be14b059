import type { Lease, LeaseChange } from '../leases/index.ts';
import { leaseView, type DhcpLease } from './lease-view.ts';

/** What the map reads: the engine's index (`DhcpServerEngine.lease` and `leases`). */
export interface LeaseSource {
  lease(address: string): Lease | undefined;
  leases(): Iterable<Lease>;
}

const live = (l: Lease | null): boolean => l !== null && l.state !== 'expired-reclaimed';

/**
 * `server.leases`: a read-only map over the engine's compact lease index, not a second copy of every lease.
 * A million leases cost the engine's columns once; an entry is built when it is read. The size (live
 * leases: not reclaimed) is counted the first time it is asked for (a walk over every lease, which a server
 * that never asks does not pay at start) and then kept by `apply` from each store change, which must run
 * after the engine has applied the same change.
 */
export class EngineLeaseMap implements ReadonlyMap<string, DhcpLease> {
  readonly #source: LeaseSource;
  #size: number | undefined;

  constructor(source: LeaseSource) {
    this.#source = source;
  }

  apply(change: Pick<LeaseChange, 'kind' | 'lease' | 'previous'>): void {
    if (this.#size === undefined) return;
    const after = change.kind === 'removed' ? null : change.lease;
    this.#size += (live(after) ? 1 : 0) - (live(change.previous) ? 1 : 0);
  }

  get size(): number {
    if (this.#size === undefined) {
      let n = 0;
      for (const l of this.#source.leases()) if (live(l)) n++;
      this.#size = n;
    }
    return this.#size;
  }

  get(ip: string): DhcpLease | undefined {
    const l = this.#source.lease(ip);
    return l === undefined ? undefined : (leaseView(l) ?? undefined);
  }

  has(ip: string): boolean {
    return this.get(ip) !== undefined;
  }

  *entries(): MapIterator<[string, DhcpLease]> {
    for (const l of this.#source.leases()) {
      const v = leaseView(l);
      if (v !== null) yield [v.ip, v];
    }
  }

  *keys(): MapIterator<string> {
    for (const [ip] of this.entries()) yield ip;
  }

  *values(): MapIterator<DhcpLease> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, DhcpLease]> {
    return this.entries();
  }

  forEach(
    fn: (value: DhcpLease, key: string, map: ReadonlyMap<string, DhcpLease>) => void,
    thisArg?: unknown,
  ): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }
}
