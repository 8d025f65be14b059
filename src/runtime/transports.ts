import { LinuxTransport } from '../transport/linux/transport.ts';
import { nativeAddon } from '../transport/linux/native.ts';
import { TransportError } from '../transport/errors.ts';
import type { Transport } from '../transport/types.ts';
import { UdpTransport } from '../transport/udp.ts';
import type { ServedInterface } from './interfaces.ts';

export interface TransportChoice {
  readonly transport: Transport;
  /** What was opened and why, for the start-up log. */
  readonly note: string;
}

export interface OpenTransportOptions {
  readonly interfaces: readonly ServedInterface[];
  /** Kea's `dhcp-socket-type`: `raw` wants packet sockets, `udp` plain UDP. */
  readonly socketType: 'raw' | 'udp';
  /** UDP port to serve (67 unless testing). */
  readonly port: number;
  /** Packet socket receive buffer; default SERVER_RECEIVE_BUFFER_BYTES. */
  readonly receiveBufferBytes?: number;
}

/**
 * A short queue, as Kea's 64-packet one: past its capacity a server with a deep socket backlog answers
 * requests that are seconds old (perfdhcp measured ~900 ms delays and 10-25% losses with 4 MiB at 3,500-5,000
 * offered/s, ~30-60 ms and under 5% on REQUESTs with 256 KiB). Frames beyond it are dropped by the kernel and
 * the clients retransmit.
 */
export const SERVER_RECEIVE_BUFFER_BYTES = 256 * 1024;

/**
 * The `linux` transport (a UDP and a packet socket per interface) when raw sockets are wanted and possible:
 * the native addon is built and we are root. Otherwise one `udp` socket on 0.0.0.0: it cannot tell
 * interfaces apart, cannot unicast to a client that has no address yet (replies are broadcast instead) and
 * needs a route for 255.255.255.255 (the runtime broadcasts to the subnet's broadcast address instead).
 */
export async function openTransport(opts: OpenTransportOptions): Promise<TransportChoice> {
  let why = 'dhcp-socket-type "udp"';
  if (opts.socketType === 'raw') {
    const native = nativeAddon();
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!(native instanceof TransportError) && root) {
      const transport = await LinuxTransport.open({
        interfaces: opts.interfaces.map((i) => i.name),
        port: opts.port,
        receiveBufferBytes: opts.receiveBufferBytes ?? SERVER_RECEIVE_BUFFER_BYTES,
      });
      return {
        transport,
        note: `linux packet sockets on ${opts.interfaces.map((i) => i.name).join(', ')} port ${opts.port}`,
      };
    }
    why = native instanceof TransportError ? `raw sockets unavailable: ${native.message}` : 'not root';
  }
  const transport = await UdpTransport.open({ port: opts.port });
  return { transport, note: `udp 0.0.0.0:${opts.port} (${why})` };
}
