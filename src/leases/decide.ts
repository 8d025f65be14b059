import { withoutDnsFlags, type Lease } from './lease.ts';
import type { CommitMode, CommitResult } from './store.ts';
import { claimable } from './store.ts';

export type CommitDecision =
  | { readonly write: true; readonly kind: 'added' | 'updated'; readonly previous: Lease | null }
  | { readonly write: false; readonly result: CommitResult };

/** What a commit of `lease` in `mode` does given the lease now stored at its address. Shared by every backend. */
export function decideCommit(
  existing: Lease | null,
  lease: Lease,
  mode: CommitMode,
  now: number,
  matchClientId = true,
): CommitDecision {
  if (existing === null) {
    if (mode === 'update') return { write: false, result: { ok: false, reason: 'missing' } };
    return { write: true, kind: 'added', previous: null };
  }
  if (mode === 'insert') return { write: false, result: { ok: false, reason: 'exists', holder: existing } };
  if (mode === 'claim' && !claimable(existing, lease, now, matchClientId)) {
    return { write: false, result: { ok: false, reason: 'conflict', holder: existing } };
  }
  return { write: true, kind: 'updated', previous: existing };
}

/** Kea `Lease4::decline`: identity and hostname cleared, probation period as lifetime. */
export function declinedLease(lease: Lease, probationSeconds: number, now: number): Lease {
  return Object.freeze({
    ...withoutDnsFlags(lease),
    hwAddress: '',
    clientId: null,
    hostname: null,
    cltt: now,
    validLifetime: probationSeconds,
    expiresAt: now + probationSeconds * 1000,
    state: 'declined',
    userContext: lease.userContext,
  });
}

/** Kea's reclamation keeps the client identity (a returning client gets its address back) and drops the hostname. */
export function reclaimedLease(lease: Lease): Lease {
  return Object.freeze({ ...withoutDnsFlags(lease), hostname: null, state: 'expired-reclaimed' });
}
