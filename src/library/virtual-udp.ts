import type { VirtualHost } from '../transport/virtual/index.ts';
import type { Transport } from '../transport/index.ts';
import type { AddressApplier, Datagram, DatagramSocket, DatagramTransport } from './datagram.ts';

/** Options of {@link virtualUdp} and {@link virtualTransports}. */
export interface VirtualUdpOptions {
  /** The NIC whose address a client configures (default the host's first NIC). */
  readonly ifname?: string;
}

/** Puts leased addresses on a virtual host's NIC, so unicast renewals reach the client. */
function applierFor(host: VirtualHost, ifname: string | undefined): AddressApplier {
  const nic = (): NonNullable<ReturnType<VirtualHost['nic']>> | undefined =>
    ifname === undefined ? host.nics[0] : host.nic(ifname);
  return {
    configure: (address, prefixLength) => nic()?.addAddress(`${address}/${prefixLength}`),
    deconfigure: (address) => nic()?.removeAddress(address),
  };
}

/**
 * A datagram transport (tcpip.js shape) on a host of leasekeeper's in-memory virtual network: what a
 * tcpip.js stack's `stack.udp` would be, without a stack. Sockets see only host and port; use
 * {@link virtualTransports} to give the server the interface and link-layer details too.
 */
export function virtualUdp(host: VirtualHost, options: VirtualUdpOptions = {}): DatagramTransport {
  return {
    capabilities: { broadcastWithoutRoute: true, linkLayerUnicast: false, interfaceAware: false },
    addressApplier: applierFor(host, options.ifname),
    open: async (opts) => {
      const t = host.openTransport({ port: opts?.port ?? 0 });
      return socketOf(t);
    },
  };
}

function socketOf(t: Transport): DatagramSocket {
  const readable = new ReadableStream<Datagram>({
    start(controller) {
      t.on('message', (data, meta) =>
        controller.enqueue({ host: meta.sourceIp, port: meta.sourcePort, data: new Uint8Array(data) }),
      );
    },
  });
  const writable = new WritableStream<Datagram>({
    write: (d) => t.send({ data: d.data, ip: d.host, port: d.port }),
  });
  return { readable, writable, close: () => t.close() };
}

/**
 * A transport factory on a virtual host, for `createDhcp()`: full leasekeeper Transports (interface
 * names, link-layer unicast, ARP), one per port asked for. Carries an `addressApplier` for clients.
 */
export interface VirtualTransportFactory {
  (port: number): Transport;
  readonly addressApplier: AddressApplier;
}

/** See {@link VirtualTransportFactory}. */
export function virtualTransports(
  host: VirtualHost,
  options: VirtualUdpOptions = {},
): VirtualTransportFactory {
  const factory = (port: number): Transport => host.openTransport({ port });
  return Object.assign(factory, { addressApplier: applierFor(host, options.ifname) });
}
