import { LeaseQueryError } from './errors.ts';
import { parseIpv4 } from './address.ts';
import type { LeaseState } from './lease.ts';
import type { SubnetFilter, SubnetLeaseStats } from './store.ts';
import { stateFromCode } from './validate.ts';

/** Lower bound of a page: `'start'` includes 0.0.0.0, an address excludes itself (Kea `lease4-get-page`). */
export function pageStart(from: string): { readonly value: number; readonly inclusive: boolean } {
  if (from === 'start') return { value: 0, inclusive: true };
  const value = parseIpv4(from);
  if (value === null)
    throw new LeaseQueryError(`page "from" must be "start" or an IPv4 address: ${JSON.stringify(from)}`);
  return { value, inclusive: false };
}

export function checkLimit(limit: number, what = 'limit'): number {
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new LeaseQueryError(`${what} must be a positive integer: ${limit}`);
  return limit;
}

export function checkSeconds(seconds: number, what: string): number {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 0xffffffff) {
    throw new LeaseQueryError(`${what} must be an integer number of seconds 0..4294967295: ${seconds}`);
  }
  return seconds;
}

export function checkNow(now: number): number {
  if (!Number.isSafeInteger(now))
    throw new LeaseQueryError(`now must be integer milliseconds since the epoch: ${now}`);
  return now;
}

/** The subnet ids of a filter as a set, or null for "every subnet". */
export function subnetSet(filter: SubnetFilter | undefined): ReadonlySet<number> | null {
  if (filter?.subnetIds === undefined) return null;
  for (const id of filter.subnetIds) {
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new LeaseQueryError(`bad subnet id: ${id}`);
  }
  return new Set(filter.subnetIds);
}

/** Empty per-state counters for stats. */
export function emptyStateCounts(): { default: number; declined: number; 'expired-reclaimed': number } {
  return { default: 0, declined: 0, 'expired-reclaimed': 0 };
}

/** One count of leases in a subnet and state, as a backend's GROUP BY (or a scan) yields it. */
export interface StateCount {
  readonly subnetId: number;
  readonly state: LeaseState;
  readonly n: number;
}

/** Folds per-(subnet, state) counts into `stats()`'s answer, ordered by subnet id, for every backend. */
export function foldStateCounts(counts: Iterable<StateCount>): SubnetLeaseStats[] {
  const bySubnet = new Map<number, Record<LeaseState, number>>();
  for (const { subnetId, state, n } of counts) {
    let entry = bySubnet.get(subnetId);
    if (entry === undefined) bySubnet.set(subnetId, (entry = emptyStateCounts()));
    entry[state] += n;
  }
  return [...bySubnet.entries()]
    .sort(([a], [b]) => a - b)
    .map(([subnetId, byState]) => ({
      subnetId,
      total: byState.default + byState.declined + byState['expired-reclaimed'],
      byState,
    }));
}

/** A `SELECT subnet_id, state, count(*) AS n ... GROUP BY subnet_id, state` row of the SQL stores. */
export interface StateCountRow {
  readonly subnet_id: number;
  readonly state: number;
  readonly n: number | string;
}

/** `stats()`'s answer from the SQL stores' rows. */
export function foldStateRows(rows: readonly StateCountRow[]): SubnetLeaseStats[] {
  const counts: StateCount[] = [];
  for (const row of rows) {
    const state = stateFromCode(row.state);
    // Rows with an unknown state are corrupt; they are reported by the reads that meet them, not counted here.
    if (state !== null) counts.push({ subnetId: row.subnet_id, state, n: Number(row.n) });
  }
  return foldStateCounts(counts);
}
