import { startClient, type DhcpClient, type DhcpClientOptions } from './client.ts';
import { serve, type DhcpServer } from './server.ts';
import type { ServeOptions } from './options.ts';
import { checkSource, type DhcpTransportSource } from './source.ts';

/** What `createDhcp()` resolves to: a server and a client factory over one transport source. */
export interface Dhcp {
  /** Starts a DHCP server on UDP port 67 of the transport. */
  serve(options: ServeOptions): Promise<DhcpServer>;
  /** Starts a DHCP client on UDP port 68 of the transport (broadcasting to 255.255.255.255:67). */
  client(options: DhcpClientOptions): Promise<DhcpClient>;
}

/**
 * The library's entry point, as in `@tcpip/dhcp`: `const dhcp = await createDhcp(stack.udp)`, then
 * `await dhcp.serve({...})` or `await dhcp.client({...})`. Takes a tcpip.js-shaped datagram transport,
 * a leasekeeper Transport, or a factory of Transports by port. Throws ERR_DHCP_TRANSPORT for anything else.
 */
export async function createDhcp(udp: DhcpTransportSource): Promise<Dhcp> {
  checkSource(udp);
  return {
    serve: (options) => serve(udp, options),
    client: (options) => startClient(udp, options),
  };
}
