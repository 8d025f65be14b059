import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseSharedNetworkStatName } from './shared-network-statistics.ts';

/** One configured subnet as the metrics labels name it. */
export interface MetricsSubnet {
  readonly id: number;
  /** `198.18.0.0/24`: the `subnet` label. */
  readonly prefix: string;
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly samples: string[];
}

const PREFIX = 'kea_dhcp4';

const SENT: Record<string, string> = {
  'pkt4-ack-sent': 'ack',
  'pkt4-nak-sent': 'nak',
  'pkt4-offer-sent': 'offer',
};

const RECEIVED: Record<string, string> = {
  'pkt4-discover-received': 'discover',
  'pkt4-offer-received': 'offer',
  'pkt4-request-received': 'request',
  'pkt4-ack-received': 'ack',
  'pkt4-nak-received': 'nak',
  'pkt4-release-received': 'release',
  'pkt4-decline-received': 'decline',
  'pkt4-inform-received': 'inform',
  'pkt4-unknown-received': 'unknown',
  'pkt4-parse-failed': 'parse-failed',
  'pkt4-receive-drop': 'drop',
};

/**
 * Subnet statistics with subnet/subnet_id labels: Kea name -> [metric suffix, help]. kea-exporter also puts a
 * `pool` label on the address families, "" on the subnet-wide series; the engine keeps no per-pool lease
 * counts (its pool bitmaps also count held offers and reserved addresses, so they cannot stand in), so the
 * label is left out rather than always "": no series claims a pool it does not describe.
 */
const SUBNET: Record<string, readonly [string, string]> = {
  'assigned-addresses': ['addresses_assigned_total', 'Assigned addresses'],
  'declined-addresses': ['addresses_declined_total', 'Declined counts'],
  'reclaimed-declined-addresses': [
    'addresses_declined_reclaimed_total',
    'Declined addresses that were reclaimed',
  ],
  'reclaimed-leases': ['addresses_reclaimed_total', 'Expired addresses that were reclaimed'],
  'total-addresses': ['addresses_total', 'Size of subnet address pool'],
  'v4-reservation-conflicts': ['reservation_conflicts_total', 'Reservation conflict count'],
  'v4-lease-reuses': ['leases_reused_total', 'Number of times an IPv4 lease has been renewed in memory'],
};

const ALLOCATION_FAIL: Record<string, string> = {
  'v4-allocation-fail-subnet': 'subnet',
  'v4-allocation-fail-shared-network': 'shared-network',
  'v4-allocation-fail-no-pools': 'no-pools',
  'v4-allocation-fail-classes': 'classes',
};

/** leasekeeper's per-shared-network sums (no Kea counterpart), with a `shared_network` label. */
const SHARED_NETWORK: Record<string, readonly [string, string]> = {
  'assigned-addresses': [
    'shared_network_addresses_assigned_total',
    'Assigned addresses in the shared network',
  ],
  'declined-addresses': [
    'shared_network_addresses_declined_total',
    'Declined addresses in the shared network',
  ],
  'total-addresses': ['shared_network_addresses_total', 'Size of the shared network address pools'],
};

/** leasekeeper's per-interface receive statistics (no Kea counterpart), with an `interface` label. */
const INTERFACE: Record<string, readonly [string, string]> = {
  'receive-ring': [
    'interface_receive_ring',
    'Whether the packet socket reads its TPACKET_V3 ring now (1) or recvmmsg (0)',
  ],
  'receive-path-switches': [
    'interface_receive_path_switches_total',
    'Switches of the adaptive packet socket between recvmmsg and the ring',
  ],
  'pkt4-kernel-drop': [
    'interface_kernel_drops_total',
    'Frames the kernel dropped because the packet socket ring or queue was full',
  ],
};

/** The interface name is whatever lies between the first `[` and the last `].`. */
const INTERFACE_KEY = /^interface\[(.*)\]\.([\w-]+)$/s;

const SUBNET_KEY = /^subnet\[(\d+)\]\.(?:pool\[(\d+)\]\.)?([\w-]+)$/;

/**
 * Kea statistics in the names the widely used Kea Prometheus exporter (kea-exporter) gives them, so its
 * dashboards and alerts work unchanged: packet counters as `kea_dhcp4_packets_{sent,received}_total` with an
 * `operation` label, per-subnet statistics with `subnet` (the prefix) and `subnet_id` labels (not `pool`: see
 * SUBNET). Like the exporter, statistics whose subnet is no longer configured are left
 * out, and the families are typed `gauge` (statistic-reset can set them back). The shared networks' sums
 * (`shared-network[NAME].*`, leasekeeper's own) become `kea_dhcp4_shared_network_*` with a `shared_network`
 * label, for the networks in `networks` only.
 *
 * Returns the Prometheus text exposition (format 0.0.4).
 */
export function renderMetrics(
  statistics: Iterable<readonly [string, number]>,
  subnets: readonly MetricsSubnet[],
  networks: readonly string[] = [],
): string {
  const byId = new Map(subnets.map((s) => [s.id, s]));
  const configuredNetworks = new Set(networks);
  const families = new Map<string, Family>();
  const add = (suffix: string, help: string, labels: Record<string, string>, value: number): void => {
    const name = `${PREFIX}_${suffix}`;
    let f = families.get(name);
    if (f === undefined) {
      f = { name, help, samples: [] };
      families.set(name, f);
    }
    const text = Object.entries(labels)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(',');
    f.samples.push(`${name}${text === '' ? '' : `{${text}}`} ${formatValue(value)}`);
  };

  for (const [key, value] of statistics) {
    const sent = SENT[key];
    if (sent !== undefined) {
      add('packets_sent_total', 'Packets sent', { operation: sent }, value);
      continue;
    }
    const received = RECEIVED[key];
    if (received !== undefined) {
      add('packets_received_total', 'Packets received', { operation: received }, value);
      continue;
    }
    const ifStat = INTERFACE_KEY.exec(key);
    if (ifStat !== null) {
      const family = INTERFACE[ifStat[2]!];
      if (family !== undefined) add(family[0], family[1], { interface: ifStat[1]! }, value);
      continue;
    }
    const shared = configuredNetworks.size === 0 ? undefined : parseSharedNetworkStatName(key);
    if (shared !== undefined) {
      const family = SHARED_NETWORK[shared.statistic];
      if (family !== undefined && configuredNetworks.has(shared.network))
        add(family[0], family[1], { shared_network: shared.network }, value);
      continue;
    }
    const m = SUBNET_KEY.exec(key);
    if (m === null) continue;
    const subnet = byId.get(Number(m[1]));
    if (subnet === undefined) continue;
    const stat = m[3] ?? '';
    const base = { subnet: subnet.prefix, subnet_id: String(subnet.id) };
    // Per-pool statistics (Kea 2.4's subnet[i].pool[j].*) are not kept by the engine.
    if (m[2] !== undefined) continue;
    const family = SUBNET[stat];
    if (family !== undefined) {
      add(family[0], family[1], base, value);
      continue;
    }
    const context = ALLOCATION_FAIL[stat];
    if (context !== undefined)
      add('allocations_failed_total', 'Allocation fail count', { ...base, context }, value);
  }

  let out = '';
  for (const f of families.values()) {
    out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} gauge\n${f.samples.join('\n')}\n`;
  }
  return out;
}

/** Label values escape backslash, double quote and newline (the exposition format's rule). */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** `GET /metrics` for the HTTP control listener (its authentication guards it like every route). */
export function metricsRoute(collect: () => string): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const body = collect();
    res.writeHead(200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
