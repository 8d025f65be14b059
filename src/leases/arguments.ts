import { ipv4ToNumber } from './address.ts';
import type { Lease } from './lease.ts';
import { checkLimit, checkNow, checkSeconds, pageStart } from './query.ts';
import type { CommitMode, CommitOptions, ReclaimOptions, TimeOptions } from './store.ts';
import { normalizeLease } from './validate.ts';

/*
 * The argument checks of the LeaseStore methods, made once for every backend (memory, SQLite, PostgreSQL) so
 * that they refuse the same calls with the same errors, in the same order, before any work.
 */

/** `commit`'s arguments, checked and with their defaults. */
export interface CheckedCommit {
  readonly lease: Lease;
  /** The lease's address as a number (the stores' key). */
  readonly key: number;
  readonly now: number;
  readonly mode: CommitMode;
  readonly matchClientId: boolean;
}

export function commit(input: Lease, options: CommitOptions, clock: () => number): CheckedCommit {
  const lease = normalizeLease(input);
  const now = checkNow(options.now ?? clock());
  return {
    lease,
    key: ipv4ToNumber(lease.address),
    now,
    mode: options.mode ?? 'claim',
    matchClientId: options.matchClientId ?? true,
  };
}

/** `getPage`'s arguments: the lowest address to return and the page size. */
export function page(from: string, limit: number): { readonly lowest: number; readonly limit: number } {
  const start = pageStart(from);
  checkLimit(limit);
  return { lowest: start.inclusive ? start.value : start.value + 1, limit };
}

export function expired(now: number, limit: number | undefined): void {
  checkNow(now);
  if (limit !== undefined) checkLimit(limit);
}

/** `removeReclaimed`'s arguments: a time and a positive bound. */
export function reclaimedBefore(expiredBefore: number, limit: number): void {
  checkNow(expiredBefore);
  checkLimit(limit);
}

/** `markDeclined`'s arguments: the address's key and the time. */
export function decline(
  address: string,
  probationSeconds: number,
  options: TimeOptions,
  clock: () => number,
): { readonly key: number; readonly now: number } {
  const key = ipv4ToNumber(address);
  checkSeconds(probationSeconds, 'probation period');
  return { key, now: checkNow(options.now ?? clock()) };
}

/** `reclaim`'s arguments: the address's key and the time. */
export function reclaim(
  address: string,
  options: ReclaimOptions,
  clock: () => number,
): { readonly key: number; readonly now: number } {
  const key = ipv4ToNumber(address);
  return { key, now: checkNow(options.now ?? clock()) };
}
