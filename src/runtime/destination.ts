import { intToIp, ipToInt, prefixToMask } from '../protocol/index.ts';
import type { InterfaceAddress, OutgoingReply } from '../server/index.ts';
import type { OutboundDatagram, TransportCapabilities } from '../transport/index.ts';

const LIMITED_BROADCAST = '255.255.255.255';
/** A DHCP maximum message size counts the IPv4 and UDP headers (RFC 2132 §9.10). */
const IP_UDP_HEADERS = 28;

/**
 * Turns the engine's reply destination (RFC 2131 §4.1) into a datagram for the transport:
 * relay -> giaddr:67, unicast -> ciaddr:68, broadcast -> 255.255.255.255:68 out of the receiving
 * interface, link-unicast -> yiaddr:68 at the client's MAC. A transport that cannot address a MAC
 * broadcasts instead (the client accepts either); one that cannot send 255.255.255.255 without a route
 * sends to the broadcast address of the interface's subnet that holds the client's address.
 */
export function outbound(
  reply: OutgoingReply,
  data: Uint8Array,
  caps: TransportCapabilities,
  interfaceAddresses: readonly InterfaceAddress[],
): OutboundDatagram {
  const d = reply.destination;
  switch (d.kind) {
    case 'relay':
    case 'unicast':
      return datagram(reply, data, d.address, d.port, caps);
    case 'link-unicast':
      if (!caps.linkLayerUnicast) return broadcast(reply, data, caps, interfaceAddresses);
      return caps.interfaceAware
        ? { data, ip: d.address, port: d.port, mac: d.mac, interface: reply.interface }
        : { data, ip: d.address, port: d.port, mac: d.mac };
    case 'broadcast':
      return broadcast(reply, data, caps, interfaceAddresses);
  }
}

/**
 * One literal per shape, not a spread of the interface into each reply's datagram (every reply takes this).
 * Zero octets after a reply's END option are PAD to a DHCP receiver (RFC 2132 §3.1-3.2; the encoder pads
 * to 300 octets so, RFC 1542 §2.1), up to the size the client accepts (option 57, at least 576 octets with
 * the IP and UDP headers: RFC 2131 §2, RFC 2132 §9.10): `padUpTo` lets the linux transport pad a run of
 * replies to one relay to one size and send it as one UDP GSO send.
 */
function datagram(
  reply: OutgoingReply,
  data: Uint8Array,
  ip: string,
  port: number,
  caps: TransportCapabilities,
): OutboundDatagram {
  const padUpTo = reply.maxSize - IP_UDP_HEADERS;
  return caps.interfaceAware
    ? { data, ip, port, interface: reply.interface, padUpTo }
    : { data, ip, port, padUpTo };
}

function broadcast(
  reply: OutgoingReply,
  data: Uint8Array,
  caps: TransportCapabilities,
  interfaceAddresses: readonly InterfaceAddress[],
): OutboundDatagram {
  const ip = caps.broadcastWithoutRoute ? LIMITED_BROADCAST : subnetBroadcast(reply, interfaceAddresses);
  return datagram(reply, data, ip, 68, caps);
}

function subnetBroadcast(reply: OutgoingReply, addrs: readonly InterfaceAddress[]): string {
  const m = reply.message;
  const client = m.yiaddr !== '0.0.0.0' ? m.yiaddr : m.ciaddr;
  const target = client === '0.0.0.0' ? undefined : ipToInt(client);
  const onLink = addrs.find((a) => {
    const mask = prefixToMask(a.prefixLength);
    return target !== undefined && ((ipToInt(a.address) ^ target) & mask) === 0;
  });
  const a = onLink ?? addrs[0];
  if (a === undefined || a.prefixLength >= 31) return LIMITED_BROADCAST;
  const mask = prefixToMask(a.prefixLength);
  return intToIp((ipToInt(a.address) | ~mask) >>> 0);
}
