/** What the HA tests share: a client host on the virtual LAN and waiting helpers. */
import { createServer } from 'node:net';
import type { ClientLease } from '../../src/client/index.ts';
import { loadBalanceHash } from '../../src/ha/hash.ts';
import { messageTypeOf, parseMac, type DhcpMessage } from '../../src/protocol/index.ts';
import type { VirtualLink, VirtualNetwork } from '../../src/transport/virtual/index.ts';
import { EngineClient } from '../lab/engine-client.ts';

export { until } from '../lab/engine-client.ts';

/** The `hooks-libraries` setting that makes server `name` a member of an active-active group on a shared database. */
export function activeActiveHooks(
  name: string,
  heartbeatDelay: number,
  maxResponseDelay: number,
): Record<string, unknown>[] {
  return [
    {
      library: 'libdhcp_ha.so',
      parameters: {
        'high-availability': [
          {
            'this-server-name': name,
            mode: 'active-active',
            'heartbeat-delay': heartbeatDelay,
            'max-response-delay': maxResponseDelay,
          },
        ],
      },
    },
  ];
}

const ACK = 5;

/** A client host: the project's client engine on real timers; every ACK it receives is recorded. */
export class Client extends EngineClient {
  readonly acks: { address: string; serverId: string; at: number }[] = [];

  constructor(net: VirtualNetwork, lan: VirtualLink, index: number, macPrefix = '02:00:00:00:20') {
    super(net.createHost(`client${index}`), lan, `${macPrefix}:${index.toString(16).padStart(2, '0')}`, {
      arpProbe: false,
      clientId: null,
      retransmit: { kind: 'udhcpc', retries: 1000, timeoutMs: 500, tryAgainMs: 500 },
      nakBackoffMs: 200,
    });
  }

  /** The RFC 3074 hash of this client (it sends no client identifier, so of its MAC). */
  get hash(): number {
    return loadBalanceHash(parseMac(this.mac));
  }

  /** Kea's load-balancing bucket between two servers: 0 is the primary's. */
  get bucket(): number {
    return this.hash % 2;
  }

  protected override received(m: DhcpMessage): boolean {
    if (messageTypeOf(m) === ACK) {
      this.acks.push({
        address: m.yiaddr,
        serverId: m.options.get('dhcp-server-identifier') ?? '',
        at: Date.now(),
      });
    }
    return true;
  }

  // Renewal ACKs are unicast to the leased address: the host must own it.
  protected override configured(lease: ClientLease): void {
    if (!this.nic.addresses().some((x) => x.startsWith(`${lease.address}/`)))
      this.nic.addAddress(`${lease.address}/24`);
  }
}

/**
 * The HA pair's one subnet: in load balancing each server's half of the pool is reserved to its class
 * (`HA_server1`, `HA_server2`, as Kea's HA hook assigns them); in hot standby one pool.
 */
export function haSubnet(mode: 'load-balancing' | 'hot-standby'): Record<string, unknown> {
  return {
    id: 1,
    subnet: '198.18.0.0/24',
    pools:
      mode === 'load-balancing'
        ? [
            { pool: '198.18.0.100 - 198.18.0.149', 'client-class': 'HA_server1' },
            { pool: '198.18.0.150 - 198.18.0.199', 'client-class': 'HA_server2' },
          ]
        : [{ pool: '198.18.0.100 - 198.18.0.199' }],
  };
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
