/**
 * A DHCPv4 lease as every part of leasekeeper sees it: the server engine produces these, the lease stores
 * persist them, the control channel prints them in Kea's `lease4` shape, the WebSocket API in seed 000's.
 * Times are milliseconds since the epoch, lifetimes seconds (as on the wire and in Kea).
 */
export interface Lease {
  /** The leased IPv4 address, dotted quad. The primary key of a lease store. */
  readonly address: string;
  /** Hardware address, lower-case `aa:bb:cc:dd:ee:ff` (Kea's `hw-address`). */
  readonly hwAddress: string;
  /** Client identifier (option 61) as lower-case colon hex `01:aa:bb:...`, or null when the client sent none. */
  readonly clientId: string | null;
  readonly subnetId: number;
  /** Valid lifetime in seconds (Kea's `valid-lft`). */
  readonly validLifetime: number;
  /** Client last transaction time: when the lease was last granted or renewed (Kea's `cltt`, here in ms). */
  readonly cltt: number;
  /** When the lease ends: `cltt + validLifetime * 1000`. */
  readonly expiresAt: number;
  readonly hostname: string | null;
  /**
   * Whether the server updates DNS for this lease: A (`fqdn-fwd`) and PTR (`fqdn-rev`), as decided from the
   * client FQDN option (RFC 4702). Absent means false.
   */
  readonly fqdnFwd?: boolean;
  readonly fqdnRev?: boolean;
  readonly state: LeaseState;
  /** Free-form data kept with the lease (Kea's `user-context`), e.g. relay circuit-id. */
  readonly userContext: Readonly<Record<string, unknown>> | null;
}

/** Kea's lease states: 0 default (leased), 1 declined, 2 expired-reclaimed. */
export type LeaseState = 'default' | 'declined' | 'expired-reclaimed';

export const LEASE_STATE_CODES: Readonly<Record<LeaseState, number>> = {
  default: 0,
  declined: 1,
  'expired-reclaimed': 2,
};

/** The lease without its DNS flags: a released, reclaimed or declined lease has no name in DNS any more. */
export function withoutDnsFlags(lease: Lease): Lease {
  if (lease.fqdnFwd === undefined && lease.fqdnRev === undefined) return lease;
  const copy = { ...lease };
  delete copy.fqdnFwd;
  delete copy.fqdnRev;
  return copy;
}
