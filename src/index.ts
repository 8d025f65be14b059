/**
 * leasekeeper: a DHCPv4 server, client and embeddable library. The main export is the library; see
 * docs/library.md.
 *
 * ```ts
 * import { createDhcp } from 'leasekeeper';
 * const dhcp = await createDhcp(stack.udp);
 * const server = await dhcp.serve({ leaseRange: { start, end }, serverIdentifier, netmask, router });
 * ```
 */
export { createDhcp, type Dhcp } from './library/create.ts';
export type { DhcpServer, DhcpServerEvents, OfferEvent, LeaseEvent } from './library/server.ts';
export type { DhcpLease } from './library/lease-view.ts';
export type { DhcpLeaseLookup } from './library/lease-lookup.ts';
export type {
  DhcpServerOptions,
  KeaServeOptions,
  LibraryServeOptions,
  ServeOptions,
  Reservation,
  LeaseStoreOption,
  ControlOptions,
  ServeInterface,
} from './library/options.ts';
export type { DhcpClient, DhcpClientOptions, DhcpClientEvents, InformReply } from './library/client.ts';
export type { DhcpClientLease, DhcpConfiguration } from './library/client-lease.ts';
export type { TypedEvents, Listener } from './library/emitter.ts';
export type {
  Datagram,
  DatagramSocket,
  DatagramSocketOptions,
  DatagramTransport,
  AddressApplier,
} from './library/datagram.ts';
export type { DhcpTransportSource, TransportFactory } from './library/source.ts';
export { nodeUdp, type NodeUdpOptions } from './library/node-udp.ts';
export {
  virtualUdp,
  virtualTransports,
  type VirtualUdpOptions,
  type VirtualTransportFactory,
} from './library/virtual-udp.ts';
export { LeasekeeperError, type ErrorCode } from './errors.ts';
export { DhcpLibraryError, type DhcpLibraryErrorCode } from './library/errors.ts';

// The building blocks, for embedding further.
export { VirtualNetwork, VirtualClock } from './transport/virtual/index.ts';
export type { Scheduler } from './transport/index.ts';
export type { VirtualHost, VirtualLink, VirtualNic } from './transport/virtual/index.ts';
export { EmbeddedTransport, UdpTransport, TransportError } from './transport/index.ts';
export type { Transport, TransportCapabilities, DatagramMeta, OutboundDatagram } from './transport/index.ts';
export { MemoryLeaseStore, SqliteLeaseStore, openLeaseStore } from './leases/index.ts';
export type { Lease, LeaseStore, LeaseChange } from './leases/index.ts';
export type { KeaConfigJson, Dhcp4Json } from './config/index.ts';
export type { ClientStateName } from './client/index.ts';
