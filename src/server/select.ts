import type { CompiledConfig, CompiledSubnet } from '../config/index.ts';
import { cidrContains, ipv4ToInt, isIpv4 } from '../config/index.ts';
import { relayAgentInfo, type DhcpMessage } from '../protocol/index.ts';
import type { ArrivalMeta } from './types.ts';
import { definitionNamed } from '../protocol/index.ts';
import { admits, type PacketClasses } from '../classify/index.ts';

/** Options read from every request, looked up in the table once. */
const AGENT_OPT = definitionNamed('dhcp-agent-options');
const SUBNET_SELECTION_OPT = definitionNamed('subnet-selection');

const ZERO = '0.0.0.0';

export interface Selection {
  readonly subnet: CompiledSubnet;
  /** How it was chosen, for the exchange summary. */
  readonly by: 'link-selection' | 'subnet-selection' | 'relay' | 'ciaddr' | 'interface';
}

const interfaceAddressCache = new Map<string, number>();

/**
 * An interface address as a number, or -1 when it is not IPv4 (an IPv6 one). The same few strings come
 * with every request, so they are parsed once; the cache is bounded in case they keep changing.
 */
export function interfaceAddressValue(address: string): number {
  let n = interfaceAddressCache.get(address);
  if (n === undefined) {
    n = isIpv4(address) ? ipv4ToInt(address) : -1;
    if (interfaceAddressCache.size >= 256) interfaceAddressCache.clear();
    interfaceAddressCache.set(address, n);
  }
  return n;
}

/** The first subnet holding `addr` (a number; -1, not an address, is in none) that admits the classes. */
function containing(
  config: CompiledConfig,
  addr: number,
  classes: PacketClasses | null,
): CompiledSubnet | undefined {
  if (addr < 0) return undefined;
  const subnets = config.subnets;
  for (let i = 0; i < subnets.length; i++) {
    const s = subnets[i]!;
    if (cidrContains(s, addr) && admits(s, classes)) return s;
  }
  return undefined;
}

/** `containing` for an address's text: -1 when it is not an IPv4 address. */
function containingText(
  config: CompiledConfig,
  addr: string,
  classes: PacketClasses | null,
): CompiledSubnet | undefined {
  return containing(config, typeof addr === 'string' ? ipv4ToInt(addr) : -1, classes);
}

function byRelayAddress(
  config: CompiledConfig,
  giaddr: number,
  classes: PacketClasses | null,
): CompiledSubnet | undefined {
  const subnets = config.subnets;
  for (let i = 0; i < subnets.length; i++) {
    const s = subnets[i]!;
    if (s.relayAddresses.includes(giaddr) && admits(s, classes)) return s;
  }
  return undefined;
}

function onInterface(s: CompiledSubnet, meta: ArrivalMeta): boolean {
  return s.interface === undefined || s.interface === meta.interface;
}

/**
 * The subnet a request belongs to. Relayed: RFC 3527 link selection (82.5), then RFC 3011 subnet selection
 * (118), then Kea's `relay.ip-addresses`, then the subnet holding giaddr (RFC 2131 §4.3.1). Direct: 118,
 * then a renewing client's ciaddr, then the receiving interface (Kea's `interface`, or the subnet holding
 * one of the interface's addresses, or the only subnet when the interface has no address at all). A subnet
 * limited to classes (`client-class`) is invisible to a request in none of them (Kea: the next feasible one).
 */
export function selectSubnet(
  config: CompiledConfig,
  req: DhcpMessage,
  meta: ArrivalMeta,
  classes: PacketClasses | null = null,
): Selection | undefined {
  const relayed = req.giaddr !== ZERO;
  if (relayed) {
    const list = req.options.getBy(AGENT_OPT);
    const link = list ? relayAgentInfo(list).linkSelection : undefined;
    if (link !== undefined) {
      // RFC 3527 §3: with the sub-option present the server MUST allocate on that subnet (or its link):
      // an unknown one means no answer, never a fall-back to giaddr.
      const s = containingText(config, link, classes);
      return s ? { subnet: s, by: 'link-selection' } : undefined;
    }
  }
  const sel = req.options.getBy(SUBNET_SELECTION_OPT);
  if (sel !== undefined) {
    const s = containingText(config, sel, classes);
    // RFC 3011 §3: a server that cannot serve the requested subnet MUST NOT answer.
    return s ? { subnet: s, by: 'subnet-selection' } : undefined;
  }
  if (relayed) {
    // Parsed once for both lookups: -1 (in no subnet) when giaddr is not an IPv4 address.
    const g = ipv4ToInt(req.giaddr);
    const s = byRelayAddress(config, g, classes) ?? containing(config, g, classes);
    return s ? { subnet: s, by: 'relay' } : undefined;
  }
  if (req.ciaddr !== ZERO) {
    const s = containingText(config, req.ciaddr, classes);
    if (s && onInterface(s, meta)) return { subnet: s, by: 'ciaddr' };
  }
  // Indexed loops: this runs for every request, and for-of left an iterator object per loop here.
  const subnets = config.subnets;
  for (let i = 0; i < subnets.length; i++) {
    const s = subnets[i]!;
    if (s.interface === meta.interface && admits(s, classes)) return { subnet: s, by: 'interface' };
  }
  const addresses = meta.interfaceAddresses;
  for (let k = 0; k < addresses.length; k++) {
    const n = interfaceAddressValue(addresses[k]!.address);
    if (n < 0) continue;
    for (let i = 0; i < subnets.length; i++) {
      const s = subnets[i]!;
      if (s.interface === undefined && cidrContains(s, n) && admits(s, classes))
        return { subnet: s, by: 'interface' };
    }
  }
  // An interface with no IPv4 address (a virtual network, or a userspace stack through the library API) and one subnet: that subnet.
  const only = config.subnets.length === 1 ? config.subnets[0] : undefined;
  if (only && only.interface === undefined && meta.interfaceAddresses.length === 0 && admits(only, classes))
    return { subnet: only, by: 'interface' };
  return undefined;
}
