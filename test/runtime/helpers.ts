/** A leasekeeper server on a virtual network with one client NIC, for runtime tests without namespaces. */
import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import { compileConfig } from '../../src/config/index.ts';
import type { CompiledConfig } from '../../src/config/types.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import type { LeaseStore } from '../../src/leases/store.ts';
import {
  createMessage,
  decodeMessage,
  messageTypeOf,
  parseMac,
  type DhcpMessage,
} from '../../src/protocol/index.ts';
import { encodeReply } from '../../src/server/encode.ts';
import type { ControlOverrides } from '../../src/control/settings.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { startServer, type ServerOptions, type ServerRuntime } from '../../src/runtime/server.ts';
import type { Transport } from '../../src/transport/types.ts';
import { VirtualNetwork, type VirtualTransport } from '../../src/transport/virtual/index.ts';

export const CLIENT_MAC = '02:00:00:00:00:01';

export function config(extra: Record<string, unknown> = {}): CompiledConfig {
  return compileConfig({
    Dhcp4: {
      'interfaces-config': { interfaces: ['eth0'] },
      'valid-lifetime': 600,
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.110' }] }],
      ...extra,
    },
  });
}

export interface VirtualLab {
  readonly server: ServerRuntime;
  readonly client: VirtualTransport;
  readonly store: LeaseStore;
  /** Sends a request from the client (broadcast from 0.0.0.0 unless `ciaddr` is given). */
  send(m: DhcpMessage): Promise<void>;
  sendRaw(bytes: Uint8Array): Promise<void>;
  /** The next reply the client receives, or undefined after `ms`. */
  reply(ms?: number): Promise<DhcpMessage | undefined>;
  close(): Promise<void>;
}

export async function virtualLab(
  opts: {
    config?: CompiledConfig;
    store?: LeaseStore;
    /** Wraps the server's transport (e.g. to report a receive delay the virtual network does not). */
    wrapTransport?: (t: Transport) => Transport;
    maxDiscoverQueueDelayMs?: number;
    maxRequestQueueDelayMs?: number;
    warmUp?: boolean;
    /** Control listeners (default none). */
    control?: ControlOverrides;
    logger?: Logger;
    clock?: () => number;
    onExchange?: ServerOptions['onExchange'];
    onExchangeReadsText?: boolean;
  } = {},
): Promise<VirtualLab> {
  const net = new VirtualNetwork();
  const lan = net.createLink('lan');
  const srvHost = net.createHost('srv');
  srvHost.attach(lan, { ifname: 'eth0', addresses: ['198.18.0.1/24'] });
  const cliHost = net.createHost('cli');
  cliHost.attach(lan, { ifname: 'eth0', mac: CLIENT_MAC });
  const client = cliHost.openTransport({ port: 68 });
  const store = opts.store ?? new MemoryLeaseStore();
  const server = await startServer({
    config: opts.config ?? config(),
    store,
    transport: {
      transport: (opts.wrapTransport ?? ((t) => t))(srvHost.openTransport({ port: 67 })),
      interfaces: [{ name: 'eth0', addresses: [{ address: '198.18.0.1', prefixLength: 24 }] }],
    },
    logger: opts.logger ?? createLogger({ level: 'silent' }),
    ...(opts.clock === undefined ? {} : { clock: opts.clock }),
    ...(opts.onExchange === undefined ? {} : { onExchange: opts.onExchange }),
    ...(opts.onExchangeReadsText === undefined ? {} : { onExchangeReadsText: opts.onExchangeReadsText }),
    control: opts.control ?? false,
    ...(opts.warmUp === undefined ? {} : { warmUp: opts.warmUp }),
    ...(opts.maxDiscoverQueueDelayMs === undefined
      ? {}
      : { maxDiscoverQueueDelayMs: opts.maxDiscoverQueueDelayMs }),
    ...(opts.maxRequestQueueDelayMs === undefined
      ? {}
      : { maxRequestQueueDelayMs: opts.maxRequestQueueDelayMs }),
  });
  const inbox: DhcpMessage[] = [];
  const waiters: ((m: DhcpMessage) => void)[] = [];
  client.on('message', (data) => {
    const m = decodeMessage(data);
    const w = waiters.shift();
    if (w) w(m);
    else inbox.push(m);
  });
  const sendRaw = (bytes: Uint8Array): Promise<void> =>
    client.send({ data: bytes, ip: '255.255.255.255', port: 67, interface: 'eth0', sourceIp: '0.0.0.0' });
  return {
    server,
    client,
    store,
    send: (m) => sendRaw(encodeRequest(m)),
    sendRaw,
    reply: (ms = 2000) => {
      const queued = inbox.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(done), 1);
          resolve(undefined);
        }, ms);
        const done = (m: DhcpMessage): void => {
          clearTimeout(timer);
          resolve(m);
        };
        waiters.push(done);
      });
    },
    close: async () => {
      await server.stop();
      await client.close();
    },
  };
}

export function request(
  type: number,
  opts: { requested?: string; serverId?: string; xid?: number } = {},
): DhcpMessage {
  const m = createMessage({ xid: opts.xid ?? 0x42, chaddr: parseMac(CLIENT_MAC) });
  m.options.set('dhcp-message-type', type);
  if (opts.requested) m.options.set('dhcp-requested-address', opts.requested);
  if (opts.serverId) m.options.set('dhcp-server-identifier', opts.serverId);
  return m;
}

/** A DISCOVER from the lab's client, answered with an OFFER (or the test fails); resolves the OFFER. */
export async function discoverOffer(lab: VirtualLab): Promise<DhcpMessage> {
  await lab.send(request(1));
  const offer = await lab.reply();
  assert.equal(offer && messageTypeOf(offer), 2);
  return offer!;
}

/** One DISCOVER-OFFER-REQUEST-ACK exchange from the lab's client; resolves the ACK. */
export async function dora(lab: VirtualLab): Promise<DhcpMessage> {
  const offer = await discoverOffer(lab);
  await lab.send(request(3, { requested: offer.yiaddr, serverId: '198.18.0.1' }));
  const ack = await lab.reply();
  assert.equal(ack && messageTypeOf(ack), 5);
  return ack!;
}

function encodeRequest(m: DhcpMessage): Uint8Array {
  return encodeReply({
    message: m,
    maxSize: 1500,
    interface: 'eth0',
    destination: { kind: 'broadcast', address: '255.255.255.255', port: 68 },
  });
}

export { messageTypeOf };
