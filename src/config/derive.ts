import { compileConfig } from './compile.ts';
import { broadcastOf, intToIpv4, ipv4ToInt, isIpv4, maskOf } from './ipv4.ts';
import type { Dhcp4Json } from './schema.ts';
import { ConfigError, type CompiledConfig } from './types.ts';

export interface InterfaceInfo {
  readonly ifname: string;
  readonly address: string;
  /** Prefix length of the interface's address. */
  readonly prefix: number;
}

export interface DerivedConfig {
  readonly json: { Dhcp4: Dhcp4Json };
  readonly config: CompiledConfig;
  /** One line per choice made, for `serve --interface` to print. */
  readonly explanation: readonly string[];
}

/**
 * The zero-config setup of `leasekeeper serve --interface IF`: serve the interface's subnet, from the half
 * of it that does not hold the interface's own address (the other half stays free for static hosts), with
 * this host as router and server identifier.
 */
export function deriveConfigFromInterface(info: InterfaceInfo): DerivedConfig {
  const at = `interface ${info.ifname}`;
  if (!isIpv4(info.address) || !Number.isInteger(info.prefix) || info.prefix < 0 || info.prefix > 30)
    throw new ConfigError([
      {
        path: at,
        message: `${info.address}/${info.prefix}: need an IPv4 address with a prefix of /30 or shorter`,
      },
    ]);
  const own = ipv4ToInt(info.address);
  const mask = maskOf(info.prefix);
  const network = (own & mask) >>> 0;
  const broadcast = broadcastOf({ network, prefixLength: info.prefix });
  const first = network + 1;
  const last = broadcast - 1;
  let start = first;
  let end = last;
  let why = `every host address except ${info.address} (the subnet is too small to split)`;
  if (info.prefix <= 29) {
    const mid = first + Math.floor((last - first + 1) / 2);
    const upper = own < mid;
    [start, end] = upper ? [mid, last] : [first, mid - 1];
    why = `the ${upper ? 'upper' : 'lower'} half of the subnet, away from this host's ${info.address}; the rest is left for static addresses`;
  }
  const subnet = `${intToIpv4(network)}/${info.prefix}`;
  const pool = `${intToIpv4(start)} - ${intToIpv4(end)}`;
  const json: { Dhcp4: Dhcp4Json } = {
    Dhcp4: {
      'interfaces-config': { interfaces: [info.ifname] },
      'valid-lifetime': 3600,
      subnet4: [
        {
          id: 1,
          subnet,
          interface: info.ifname,
          pools: [{ pool }],
          'option-data': [{ name: 'routers', data: info.address }],
        },
      ],
    },
  };
  return {
    json,
    config: compileConfig(json),
    explanation: [
      `subnet ${subnet}: the network of ${info.address}/${info.prefix} on ${info.ifname}`,
      `pool ${pool}: ${why}; network ${intToIpv4(network)} and broadcast ${intToIpv4(broadcast)} are never handed out`,
      `router ${info.address}: this host (override with option-data "routers")`,
      `server identifier ${info.address}: this host's address on ${info.ifname}`,
      'lease time 3600 s, renew at 50% (1800 s), rebind at 87.5% (3150 s)',
    ],
  };
}
