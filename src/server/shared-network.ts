import { cidrContains } from '../config/index.ts';
import type { CompiledConfig, CompiledSubnet } from '../config/index.ts';

/** The subnets of each shared network, in configuration order, for one compiled configuration. */
const cache = new WeakMap<CompiledConfig, ReadonlyMap<string, readonly CompiledSubnet[]>>();

function networksOf(config: CompiledConfig): ReadonlyMap<string, readonly CompiledSubnet[]> {
  let map = cache.get(config);
  if (map === undefined) {
    const built = new Map<string, CompiledSubnet[]>();
    for (const s of config.subnets) {
      if (s.sharedNetwork === undefined) continue;
      const list = built.get(s.sharedNetwork);
      if (list === undefined) built.set(s.sharedNetwork, [s]);
      else list.push(s);
    }
    map = built;
    cache.set(config, map);
  }
  return map;
}

/**
 * The subnets a client on `selected`'s link may get an address from, `selected` first: its shared
 * network's other subnets follow in configuration order (Kea moves on to the next subnet of the network
 * when one is full). A subnet outside any shared network stands alone.
 */
export function linkSubnets(config: CompiledConfig, selected: CompiledSubnet): readonly CompiledSubnet[] {
  if (selected.sharedNetwork === undefined) return [selected];
  const all = networksOf(config).get(selected.sharedNetwork) ?? [selected];
  return [selected, ...all.filter((s) => s !== selected)];
}

/** The subnet of `selected`'s shared network that holds `addr`: where a client's address on this link lives. */
export function subnetOnLink(config: CompiledConfig, selected: CompiledSubnet, addr: number): CompiledSubnet {
  if (selected.sharedNetwork === undefined || cidrContains(selected, addr)) return selected;
  return linkSubnets(config, selected).find((s) => cidrContains(s, addr)) ?? selected;
}
