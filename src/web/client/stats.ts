import { el } from './dom.ts';
import { RateChart } from './chart.ts';
import { controlCommand } from './command.ts';
import { renderPools, type SubnetListing } from './pools.ts';

/** Kea's `statistic-get-all` arguments: each name maps to `[[value, "timestamp"], ...]`, newest first. */
type KeaStats = Record<string, [number, string][]>;

const COUNTERS: readonly [string, string][] = [
  ['pkt4-received', 'received'],
  ['pkt4-sent', 'sent'],
  ['pkt4-discover-received', 'DISCOVER'],
  ['pkt4-request-received', 'REQUEST'],
  ['pkt4-offer-sent', 'OFFER'],
  ['pkt4-ack-sent', 'ACK'],
  ['pkt4-nak-sent', 'NAK'],
  ['pkt4-release-received', 'RELEASE'],
  ['pkt4-decline-received', 'DECLINE'],
  ['v4-allocation-fail', 'allocation failures'],
  ['cumulative-assigned-addresses', 'leases assigned'],
  ['reclaimed-leases', 'leases reclaimed'],
  ['declined-addresses', 'addresses declined'],
];

/** Dynamic DNS (docs/ddns.md): shown once the server has queued a name change. */
const DDNS_COUNTERS: readonly [string, string][] = [
  ['update-success', 'DNS updates'],
  ['update-conflict', 'DNS name conflicts'],
  ['update-timeout', 'DNS timeouts'],
  ['ncr-queue-length', 'DNS changes queued'],
];

/**
 * Packet counters, pool utilisation and a packets-per-second chart, from the HTTP control channel
 * (`statistic-get-all`, POST to this origin: same listener, same credentials) every `periodMs`.
 */
export class StatsView {
  readonly #chart: RateChart;
  #previous: { at: number; received: number; sent: number } | undefined;

  private readonly counters: HTMLElement;
  private readonly pools: HTMLElement;
  private readonly status: HTMLElement;
  constructor(
    counters: HTMLElement,
    pools: HTMLElement,
    chartHost: HTMLElement,
    status: HTMLElement,
    periodMs = 2000,
  ) {
    this.counters = counters;
    this.pools = pools;
    this.status = status;
    this.#chart = new RateChart(chartHost);
    void this.#poll();
    setInterval(() => void this.#poll(), periodMs);
  }

  async #poll(): Promise<void> {
    let stats: KeaStats;
    // Which subnet is in which shared network; a server without subnet4-list shows them ungrouped.
    const listing = controlCommand<{ subnets: SubnetListing[] }>('subnet4-list').then(
      (a) => a.subnets,
      () => undefined,
    );
    try {
      stats = await controlCommand<KeaStats>('statistic-get-all');
    } catch (err) {
      this.status.textContent = `Statistics unavailable: ${err instanceof Error ? err.message : String(err)}`;
      return;
    }
    this.status.textContent = '';
    const value = (name: string): number => stats[name]?.[0]?.[0] ?? 0;
    const shown = value('ncr-received') > 0 ? [...COUNTERS, ...DDNS_COUNTERS] : COUNTERS;
    this.counters.replaceChildren(
      ...shown.map(([name, label]) =>
        el(
          'div',
          { class: 'counter', 'data-stat': name },
          el('span', { class: 'value' }, String(value(name))),
          label,
        ),
      ),
    );
    const ids = Object.keys(stats)
      .map((name) => /^subnet\[(\d+)\]\.total-addresses$/.exec(name)?.[1])
      .filter((id): id is string => id !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    renderPools(this.pools, (name) => stats[name]?.[0]?.[0], ids, await listing);
    const now = Date.now();
    const received = value('pkt4-received');
    const sent = value('pkt4-sent');
    const prev = this.#previous;
    if (prev !== undefined && now > prev.at) {
      const seconds = (now - prev.at) / 1000;
      // A counter reset (statistic-reset) shows as zero, not as a negative rate.
      this.#chart.push(
        Math.max(0, received - prev.received) / seconds,
        Math.max(0, sent - prev.sent) / seconds,
      );
    }
    this.#previous = { at: now, received, sent };
  }
}
