import { TransportEmitter } from './emitter.ts';
import type { ParsedIpv4Udp } from './frame.ts';
import { LINK_LAYER_CAPABILITIES, type InterfaceRef, type TransportCapabilities } from './types.ts';

/** The transports that build and read whole frames themselves (Linux packet sockets, the virtual network). */
export abstract class LinkLayerTransport extends TransportEmitter {
  readonly capabilities: TransportCapabilities = LINK_LAYER_CAPABILITIES;

  /** Hands a received frame's UDP payload up as a `message`, with the addresses the frame carried. */
  protected emitFrame(
    payload: Buffer,
    iface: InterfaceRef,
    datagram: ParsedIpv4Udp,
    sourceMac: string,
    linkBroadcast: boolean,
    receiveDelayMs: number | undefined,
  ): void {
    this.emitMessage(payload, {
      interface: iface,
      sourceIp: datagram.srcIp,
      sourcePort: datagram.srcPort,
      destinationIp: datagram.dstIp,
      destinationPort: datagram.dstPort,
      sourceMac,
      linkBroadcast,
      receiveDelayMs,
    });
  }
}
