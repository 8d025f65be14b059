import { BROADCAST_FLAG, MessageType, macToString, type DhcpMessage } from '../protocol/index.ts';
import type { ReplyDestination } from './types.ts';

const ZERO = '0.0.0.0';
const ETHERNET_HLEN = 6;

/**
 * Where a reply to `req` goes, by RFC 2131 §4.1 (and §4.3.2 for DHCPNAK, §4.3.5 for INFORM). `hwAddress`
 * is the client's chaddr as `identify` wrote it, the same string as the MAC computed here.
 */
export function replyDestination(
  req: DhcpMessage,
  replyType: number,
  yiaddr: string,
  hwAddress?: string,
): ReplyDestination {
  // §4.1: giaddr non-zero -> to the relay agent's server port.
  if (req.giaddr !== ZERO) return { kind: 'relay', address: req.giaddr, port: 67 };
  // §4.1: "In all cases, when 'giaddr' is zero, the server broadcasts any DHCPNAK messages to 0xffffffff."
  if (replyType === MessageType.NAK) return { kind: 'broadcast', address: '255.255.255.255', port: 68 };
  // §4.1 (and §4.3.5 for INFORM): ciaddr non-zero -> unicast to ciaddr.
  if (req.ciaddr !== ZERO) return { kind: 'unicast', address: req.ciaddr, port: 68 };
  // §4.1: broadcast bit set -> 0xffffffff.
  if ((req.flags & BROADCAST_FLAG) !== 0 || yiaddr === ZERO)
    return { kind: 'broadcast', address: '255.255.255.255', port: 68 };
  // A link-layer unicast needs a 6-byte MAC; any other hlen (htype 1 with hlen 16, say) cannot be
  // addressed, and §4.1 allows the broadcast then ("If unicasting is not possible, the message MAY be sent
  // as an IP broadcast").
  if (req.hlen !== ETHERNET_HLEN) return { kind: 'broadcast', address: '255.255.255.255', port: 68 };
  // §4.1: otherwise unicast to the client's hardware address and yiaddr (it has no address to ARP for yet).
  return {
    kind: 'link-unicast',
    address: yiaddr,
    mac: hwAddress !== undefined && req.chaddr.length === 16 ? hwAddress : macToString(req.chaddr, 6),
    port: 68,
  };
}

export function describeDestination(d: ReplyDestination): string {
  switch (d.kind) {
    case 'relay':
      return `relay ${d.address}:${d.port}`;
    case 'unicast':
      return `unicast ${d.address}:${d.port}`;
    case 'broadcast':
      return `broadcast ${d.address}:${d.port}`;
    case 'link-unicast':
      return `link-layer unicast to ${d.mac} (${d.address}:${d.port})`;
  }
}
