/** Why a received packet was dropped. */
export type BogusReason =
  /** The decoder rejected it (DhcpDecodeError). */
  | 'malformed'
  /** op is not BOOTREPLY. */
  | 'not-bootreply'
  /** No option 53: a BOOTP reply, which a DHCP client does not use. */
  | 'no-message-type'
  /** chaddr is not our hardware address. */
  | 'wrong-chaddr'
  /** xid matches no transaction of ours. */
  | 'wrong-xid'
  /** xid of a transaction that is already over: a late duplicate. */
  | 'duplicate'
  /** A message type the current state does not take (an OFFER while BOUND, an ACK while SELECTING). */
  | 'unexpected'
  /** OFFER or ACK without option 54 (RFC 2131 §4.3.1 requires it). */
  | 'no-server-id'
  /** From a server other than the one we are talking to. */
  | 'wrong-server'
  /** yiaddr unusable: 0.0.0.0, broadcast, multicast, loopback, or the network/broadcast address of its subnet. */
  | 'bad-yiaddr'
  /** The engine is stopped. */
  | 'not-running';

export const BOGUS_REASONS: readonly BogusReason[] = [
  'malformed',
  'not-bootreply',
  'no-message-type',
  'wrong-chaddr',
  'wrong-xid',
  'duplicate',
  'unexpected',
  'no-server-id',
  'wrong-server',
  'bad-yiaddr',
  'not-running',
];

/** Counters of one client engine; plain data, safe to JSON. */
export interface ClientStats {
  /** Messages sent, by type name ('DHCPDISCOVER', ...). Retransmissions included. */
  sent: Record<string, number>;
  /** Well-formed replies received, by type name, before any check against our state. */
  received: Record<string, number>;
  /** Sends that were retransmissions of an earlier one. */
  retransmissions: number;
  /** Dropped packets by reason. */
  bogus: Record<BogusReason, number>;
  leasesObtained: number;
  /** Times the client entered RENEWING / REBINDING. */
  renews: number;
  rebinds: number;
  /** ACKs that extended a lease in RENEWING, REBINDING or on a reboot with the address still configured. */
  renewed: number;
  naks: number;
  declines: number;
  expirations: number;
  /** Discovery cycles that ended without a lease (udhcpc's leasefail). */
  leaseFailures: number;
  releases: number;
  informs: number;
}

export function emptyStats(): ClientStats {
  const bogus = {} as Record<BogusReason, number>;
  for (const r of BOGUS_REASONS) bogus[r] = 0;
  return {
    sent: {},
    received: {},
    retransmissions: 0,
    bogus,
    leasesObtained: 0,
    renews: 0,
    rebinds: 0,
    renewed: 0,
    naks: 0,
    declines: 0,
    expirations: 0,
    leaseFailures: 0,
    releases: 0,
    informs: 0,
  };
}

export function cloneStats(s: ClientStats): ClientStats {
  return { ...s, sent: { ...s.sent }, received: { ...s.received }, bogus: { ...s.bogus } };
}
