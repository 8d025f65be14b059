import { EmbeddedTransport } from '../transport/index.ts';
import type { Transport } from '../transport/index.ts';
import type { DatagramTransport } from './datagram.ts';

/**
 * Opens `port` on a datagram transport (tcpip.js shape) and wraps the socket as a leasekeeper Transport:
 * an EmbeddedTransport fed by a read loop over `readable`, sending through `writable`.
 */
export async function transportFromDatagrams(udp: DatagramTransport, port: number): Promise<Transport> {
  const socket = await udp.open({ port });
  const writer = socket.writable.getWriter();
  const reader = socket.readable.getReader();
  let closed = false;
  const transport = new EmbeddedTransport({
    port,
    capabilities: { broadcastWithoutRoute: true, ...udp.capabilities },
    send: (d) => writer.write({ host: d.ip, port: d.port, data: d.data }),
    close: async () => {
      closed = true;
      await reader.cancel().catch(() => undefined);
      reader.releaseLock();
      writer.releaseLock();
      await socket.close();
    },
  });
  void (async () => {
    while (!closed) {
      const { done, value } = await reader.read();
      if (done) break;
      transport.deliver(value.data, { sourceIp: value.host, sourcePort: value.port });
    }
  })().catch(() => undefined);
  return transport;
}
