/**
 * Plain node:dgram. Portable and enough for relayed traffic (RFC 2131 §4.1: replies to giaddr go by
 * unicast to port 67) and for hosts whose clients all have addresses. Its limits, by design of BSD
 * sockets as Node exposes them:
 * - it cannot tell which interface a datagram came in on, nor its destination IP or source MAC;
 * - it cannot send to a MAC: a unicast to a client without an address needs an ARP entry it cannot add;
 * - 255.255.255.255 needs a route (ENETUNREACH without one) and leaves by whichever interface that is.
 */
import dgram from 'node:dgram';
import { requireIp, requirePort } from './addr.ts';
import { TransportEmitter } from './emitter.ts';
import { TransportError } from './errors.ts';
import { MAX_UDP_PAYLOAD } from './frame.ts';
import type { RateLimitedLog } from '../log/index.ts';
import {
  overflowReporter,
  SendBacklog,
  type SendQueueLimits,
  type SendQueueOverflow,
} from './send-backlog.ts';
import type {
  DatagramMeta,
  InterfaceRef,
  OutboundDatagram,
  Transport,
  TransportCapabilities,
} from './types.ts';

/** What a datagram read from a UDP socket tells: its source, nothing of the link. */
export function udpMeta(
  rinfo: dgram.RemoteInfo,
  port: number,
  iface: InterfaceRef | undefined,
): DatagramMeta {
  return {
    interface: iface,
    sourceIp: rinfo.address,
    sourcePort: rinfo.port,
    destinationIp: undefined,
    destinationPort: port,
    sourceMac: undefined,
    linkBroadcast: undefined,
  };
}

export interface UdpTransportOptions {
  port: number;
  /** Bind address; default 0.0.0.0. */
  address?: string;
  /** SO_REUSEADDR, so a second process can bind the same port (default false). */
  reuseAddr?: boolean;
  /** Bounds of node:dgram's send queue (see send-backlog.ts). */
  sendQueue?: SendQueueLimits;
  /** Repeated drops are reported once per interval with a count; default 5000 ms. */
  logIntervalMs?: number;
}

export class UdpTransport extends TransportEmitter implements Transport {
  readonly kind = 'udp' as const;
  readonly capabilities: TransportCapabilities = {
    linkLayerUnicast: false,
    interfaceAware: false,
    broadcastWithoutRoute: false,
  };
  private readonly socket: dgram.Socket;
  private readonly backlog: SendBacklog;
  private readonly overflows: RateLimitedLog<SendQueueOverflow>;
  readonly port: number;
  private constructor(socket: dgram.Socket, port: number, opts: UdpTransportOptions) {
    super();
    this.socket = socket;
    this.port = port;
    this.backlog = new SendBacklog(opts.sendQueue);
    this.overflows = overflowReporter((e) => this.emitError(e), opts.logIntervalMs);
    socket.on('message', (data, rinfo) => this.emitMessage(data, udpMeta(rinfo, this.port, undefined)));
    socket.on('error', (e: NodeJS.ErrnoException) =>
      this.emitError(
        new TransportError('ERR_TRANSPORT_RECEIVE_FAILED', e.message, { syscallCode: e.code, cause: e }),
      ),
    );
  }

  /** Binds the socket; rejects with ERR_TRANSPORT_BIND_FAILED (e.g. EADDRINUSE, EACCES below port 1024). */
  static open(opts: UdpTransportOptions): Promise<UdpTransport> {
    return new Promise((resolve, reject) => {
      let port: number;
      try {
        port = requirePort(opts.port);
        if (opts.address !== undefined) requireIp(opts.address);
      } catch (e) {
        reject(e);
        return;
      }
      const socket = dgram.createSocket({ type: 'udp4', reuseAddr: opts.reuseAddr ?? false });
      const onError = (e: NodeJS.ErrnoException): void => {
        socket.close();
        reject(
          new TransportError(
            'ERR_TRANSPORT_BIND_FAILED',
            `bind ${opts.address ?? '0.0.0.0'}:${port}: ${e.message}`,
            {
              syscallCode: e.code,
              cause: e,
            },
          ),
        );
      };
      socket.once('error', onError);
      socket.bind({ port, address: opts.address ?? '0.0.0.0', exclusive: true }, () => {
        socket.off('error', onError);
        socket.setBroadcast(true);
        resolve(new UdpTransport(socket, socket.address().port, opts));
      });
    });
  }

  interfaces(): readonly InterfaceRef[] {
    return [];
  }

  send(d: OutboundDatagram): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new TransportError('ERR_TRANSPORT_CLOSED', 'transport is closed'));
      try {
        requireIp(d.ip);
        requirePort(d.port);
      } catch (e) {
        return reject(e);
      }
      if (d.mac !== undefined) {
        return reject(
          new TransportError('ERR_TRANSPORT_UNSUPPORTED', 'the udp transport cannot send to a MAC address'),
        );
      }
      if (d.interface !== undefined || d.sourceIp !== undefined) {
        return reject(
          new TransportError(
            'ERR_TRANSPORT_UNSUPPORTED',
            'the udp transport cannot choose interface or source IP',
          ),
        );
      }
      if (d.data.length > MAX_UDP_PAYLOAD) {
        return reject(new TransportError('ERR_TRANSPORT_TOO_BIG', `${d.data.length} bytes exceed one frame`));
      }
      const size = d.data.length;
      if (!this.backlog.admit(size)) {
        this.overflows.hit({
          interface: undefined,
          bytes: this.backlog.bytes,
          datagrams: this.backlog.datagrams,
        });
        return reject(this.backlog.fullError(undefined));
      }
      try {
        this.socket.send(d.data, d.port, d.ip, (err) => {
          this.backlog.release(size);
          if (!err) return resolve();
          const code = (err as NodeJS.ErrnoException).code;
          reject(
            new TransportError(
              code === 'ENETUNREACH' ? 'ERR_TRANSPORT_NO_ROUTE' : 'ERR_TRANSPORT_SEND_FAILED',
              err.message,
              {
                syscallCode: code,
                cause: err,
              },
            ),
          );
        });
      } catch (e) {
        // Refused before it was queued (a closed socket): the executor turns the throw into the rejection.
        this.backlog.release(size);
        throw e;
      }
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    // The drops counted since the last line are reported before `error` events stop.
    this.overflows.flush();
    this.closed = true;
    return new Promise((resolve) => {
      this.socket.close(() => {
        this.emitClose();
        resolve();
      });
    });
  }
}
