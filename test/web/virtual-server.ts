/** The server the dashboard and WebSocket tests drive: the runtime on a fresh virtual LAN, logging nothing. */
import { pino } from 'pino';
import { compileConfig } from '../../src/config/index.ts';
import type { LeaseStore } from '../../src/leases/index.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import { startServer, type ServerRuntime } from '../../src/runtime/index.ts';
import { VirtualNetwork, type VirtualLink } from '../../src/transport/virtual/index.ts';

export interface VirtualServer {
  readonly net: VirtualNetwork;
  /** The LAN the server answers on: attach clients here. */
  readonly lan: VirtualLink;
  readonly server: ServerRuntime;
}

/**
 * Starts the runtime with `config` (Kea's JSON) on eth0 of host `srv`, at `address` (default 198.18.0.1/24),
 * with an in-memory lease store unless `store` is given.
 */
export async function virtualServer(
  config: unknown,
  options: { readonly store?: LeaseStore; readonly address?: string } = {},
): Promise<VirtualServer> {
  const cidr = options.address ?? '198.18.0.1/24';
  const [address = '', prefix = ''] = cidr.split('/');
  const net = new VirtualNetwork();
  const lan = net.createLink('lan');
  const host = net.createHost('srv');
  host.attach(lan, { ifname: 'eth0', mac: '02:00:00:00:00:01', addresses: [cidr] });
  const server = await startServer({
    config: compileConfig(config),
    store: options.store ?? new MemoryLeaseStore(),
    transport: {
      transport: host.openTransport({ port: 67 }),
      interfaces: [{ name: 'eth0', addresses: [{ address, prefixLength: Number(prefix) }] }],
    },
    logger: pino({ level: 'silent' }),
  });
  return { net, lan, server };
}
