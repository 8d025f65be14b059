import { intToIp, ipToInt, prefixToMask } from '../protocol/index.ts';
import type { InterfaceAddress, OutgoingReply } from '../server/index.ts';
import type { OutboundDatagram, TransportCapabilities } from '../transport/index.ts';

const LIMITED_BROADCAST = '255.255.255.255';

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
  const iface = caps.interfaceAware ? { interface: reply.interface } : {};
  switch (d.kind) {
    case 'relay':
    case 'unicast':
      return { data, ip: d.address, port: d.port, ...iface };
    case 'link-unicast':
      if (caps.linkLayerUnicast) return { data, ip: d.address, port: d.port, mac: d.mac, ...iface };
      return broadcast(reply, data, caps, interfaceAddresses, iface);
    case 'broadcast':
      return broadcast(reply, data, caps, interfaceAddresses, iface);
  }
}

function broadcast(
  reply: OutgoingReply,
  data: Uint8Array,
  caps: TransportCapabilities,
  interfaceAddresses: readonly InterfaceAddress[],
  iface: { interface?: string },
): OutboundDatagram {
  if (caps.broadcastWithoutRoute) return { data, ip: LIMITED_BROADCAST, port: 68, ...iface };
  return { data, ip: subnetBroadcast(reply, interfaceAddresses), port: 68, ...iface };
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
