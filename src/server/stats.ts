/** Kea's DHCPv4 statistic names that the engine keeps as plain counters. */
export const GLOBAL_STATISTICS = [
  'pkt4-received',
  'pkt4-discover-received',
  'pkt4-offer-received',
  'pkt4-request-received',
  'pkt4-ack-received',
  'pkt4-nak-received',
  'pkt4-release-received',
  'pkt4-decline-received',
  'pkt4-inform-received',
  'pkt4-unknown-received',
  'pkt4-sent',
  'pkt4-offer-sent',
  'pkt4-ack-sent',
  'pkt4-nak-sent',
  'pkt4-parse-failed',
  'pkt4-receive-drop',
  'cumulative-assigned-addresses',
  'declined-addresses',
  'reclaimed-leases',
  'reclaimed-declined-addresses',
  'v4-allocation-fail',
  // Not Kea's: hardening counters (docs/server.md, "Under attack").
  /** A reply that could not be encoded (too large even without optional options): not sent. */
  'pkt4-encode-failed',
  /** The pool was full and the oldest unconfirmed offer went to a new client. */
  'v4-offer-reused',
  /** Requests dropped by a per-client rate limit (`user-context.limits.rate-limit`). */
  'pkt4-rate-limit-drop',
  /** DISCOVERs and REQUESTs refused because the hardware address holds its lease limit. */
  'v4-lease-limit-exceeded',
] as const;

export type GlobalStatistic = (typeof GLOBAL_STATISTICS)[number];

export const SUBNET_STATISTICS = [
  'total-addresses',
  'assigned-addresses',
  'declined-addresses',
  'cumulative-assigned-addresses',
] as const;

export type SubnetStatistic = (typeof SUBNET_STATISTICS)[number];

/** `pkt4-<type>-received` by DHCP message type (option 53). */
export const RECEIVED_BY_TYPE: Readonly<Record<number, GlobalStatistic>> = {
  1: 'pkt4-discover-received',
  2: 'pkt4-offer-received',
  3: 'pkt4-request-received',
  5: 'pkt4-ack-received',
  6: 'pkt4-nak-received',
  7: 'pkt4-release-received',
  4: 'pkt4-decline-received',
  8: 'pkt4-inform-received',
};

type Counters<N extends string> = Record<N, number>;

function zeroed<N extends string>(names: readonly N[]): Counters<N> {
  const out = {} as Counters<N>;
  for (const n of names) out[n] = 0;
  return out;
}

/**
 * Counters as plain objects with every name present from the start (in the lists' order), so that
 * `inc('pkt4-received')` is a property update rather than two Map lookups.
 */
export class Statistics {
  private readonly global: Counters<GlobalStatistic> = zeroed(GLOBAL_STATISTICS);
  private readonly subnets = new Map<number, Counters<SubnetStatistic>>();

  dec(name: GlobalStatistic): void {
    this.global[name] -= 1;
  }

  inc(name: GlobalStatistic, by = 1): void {
    this.global[name] += by;
  }

  get(name: GlobalStatistic): number {
    return this.global[name];
  }

  incSubnet(id: number, name: SubnetStatistic, by = 1): void {
    this.subnet(id)[name] += by;
  }

  setSubnet(id: number, name: SubnetStatistic, value: number): void {
    this.subnet(id)[name] = value;
  }

  getSubnet(id: number, name: SubnetStatistic): number {
    return this.subnets.get(id)?.[name] ?? 0;
  }

  /** Every counter by Kea name, subnet ones as `subnet[id].name`. */
  snapshot(subnetIds: Iterable<number>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const n of GLOBAL_STATISTICS) out[n] = this.global[n];
    for (const id of subnetIds) {
      for (const n of SUBNET_STATISTICS) out[`subnet[${id}].${n}`] = this.getSubnet(id, n);
    }
    return out;
  }

  private subnet(id: number): Counters<SubnetStatistic> {
    let m = this.subnets.get(id);
    if (!m) {
      m = zeroed(SUBNET_STATISTICS);
      this.subnets.set(id, m);
    }
    return m;
  }
}
