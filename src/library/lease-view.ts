import type { Lease } from '../leases/index.ts';
import type { LeaseChange } from '../leases/index.ts';
import { sameOwner } from '../leases/index.ts';

/**
 * A lease as `server.leases` holds it: `@tcpip/dhcp`'s `{ ip, mac, expiresAt }` and leasekeeper's own
 * fields. Times are milliseconds since the epoch.
 */
export interface DhcpLease {
  /** The leased address (the map's key). */
  readonly ip: string;
  /** Hardware address, `aa:bb:cc:dd:ee:ff`; empty for a declined address. */
  readonly mac: string;
  /** When the lease ends. */
  readonly expiresAt: number;
  /** Client identifier (option 61) as colon hex, or null. */
  readonly clientId: string | null;
  /** The client's host name (option 12 or 81, or its reservation), or null. */
  readonly hostname: string | null;
  /** `bound`: leased to a client; `declined`: a client reported the address in use (probation). */
  readonly state: 'bound' | 'declined';
  /** Kea subnet id (1 for `@tcpip/dhcp` options). */
  readonly subnetId: number;
  /** When it was last granted or renewed. */
  readonly grantedAt: number;
  /** Lifetime in seconds. */
  readonly leaseDuration: number;
}

/** The map entry for a store lease, or null when the lease is not live (released, reclaimed). */
export function leaseView(l: Lease): DhcpLease | null {
  if (l.state === 'expired-reclaimed') return null;
  return Object.freeze({
    ip: l.address,
    mac: l.hwAddress,
    expiresAt: l.expiresAt,
    clientId: l.clientId,
    hostname: l.hostname,
    state: l.state === 'declined' ? 'declined' : 'bound',
    subnetId: l.subnetId,
    grantedAt: l.cltt,
    leaseDuration: l.validLifetime,
  });
}

/** The lease events that follow from store changes. */
export type StoreEventName = 'bound' | 'renewed' | 'released' | 'declined' | 'expired';

/**
 * Which event a store change is, if any:
 * - a live lease written over nothing, a reclaimed or expired lease, or another client's: `bound`;
 * - over the same client's still valid lease: `renewed` (a renewal, or a reboot confirming it);
 * - a live lease turned `declined`: `declined`;
 * - a live lease ended early (lifetime 0: RELEASE, or the client moved) or deleted before its end:
 *   `released`;
 * - a live lease reclaimed at or after its end: `expired`.
 * Changes to declined or reclaimed leases (probation over, old records flushed) are no event.
 */
export function classifyChange(c: LeaseChange): StoreEventName | null {
  const { lease, previous } = c;
  const wasLive = previous !== null && previous.state === 'default';
  if (c.kind === 'removed') {
    if (lease.state !== 'default') return null;
    return lease.expiresAt <= Date.now() ? 'expired' : 'released';
  }
  switch (lease.state) {
    case 'default':
      return wasLive && sameOwner(previous, lease) && previous.expiresAt > lease.cltt ? 'renewed' : 'bound';
    case 'declined':
      return previous?.state === 'declined' ? null : 'declined';
    case 'expired-reclaimed':
      if (!wasLive) return null;
      return lease.validLifetime === 0 && lease.expiresAt < previous.expiresAt ? 'released' : 'expired';
  }
}
