import type { Transport } from '../transport/index.ts';
import type { AddressApplier, DatagramTransport } from './datagram.ts';
import { DhcpLibraryError } from './errors.ts';
import { transportFromDatagrams } from './from-datagrams.ts';

/** Makes a Transport bound to `port` (67 for a server, 68 for a client). */
export interface TransportFactory {
  (port: number): Transport | Promise<Transport>;
  /** How a client on this factory's stack configures its leased address (optional). */
  readonly addressApplier?: AddressApplier;
}

/**
 * What `createDhcp()` takes: a datagram transport of the tcpip.js shape (`stack.udp`, {@link nodeUdp},
 * {@link virtualUdp}), one of leasekeeper's Transports (used as is, and closed by `stop()`), or a factory of
 * Transports by port ({@link virtualTransports}).
 */
export type DhcpTransportSource = DatagramTransport | Transport | TransportFactory;

function isTransport(x: object): x is Transport {
  return 'send' in x && 'on' in x && 'capabilities' in x && 'kind' in x && typeof x.send === 'function';
}

/** Checks a source once, at `createDhcp()`; throws ERR_DHCP_TRANSPORT. */
export function checkSource(source: unknown): asserts source is DhcpTransportSource {
  if (typeof source === 'function') return;
  if (typeof source === 'object' && source !== null) {
    if (isTransport(source)) return;
    if ('open' in source && typeof source.open === 'function') return;
  }
  throw new DhcpLibraryError(
    'ERR_DHCP_TRANSPORT',
    'createDhcp() needs a datagram transport ({ open({ port }) }, e.g. a tcpip.js stack.udp), a Transport or a factory (port) => Transport',
  );
}

/** Opens the transport for one role. */
export async function openTransport(source: DhcpTransportSource, port: number): Promise<Transport> {
  if (typeof source === 'function') return source(port);
  if (isTransport(source)) return source;
  return transportFromDatagrams(source, port);
}

/** The address applier a source carries, if any. */
export function applierOf(source: DhcpTransportSource): AddressApplier | undefined {
  if (typeof source === 'function') return source.addressApplier;
  if (isTransport(source)) return undefined;
  return source.addressApplier;
}
