/**
 * The datagram transport shape of tcpip.js (`@tcpip/transport`'s `DatagramTransport`): `stack.udp` of a
 * tcpip.js stack has it, and so do leasekeeper's own adapters for `node:dgram` and the virtual network.
 */
import type { TransportCapabilities } from '../transport/index.ts';

/** One UDP datagram: the remote `host` and `port` (source when read, destination when written). */
export interface Datagram {
  readonly host: string;
  readonly port: number;
  readonly data: Uint8Array;
}

/** Where to bind; both optional, as in tcpip.js. */
export interface DatagramSocketOptions {
  /** Local address; default every interface. */
  readonly host?: string;
  /** Local port; default a random one. */
  readonly port?: number;
}

/** An open UDP socket: datagrams in through `readable`, out through `writable`. */
export interface DatagramSocket {
  readonly readable: ReadableStream<Datagram>;
  readonly writable: WritableStream<Datagram>;
  close(): Promise<void>;
}

/**
 * Something that opens UDP sockets: tcpip.js's `stack.udp`, {@link nodeUdp}, {@link virtualUdp}.
 *
 * Two optional members are leasekeeper extensions a stack may add: `capabilities` (what its sockets can do;
 * default: 255.255.255.255 can be sent without a route, nothing else) and `addressApplier` (how the
 * client puts a leased address on the stack's interface, so unicast renewals reach it).
 */
export interface DatagramTransport {
  open(options?: DatagramSocketOptions): Promise<DatagramSocket>;
  readonly capabilities?: Partial<TransportCapabilities>;
  readonly addressApplier?: AddressApplier;
}

/** Applies a client's lease to its network stack: what `ip addr add/del` does on a real host. */
export interface AddressApplier {
  configure(address: string, prefixLength: number): void | Promise<void>;
  deconfigure(address: string): void | Promise<void>;
}
