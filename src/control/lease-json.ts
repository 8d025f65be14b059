import { LEASE_STATE_CODES, type Lease } from '../leases/lease.ts';
import type { JsonObject, JsonValue } from './json.ts';

/**
 * A lease in Kea's `lease4` JSON, keys in Kea's order. `fqdn-fwd`/`fqdn-rev` say whether the server updates
 * A and PTR for it (docs/ddns.md); `client-id` and `user-context` are left out when absent, as Kea does.
 */
export function leaseToKea(lease: Lease): JsonObject {
  return {
    ...(lease.clientId === null ? {} : { 'client-id': lease.clientId }),
    cltt: Math.floor(lease.cltt / 1000),
    'fqdn-fwd': lease.fqdnFwd === true,
    'fqdn-rev': lease.fqdnRev === true,
    hostname: lease.hostname ?? '',
    'hw-address': lease.hwAddress,
    'ip-address': lease.address,
    state: LEASE_STATE_CODES[lease.state],
    'subnet-id': lease.subnetId,
    ...(lease.userContext === null ? {} : { 'user-context': lease.userContext as JsonValue }),
    'valid-lft': lease.validLifetime,
  };
}

/** `{"leases": [...]}` answers: Kea's text counts them, result 3 when there are none. */
export function leaseListText(count: number): string {
  return `${count} IPv4 lease(s) found.`;
}
