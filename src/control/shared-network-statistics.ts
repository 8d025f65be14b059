/**
 * Per-shared-network statistics. Kea keeps none (up to 3.2 its statistics are global, per subnet and per
 * pool), so these are leasekeeper's: each subnet statistic summed over the subnets of a shared network,
 * named `shared-network[NAME].<statistic>` (`shared-network[floor1].assigned-addresses`).
 */

/** A shared network and its subnets' ids (the compiled configuration's `sharedNetworks`). */
export interface SharedNetworkMembers {
  readonly name: string;
  readonly subnetIds: readonly number[];
}

const SUBNET_STAT = /^subnet\[(\d+)\]\.([\w-]+)$/;
/** The network name is whatever lies between the first `[` and the last `].`. */
const NETWORK_STAT = /^shared-network\[(.*)\]\.([\w-]+)$/s;

export function sharedNetworkStatName(network: string, statistic: string): string {
  return `shared-network[${network}].${statistic}`;
}

/** The network and statistic of a `shared-network[NAME].<statistic>` name, or undefined. */
export function parseSharedNetworkStatName(name: string): { network: string; statistic: string } | undefined {
  const m = NETWORK_STAT.exec(name);
  return m === null ? undefined : { network: m[1]!, statistic: m[2]! };
}

/**
 * `raw` with the sums added: every `subnet[ID].<statistic>` of a subnet in a shared network counts
 * towards `shared-network[NAME].<statistic>`. A network's sums exist as soon as one of its subnets has
 * the statistic. `raw` itself is not changed (it is returned as it is when there is no shared network).
 */
export function withSharedNetworkSums(
  raw: Record<string, number>,
  networks: readonly SharedNetworkMembers[],
): Record<string, number> {
  if (networks.length === 0) return raw;
  const networkOf = new Map<number, string>();
  for (const n of networks) for (const id of n.subnetIds) networkOf.set(id, n.name);
  const out: Record<string, number> = { ...raw };
  for (const [key, value] of Object.entries(raw)) {
    const m = SUBNET_STAT.exec(key);
    if (m === null) continue;
    const network = networkOf.get(Number(m[1]));
    if (network === undefined) continue;
    const name = sharedNetworkStatName(network, m[2]!);
    out[name] = (out[name] ?? 0) + value;
  }
  return out;
}
