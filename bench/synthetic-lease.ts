import type { Lease } from '../src/leases/lease.ts';

/**
 * The `i`th of a run of distinct leases (address 10.x.y.z and MAC 02:00:00:x:y:z from `i`'s low 24 bits),
 * bound at `cltt` for an hour; `overrides` sets what a bench varies (subnet, hostname, user context).
 */
export function syntheticLease(i: number, cltt: number, overrides: Partial<Lease> = {}): Lease {
  const b = [(i >> 16) & 255, (i >> 8) & 255, i & 255];
  const hex = b.map((x) => x.toString(16).padStart(2, '0')).join(':');
  return {
    address: `10.${b[0]}.${b[1]}.${b[2]}`,
    hwAddress: `02:00:00:${hex}`,
    clientId: `01:02:00:00:${hex}`,
    subnetId: 1,
    validLifetime: 3600,
    cltt,
    expiresAt: cltt + 3_600_000,
    hostname: null,
    state: 'default',
    userContext: null,
    ...overrides,
  };
}
