import type { Lease } from '../../leases/lease.ts';
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
  const classes = leaseClasses(lease);
  const entry: ClientJson = {
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
  return classes.length === 0 ? entry : { ...entry, classes };
}

/** A lease's classes hold at most this many names of at most this many characters each (lease4-add can write any user context). */
const MAX_CLASSES = 64;
const MAX_CLASS_NAME = 128;

/** The class names of the lease's `user-context.ISC.client-classes`, bounded; other shapes give none. */
export function leaseClasses(lease: Lease): string[] {
  const isc = lease.userContext?.['ISC'];
  if (typeof isc !== 'object' || isc === null) return [];
  const names = (isc as Record<string, unknown>)['client-classes'];
  if (!Array.isArray(names)) return [];
  const out: string[] = [];
  for (const name of names.slice(0, MAX_CLASSES)) {
    if (typeof name === 'string' && name !== '') out.push(name.slice(0, MAX_CLASS_NAME));
  }
  return out;
}
