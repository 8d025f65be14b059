import { leaseToKea } from '../control/lease-json.ts';
import type { JsonObject } from '../control/json.ts';
import type { Lease } from '../leases/lease.ts';

/** One lease update as Kea's HA sends it to a peer. */
export interface LeaseUpdate {
  readonly command: 'lease4-update' | 'lease4-del';
  readonly arguments: JsonObject;
}

/**
 * Kea's CommandCreator: the lease in `lease4` JSON with `expire` (cltt + valid-lft) instead of `cltt`, and
 * `force-create` for an update, so the peer adds a lease it does not have yet.
 */
function leaseArguments(lease: Lease): Record<string, unknown> {
  const { cltt, ...json } = leaseToKea(lease);
  return { ...json, expire: (cltt as number) + lease.validLifetime };
}

export function leaseUpdate(lease: Lease): LeaseUpdate {
  return {
    command: 'lease4-update',
    arguments: { ...leaseArguments(lease), 'force-create': true } as JsonObject,
  };
}

export function leaseDelete(lease: Lease): LeaseUpdate {
  return { command: 'lease4-del', arguments: leaseArguments(lease) as JsonObject };
}
