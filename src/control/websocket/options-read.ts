import { intToIpv4, ipv4ToInt, maskOf } from '../../config/index.ts';
import type { CompiledConfig, CompiledSubnet, OptionSet } from '../../config/index.ts';
import { optionCode, optionDefinition } from '../../protocol/index.ts';
import { leaseTimes } from '../../server/index.ts';
import type { OptionsJson } from './protocol.ts';

/** An address of a served interface, as the runtime knows it. */
export interface ServerAddress {
  readonly address: string;
  readonly prefixLength: number;
}

/** The value of a named option at the first layer (most specific first) that has it, decoded. */
function optionAt(layers: readonly OptionSet[], name: string): unknown {
  const code = optionCode(name);
  if (code === undefined) return undefined;
  for (const layer of layers) {
    const o = layer.get(code);
    if (o === undefined) continue;
    if (o.neverSend) return undefined;
    return optionDefinition(code)?.codec.decode(o.data);
  }
  return undefined;
}

function layersOf(config: CompiledConfig, subnet: CompiledSubnet | undefined): OptionSet[] {
  if (subnet === undefined) return [config.options];
  const pool = subnet.pools[0];
  return [...(pool === undefined ? [] : [pool.options]), subnet.options, config.options];
}

const asString = (v: unknown): string => (typeof v === 'string' ? v : '');
const asList = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];

/**
 * The server identifier clients of a subnet see, as the engine picks it: a configured
 * `dhcp-server-identifier`, else the server's own address on the subnet, else its first address, else ''.
 */
export function serverIdentifier(
  config: CompiledConfig,
  subnet: CompiledSubnet | undefined,
  addresses: readonly ServerAddress[],
): string {
  // The engine reads option 54 from the subnet and the global level only (not from pools).
  const layers = subnet === undefined ? [config.options] : [subnet.options, config.options];
  const configured = asString(optionAt(layers, 'dhcp-server-identifier'));
  if (configured !== '') return configured;
  const own =
    subnet === undefined
      ? undefined
      : addresses.find((a) => (ipv4ToInt(a.address) & subnet.mask) >>> 0 === subnet.network);
  return (own ?? addresses[0])?.address ?? '';
}

/**
 * The seed's options view of the running Kea configuration: the first subnet4 and its first pool, with
 * options looked up as the engine does (pool, subnet, global). Timers are what a client is told, or what it
 * would compute when the server leaves them out (RFC 2131 §4.4.5: 50% and 87.5%).
 */
export function readOptions(config: CompiledConfig, addresses: readonly ServerAddress[]): OptionsJson {
  const subnet = config.subnets[0];
  const layers = layersOf(config, subnet);
  const pool = subnet?.pools[0];
  const lifetimes = subnet?.lifetimes ?? config.lifetimes;
  const times = leaseTimes(lifetimes, undefined);
  const netmask = asString(optionAt(layers, 'subnet-mask'));
  return {
    range: pool === undefined ? [] : [intToIpv4(pool.start), intToIpv4(pool.end)],
    netmask: netmask !== '' ? netmask : subnet === undefined ? '' : intToIpv4(maskOf(subnet.prefixLength)),
    router: asList(optionAt(layers, 'routers')),
    dns: asList(optionAt(layers, 'domain-name-servers')),
    server: serverIdentifier(config, subnet, addresses),
    leaseTime: times.valid,
    renewalTime: times.t1 ?? Math.floor(times.valid * 0.5),
    rebindingTime: times.t2 ?? Math.floor(times.valid * 0.875),
    hostname: asString(optionAt(layers, 'host-name')),
    domainName: asString(optionAt(layers, 'domain-name')),
  };
}
