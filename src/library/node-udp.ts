import dgram from 'node:dgram';
import type { Datagram, DatagramSocket, DatagramSocketOptions, DatagramTransport } from './datagram.ts';

/** Options of {@link nodeUdp}. */
export interface NodeUdpOptions {
  /** SO_REUSEADDR on every socket (default false). */
  readonly reuseAddr?: boolean;
}

/**
 * A datagram transport (tcpip.js shape) over `node:dgram`: the host's own UDP stack. Sockets have
 * SO_BROADCAST set. Without a route, 255.255.255.255 cannot be sent, so a server replies to the subnet's
 * broadcast address instead (capabilities say so). Serving port 67 needs root or CAP_NET_BIND_SERVICE.
 */
export function nodeUdp(options: NodeUdpOptions = {}): DatagramTransport {
  return {
    capabilities: { broadcastWithoutRoute: false, linkLayerUnicast: false, interfaceAware: false },
    open: (opts?: DatagramSocketOptions) => openSocket(opts ?? {}, options),
  };
}

function openSocket(opts: DatagramSocketOptions, options: NodeUdpOptions): Promise<DatagramSocket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: options.reuseAddr ?? false });
    socket.once('error', reject);
    socket.bind({ port: opts.port ?? 0, address: opts.host ?? '0.0.0.0' }, () => {
      socket.off('error', reject);
      socket.setBroadcast(true);
      resolve(wrap(socket));
    });
  });
}

function wrap(socket: dgram.Socket): DatagramSocket {
  let closed = false;
  const readable = new ReadableStream<Datagram>({
    start(controller) {
      socket.on('message', (data, rinfo) => {
        if (!closed)
          controller.enqueue({ host: rinfo.address, port: rinfo.port, data: new Uint8Array(data) });
      });
      socket.on('close', () => {
        try {
          controller.close();
        } catch {
          // already cancelled by the reader
        }
      });
    },
  });
  const writable = new WritableStream<Datagram>({
    write: (d) =>
      new Promise<void>((resolve, reject) =>
        socket.send(d.data, d.port, d.host, (err) => (err ? reject(err) : resolve())),
      ),
  });
  return {
    readable,
    writable,
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        socket.close(() => resolve());
      }),
  };
}
