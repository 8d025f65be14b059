import { TransportEmitter } from './emitter.ts';
import { LINK_LAYER_CAPABILITIES, type TransportCapabilities } from './types.ts';

/** The transports that build and read whole frames themselves (Linux packet sockets, the virtual network). */
export abstract class LinkLayerTransport extends TransportEmitter {
  readonly capabilities: TransportCapabilities = LINK_LAYER_CAPABILITIES;
}
