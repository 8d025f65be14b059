import type { Lease } from '../../src/leases/lease.ts';

/**
 * A base time close to the real clock: stores use their own clock (Date.now) when a call passes no `now`, so
 * leases made at T0 with the default hour-long lifetime are unexpired for the whole test run.
 */
export const T0 = Math.floor(Date.now() / 1000) * 1000;

/** A valid lease with overridable fields; `expiresAt` follows cltt and validLifetime unless given. */
export function makeLease(patch: Partial<Lease> & { address: string }): Lease {
  const cltt = patch.cltt ?? T0;
  const validLifetime = patch.validLifetime ?? 3600;
  return {
    hwAddress: 'aa:bb:cc:dd:ee:01',
    clientId: '01:aa:bb:cc:dd:ee:01',
    subnetId: 1,
    hostname: null,
    state: 'default',
    userContext: null,
    ...patch,
    cltt,
    validLifetime,
    expiresAt: patch.expiresAt ?? cltt + validLifetime * 1000,
  };
}
