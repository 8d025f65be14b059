/** Public surface of the transport layer; see docs/transport.md. */
export type {
  Transport,
  TransportCapabilities,
  TransportEvents,
  DatagramMeta,
  OutboundDatagram,
  InterfaceRef,
  LinkState,
  ArpProbeResult,
} from './types.ts';
export { TransportError } from './errors.ts';
export type { TransportErrorCode } from './errors.ts';
export { unhandledErrorChannel } from './emitter.ts';
export { EmbeddedTransport } from './embedded.ts';
export type { EmbeddedTransportOptions, InboundMeta } from './embedded.ts';
export { UdpTransport } from './udp.ts';
export type { UdpTransportOptions } from './udp.ts';
export { LinuxTransport, arpProbe, arpAnnounce } from './linux/transport.ts';
export type { LinuxTransportOptions, ArpOptions } from './linux/transport.ts';
export { listInterfaces } from './linux/interfaces.ts';
export type { InterfaceInfo, InterfaceAddress } from './linux/interfaces.ts';
export { nativeAddon } from './linux/native.ts';
export {
  VirtualNetwork,
  VirtualLink,
  VirtualHost,
  VirtualNic,
  VirtualTransport,
  VirtualClock,
} from './virtual/index.ts';
export type { Impairments, NetworkOptions, NetworkStats, NicOptions } from './virtual/index.ts';
export { realScheduler, type Scheduler } from './scheduler.ts';
export { PcapBuffer, PcapError, PcapFile, readPcap, readPcapRecords, writePcap } from './pcap.ts';
export type { PcapFrame, PcapRecord, PcapSink } from './pcap.ts';
export { buildUdpFrame, parseUdpFrame, MAX_UDP_PAYLOAD } from './frame.ts';
