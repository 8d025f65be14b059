/**
 * The transport contract: how the server and client runtimes move DHCP datagrams. Four implementations
 * share it (see docs/transport.md): `udp` (node:dgram), `linux` (per-interface UDP + AF_PACKET sockets
 * through the native addon), `virtual` (an in-memory network for tests and simulations) and `embedded`
 * (the caller's own stack, through callbacks).
 */
import type { TransportError } from './errors.ts';

export interface TransportCapabilities {
  /** send() honours `OutboundDatagram.mac`: the frame goes to that link-layer address, whatever the IP. */
  readonly linkLayerUnicast: boolean;
  /** Inbound metadata names the interface, and send() honours `OutboundDatagram.interface`. */
  readonly interfaceAware: boolean;
  /** 255.255.255.255 can be sent with no route and no address on the interface (source 0.0.0.0). */
  readonly broadcastWithoutRoute: boolean;
}

/** What a transport that builds its own frames on an interface can do (linux, virtual). */
export const LINK_LAYER_CAPABILITIES: TransportCapabilities = Object.freeze({
  linkLayerUnicast: true,
  interfaceAware: true,
  broadcastWithoutRoute: true,
});

export interface InterfaceRef {
  readonly name: string;
  /** Kernel interface index (virtual: position on its host, from 1). */
  readonly index: number;
}

/** What is known about one received datagram. Absent fields are unknown, not empty. */
export interface DatagramMeta {
  /** The interface it arrived on; undefined for a transport that is not interface-aware. */
  readonly interface: InterfaceRef | undefined;
  readonly sourceIp: string;
  readonly sourcePort: number;
  /** The IP destination of the datagram (255.255.255.255 for a broadcast); undefined when unknown. */
  readonly destinationIp: string | undefined;
  readonly destinationPort: number;
  /** Lower-case `aa:bb:cc:dd:ee:ff`; undefined when unknown. */
  readonly sourceMac: string | undefined;
  /** True when the frame was sent to the link-layer broadcast address (only known with link-layer access). */
  readonly linkBroadcast: boolean | undefined;
  /**
   * How long the datagram waited in the kernel's socket queue before it was read, in ms (from the kernel's
   * receive timestamp); absent where the transport cannot tell. A server under overload uses it to drop
   * requests that waited too long to be worth answering.
   */
  readonly receiveDelayMs?: number;
}

export interface OutboundDatagram {
  readonly data: Uint8Array;
  /** Destination IPv4 address; 255.255.255.255 for a limited broadcast. */
  readonly ip: string;
  readonly port: number;
  /**
   * Link-layer destination `aa:bb:cc:dd:ee:ff`: deliver the frame to this MAC without ARP, e.g. the
   * yiaddr of a client that has no address yet (RFC 2131 §4.1). Needs `capabilities.linkLayerUnicast`.
   */
  readonly mac?: string;
  /** Send out of this interface. Needs `capabilities.interfaceAware` when the transport has several. */
  readonly interface?: string;
  /**
   * Source IP to put in the header; default: the interface's first address, else 0.0.0.0. The linux
   * transport honours another address only with `mac` or a broadcast (ERR_TRANSPORT_UNSUPPORTED otherwise).
   */
  readonly sourceIp?: string;
  /**
   * The sender's protocol reads zero octets after this datagram as padding (DHCP after its END option), and
   * its receiver takes datagrams up to this many octets: a transport may append zeros up to that length. The
   * linux transport does, to make a run of datagrams to one destination one size for UDP GSO, and groups
   * only datagrams that carry it. Only the sender knows this; without it a transport never pads. Others
   * ignore it.
   */
  readonly padUpTo?: number;
}

export interface LinkState {
  readonly interface: string;
  readonly index: number;
  /** False when the interface has vanished. */
  readonly present: boolean;
  /** Administratively up (IFF_UP). */
  readonly up: boolean;
  /** Carrier / lower layer up (IFF_RUNNING). */
  readonly carrier: boolean;
}

export interface TransportEvents {
  message: [data: Buffer, meta: DatagramMeta];
  /** Asynchronous failures (a socket died, an interface went away). Never thrown. */
  error: [error: TransportError];
  /** An interface changed state; a transport that reopens sockets does so before emitting `up: true`. */
  link: [state: LinkState];
  close: [];
}

export interface Transport {
  readonly kind: 'udp' | 'linux' | 'virtual' | 'embedded';
  readonly capabilities: TransportCapabilities;
  /** The UDP port received on (67 for a server, 68 for a client). */
  readonly port: number;
  /** Interfaces this transport covers, as last seen; empty for a transport that is not interface-aware. */
  interfaces(): readonly InterfaceRef[];

  on<E extends keyof TransportEvents>(event: E, listener: (...args: TransportEvents[E]) => void): this;
  once<E extends keyof TransportEvents>(event: E, listener: (...args: TransportEvents[E]) => void): this;
  off<E extends keyof TransportEvents>(event: E, listener: (...args: TransportEvents[E]) => void): this;

  /**
   * Resolves once the datagram was handed to the network. Rejects with a TransportError (never throws
   * synchronously). Resolving does not mean delivered: UDP may still lose it.
   */
  send(d: OutboundDatagram): Promise<void>;
  /**
   * `send` for a caller that needs to hear only of failures: `failed(error, context)` is called at most once,
   * possibly before `post` returns; nothing is called when the datagram was handed to the network. Saves the
   * promise per datagram where a server sends thousands a second (present on the linux transport).
   */
  post?<C>(d: OutboundDatagram, context: C, failed: (error: TransportError, context: C) => void): void;
  /** Idempotent. After it resolves no further events are emitted and every descriptor is closed. */
  close(): Promise<void>;

  /**
   * RFC 5227 address conflict detection on one interface: ARP probes for `ip`, resolved within
   * `timeoutMs`. For the server before offering an address, for the client before using one (a conflict
   * leads to DHCPDECLINE, RFC 2131 §3.1 step 5). Present on the linux and virtual transports.
   */
  arpProbe?(ifname: string, ip: string, timeoutMs: number): Promise<ArpProbeResult>;
  /** RFC 5227 §2.3 announcement: `ip` is now in use on `ifname`. */
  arpAnnounce?(ifname: string, ip: string): Promise<void>;
}

export interface ArpProbeResult {
  inUse: boolean;
  /** The MAC of the host that answered for, or also probed, the address. */
  mac?: string;
}
