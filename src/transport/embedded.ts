/**
 * A transport whose wire is the caller's: for embedding in a userspace TCP/IP stack (a VM's virtual
 * network, a WebAssembly stack, a test double). The host stack calls `deliver()` for each datagram to our
 * port and receives ours through the `send` callback; it declares what it can do through `capabilities`.
 */
import { requireIp, requireMac, requirePort } from './addr.ts';
import { TransportEmitter } from './emitter.ts';
import { TransportError } from './errors.ts';
import { MAX_UDP_PAYLOAD } from './frame.ts';
import type {
  DatagramMeta,
  InterfaceRef,
  LinkState,
  OutboundDatagram,
  Transport,
  TransportCapabilities,
} from './types.ts';

export interface EmbeddedTransportOptions {
  port: number;
  /** Puts one datagram on the host stack's wire; may be async; a throw or rejection fails that send. */
  send(d: OutboundDatagram): void | Promise<void>;
  /** Default: all false (a plain UDP socket of the host stack). */
  capabilities?: Partial<TransportCapabilities>;
  /** Interfaces the host stack reports in metadata (needed when `interfaceAware`). */
  interfaces?: readonly InterfaceRef[];
  /** Called once by close(). */
  close?(): void | Promise<void>;
}

export type InboundMeta = Pick<DatagramMeta, 'sourceIp' | 'sourcePort'> & Partial<DatagramMeta>;

export class EmbeddedTransport extends TransportEmitter implements Transport {
  readonly kind = 'embedded' as const;
  readonly capabilities: TransportCapabilities;
  readonly port: number;
  private readonly opts: EmbeddedTransportOptions;

  constructor(opts: EmbeddedTransportOptions) {
    super();
    this.port = requirePort(opts.port);
    this.opts = opts;
    this.capabilities = {
      linkLayerUnicast: opts.capabilities?.linkLayerUnicast ?? false,
      interfaceAware: opts.capabilities?.interfaceAware ?? false,
      broadcastWithoutRoute: opts.capabilities?.broadcastWithoutRoute ?? false,
    };
  }

  interfaces(): readonly InterfaceRef[] {
    return this.capabilities.interfaceAware ? (this.opts.interfaces ?? []) : [];
  }

  /** The host stack hands us a datagram addressed to our port. Ignored after close(). */
  deliver(data: Uint8Array, meta: InboundMeta): void {
    this.emitMessage(Buffer.from(data), {
      interface: meta.interface,
      sourceIp: meta.sourceIp,
      sourcePort: meta.sourcePort,
      destinationIp: meta.destinationIp,
      destinationPort: meta.destinationPort ?? this.port,
      sourceMac: meta.sourceMac,
      linkBroadcast: meta.linkBroadcast,
    });
  }

  /** The host stack reports a link change (and, when it is down, an ERR_TRANSPORT_INTERFACE_DOWN error follows). */
  setLink(state: LinkState): void {
    this.emitLink(state);
    if (!state.present || !state.up || !state.carrier) {
      const code = state.present ? 'ERR_TRANSPORT_INTERFACE_DOWN' : 'ERR_TRANSPORT_INTERFACE_GONE';
      this.emitError(
        new TransportError(code, `${state.interface} is ${state.present ? 'down' : 'gone'}`, {
          interface: state.interface,
        }),
      );
    }
  }

  async send(d: OutboundDatagram): Promise<void> {
    if (this.closed) throw new TransportError('ERR_TRANSPORT_CLOSED', 'transport is closed');
    requireIp(d.ip);
    requirePort(d.port);
    if (d.mac !== undefined) {
      requireMac(d.mac);
      if (!this.capabilities.linkLayerUnicast)
        throw new TransportError('ERR_TRANSPORT_UNSUPPORTED', 'no link-layer unicast');
    }
    if (d.interface !== undefined && !this.capabilities.interfaceAware) {
      throw new TransportError('ERR_TRANSPORT_UNSUPPORTED', 'this transport cannot choose an interface');
    }
    if (d.sourceIp !== undefined) requireIp(d.sourceIp);
    if (d.data.length > MAX_UDP_PAYLOAD)
      throw new TransportError('ERR_TRANSPORT_TOO_BIG', `${d.data.length} bytes exceed one frame`);
    try {
      await this.opts.send(d);
    } catch (e) {
      if (e instanceof TransportError) throw e;
      throw new TransportError('ERR_TRANSPORT_SEND_FAILED', e instanceof Error ? e.message : String(e), {
        cause: e,
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.opts.close?.();
    } finally {
      this.emitClose();
    }
  }
}
