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

/**
 * Each statistic's index in the counters, its position in `GLOBAL_STATISTICS` (a test holds them in step). The
 * engine counts by index, `stats.inc(GLOBAL['pkt4-received'])`: a property of this constant object read with a
 * constant name is a constant in optimised code, where a counter looked up by a name passed in was a keyed
 * property access that V8 cannot specialise (a dozen names reach `inc`) on every count, a dozen a DORA.
 */
export const GLOBAL = {
  'pkt4-received': 0,
  'pkt4-discover-received': 1,
  'pkt4-offer-received': 2,
  'pkt4-request-received': 3,
  'pkt4-ack-received': 4,
  'pkt4-nak-received': 5,
  'pkt4-release-received': 6,
  'pkt4-decline-received': 7,
  'pkt4-inform-received': 8,
  'pkt4-unknown-received': 9,
  'pkt4-sent': 10,
  'pkt4-offer-sent': 11,
  'pkt4-ack-sent': 12,
  'pkt4-nak-sent': 13,
  'pkt4-parse-failed': 14,
  'pkt4-receive-drop': 15,
  'cumulative-assigned-addresses': 16,
  'declined-addresses': 17,
  'reclaimed-leases': 18,
  'reclaimed-declined-addresses': 19,
  'v4-allocation-fail': 20,
  'pkt4-encode-failed': 21,
  'v4-offer-reused': 22,
  'pkt4-rate-limit-drop': 23,
  'v4-lease-limit-exceeded': 24,
} as const satisfies Record<GlobalStatistic, number>;

/** A global statistic's index (`GLOBAL`). */
export type GlobalCounter = (typeof GLOBAL)[GlobalStatistic];

/** Each subnet statistic's index, its position in `SUBNET_STATISTICS`. */
export const SUBNET = {
  'total-addresses': 0,
  'assigned-addresses': 1,
  'declined-addresses': 2,
  'cumulative-assigned-addresses': 3,
} as const satisfies Record<SubnetStatistic, number>;

/** A subnet statistic's index (`SUBNET`). */
export type SubnetCounter = (typeof SUBNET)[SubnetStatistic];

/** `pkt4-<type>-received` by DHCP message type (option 53). */
export const RECEIVED_BY_TYPE: Readonly<Record<number, GlobalCounter>> = {
  1: GLOBAL['pkt4-discover-received'],
  2: GLOBAL['pkt4-offer-received'],
  3: GLOBAL['pkt4-request-received'],
  5: GLOBAL['pkt4-ack-received'],
  6: GLOBAL['pkt4-nak-received'],
  7: GLOBAL['pkt4-release-received'],
  4: GLOBAL['pkt4-decline-received'],
  8: GLOBAL['pkt4-inform-received'],
};

/** Counters in arrays by index (`GLOBAL`, `SUBNET`): a count is an element update. */
export class Statistics {
  private readonly global = new Float64Array(GLOBAL_STATISTICS.length);
  private readonly subnets = new Map<number, Float64Array>();

  dec(stat: GlobalCounter): void {
    this.global[stat]! -= 1;
  }

  inc(stat: GlobalCounter, by = 1): void {
    this.global[stat]! += by;
  }

  get(stat: GlobalCounter): number {
    return this.global[stat]!;
  }

  incSubnet(id: number, stat: SubnetCounter, by = 1): void {
    this.subnet(id)[stat]! += by;
  }

  setSubnet(id: number, stat: SubnetCounter, value: number): void {
    this.subnet(id)[stat] = value;
  }

  getSubnet(id: number, stat: SubnetCounter): number {
    return this.subnets.get(id)?.[stat] ?? 0;
  }

  /** Every counter by Kea name, subnet ones as `subnet[id].name`. */
  snapshot(subnetIds: Iterable<number>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const n of GLOBAL_STATISTICS) out[n] = this.global[GLOBAL[n]]!;
    for (const id of subnetIds) {
      for (const n of SUBNET_STATISTICS) out[`subnet[${id}].${n}`] = this.getSubnet(id, SUBNET[n]);
    }
    return out;
  }

  private subnet(id: number): Float64Array {
    let m = this.subnets.get(id);
    if (!m) {
      m = new Float64Array(SUBNET_STATISTICS.length);
      this.subnets.set(id, m);
    }
    return m;
  }
}
