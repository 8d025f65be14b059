import type { Lease } from '../../leases/index.ts';
import type { ClientJson, ClientState } from './protocol.ts';

/** `aa:bb:cc:dd:ee:ff` -> `AA-BB-CC-DD-EE-FF`, the seed's spelling. */
export function seedMac(hwAddress: string): string {
  return hwAddress.toUpperCase().replaceAll(':', '-');
}

/** The lease state in the seed's words; see `ClientState` for the mapping. */
export function clientState(lease: Lease, now: number): ClientState {
  switch (lease.state) {
    case 'declined':
      return 'DECLINED';
    case 'expired-reclaimed':
      // The engine writes a RELEASE as an expired-reclaimed lease of lifetime 0; a reclaimed expiry keeps its lifetime.
      return lease.validLifetime === 0 ? 'RELEASED' : 'EXPIRED';
    case 'default':
      return lease.expiresAt > now ? 'BOUND' : 'EXPIRED';
  }
}

/** One lease as an entry of the `clients` event; `server` is the server identifier of its subnet. */
export function toClientJson(lease: Lease, now: number, server: string): ClientJson {
  return {
    address: lease.address,
    leasePeriod: lease.validLifetime,
    server,
    state: clientState(lease, now),
    bindTime: new Date(lease.cltt).toISOString(),
    mac: seedMac(lease.hwAddress),
    hostname: lease.hostname,
    expiresAt: new Date(lease.expiresAt).toISOString(),
    subnetId: lease.subnetId,
  };
}
