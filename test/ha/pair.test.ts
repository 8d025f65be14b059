/**
 * Two leasekeepers in one HA relationship on a virtual LAN, talking to each other over their HTTP control
 * listeners on loopback as Kea's HA peers do: each answers its own clients, the leases one grants appear at
 * the other, the survivor of a failure serves everyone (renewals included), and a restarted server syncs
 * its leases from the survivor before both return to normal.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import type { ClientStep } from '../../src/client/actions.ts';
import { DhcpClient } from '../../src/client/engine.ts';
import { compileConfig } from '../../src/config/index.ts';
import { loadBalanceHash } from '../../src/ha/hash.ts';
import { openLeaseStore } from '../../src/leases/open.ts';
import { decodeMessage, messageTypeOf, parseMac, type DhcpMessage } from '../../src/protocol/index.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { startServer, type DhcpServer } from '../../src/runtime/server.ts';
import {
  VirtualNetwork,
  type VirtualLink,
  type VirtualNic,
  type VirtualTransport,
} from '../../src/transport/virtual/index.ts';

const ACK = 5;
const CLIENTS = 12;
const ADDRESS = { server1: '198.18.0.1', server2: '198.18.0.2' } as const;

/** A client host: the project's client engine on real timers; every ACK it receives is recorded. */
class Client {
  readonly mac: string;
  readonly transport: VirtualTransport;
  readonly nic: VirtualNic;
  readonly engine: DhcpClient;
  readonly acks: { address: string; serverId: string; at: number }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(net: VirtualNetwork, lan: VirtualLink, index: number) {
    this.mac = `02:00:00:00:20:${index.toString(16).padStart(2, '0')}`;
    const host = net.createHost(`client${index}`);
    this.nic = host.attach(lan, { ifname: 'eth0', mac: this.mac });
    this.transport = host.openTransport({ port: 68 });
    this.engine = new DhcpClient({
      hwAddress: this.mac,
      arpProbe: false,
      clientId: null,
      retransmit: { kind: 'udhcpc', retries: 1000, timeoutMs: 500, tryAgainMs: 500 },
      nakBackoffMs: 200,
    });
    this.transport.on('message', (data) => this.#receive(data));
  }

  /** Kea's load-balancing hash of this client (it sends no client identifier): 0 is the primary's. */
  get bucket(): number {
    return loadBalanceHash(parseMac(this.mac)) % 2;
  }

  start(): void {
    this.#apply(this.engine.start(Date.now()));
  }

  async close(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.transport.close();
  }

  #receive(data: Buffer): void {
    let m: DhcpMessage;
    try {
      m = decodeMessage(data);
    } catch {
      return;
    }
    if (m.op !== 2 || m.chaddr.subarray(0, 6).join() !== parseMac(this.mac).join()) return;
    if (messageTypeOf(m) === ACK) {
      this.acks.push({
        address: m.yiaddr,
        serverId: m.options.get('dhcp-server-identifier') ?? '',
        at: Date.now(),
      });
    }
    this.#apply(this.engine.handle(Date.now(), m));
  }

  #apply(step: ClientStep): void {
    if (this.#stopped) return;
    for (const a of step.actions) {
      if (a.type === 'send')
        void this.transport.send({ data: a.bytes, ip: a.to, port: 67 }).catch(() => undefined);
      // Renewal ACKs are unicast to the leased address: the host must own it.
      else if (
        a.type === 'configure' &&
        !this.nic.addresses().some((x) => x.startsWith(`${a.lease.address}/`))
      )
        this.nic.addAddress(`${a.lease.address}/24`);
    }
    clearTimeout(this.#timer);
    if (step.deadline !== null) {
      this.#timer = setTimeout(
        () => this.#apply(this.engine.poll(Date.now())),
        Math.max(0, step.deadline - Date.now()),
      );
    }
  }
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Polls `check` every 50 ms; fails with `what` after `limitMs` (a timeout, not a measurement). */
async function until(
  what: string | (() => string),
  check: () => boolean | Promise<boolean>,
  limitMs = 30_000,
): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > giveUpAt) assert.fail(`gave up waiting: ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function haConfig(
  mode: 'load-balancing' | 'hot-standby',
  me: 'server1' | 'server2',
  ports: number[],
): unknown {
  return {
    Dhcp4: {
      'interfaces-config': { interfaces: ['eth0'] },
      'valid-lifetime': 60,
      'renew-timer': 2,
      'rebind-timer': 3,
      'hooks-libraries': [
        { library: '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so' },
        {
          library: '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so',
          parameters: {
            'high-availability': [
              {
                'this-server-name': me,
                mode,
                'heartbeat-delay': 200,
                'max-response-delay': 1000,
                'max-ack-delay': 0,
                'max-unacked-clients': 0,
                peers: [
                  { name: 'server1', url: `http://127.0.0.1:${ports[0]}/`, role: 'primary' },
                  {
                    name: 'server2',
                    url: `http://127.0.0.1:${ports[1]}/`,
                    role: mode === 'load-balancing' ? 'secondary' : 'standby',
                  },
                ],
              },
            ],
          },
        },
      ],
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/24',
          pools:
            mode === 'load-balancing'
              ? [
                  { pool: '198.18.0.100 - 198.18.0.149', 'client-class': 'HA_server1' },
                  { pool: '198.18.0.150 - 198.18.0.199', 'client-class': 'HA_server2' },
                ]
              : [{ pool: '198.18.0.100 - 198.18.0.199' }],
        },
      ],
    },
  };
}

for (const mode of ['load-balancing', 'hot-standby'] as const) {
  describe(`two leasekeepers in ${mode}`, () => {
    const servers = new Map<string, DhcpServer>();
    const clients: Client[] = [];
    after(async () => {
      for (const c of clients) await c.close().catch(() => undefined);
      for (const s of servers.values()) await s.stop().catch(() => undefined);
    });

    it('share the clients, replicate leases, fail over and sync back', async () => {
      const ports = [await freePort(), await freePort()];
      const net = new VirtualNetwork();
      const lan = net.createLink('lan');
      const hosts = new Map(
        (['server1', 'server2'] as const).map((name) => {
          const host = net.createHost(name);
          host.attach(lan, { ifname: 'eth0', addresses: [`${ADDRESS[name]}/24`] });
          return [name, host] as const;
        }),
      );
      const start = async (name: 'server1' | 'server2'): Promise<DhcpServer> => {
        const s = await startServer({
          config: compileConfig(haConfig(mode, name, ports)),
          store: await openLeaseStore({ type: 'memory' }),
          transport: {
            transport: hosts.get(name)!.openTransport({ port: 67 }),
            interfaces: [{ name: 'eth0', addresses: [{ address: ADDRESS[name], prefixLength: 24 }] }],
          },
          logger: createLogger({ level: process.env['HA_TEST_LOG'] === undefined ? 'silent' : 'info' }),
          control: { controlHttp: `127.0.0.1:${ports[name === 'server1' ? 0 : 1]}` },
        });
        servers.set(name, s);
        return s;
      };
      const s1 = await start('server1');
      let s2 = await start('server2');
      await until(`both in ${mode}`, () => s1.ha?.state === mode && s2.ha?.state === mode);

      for (let i = 0; i < CLIENTS; i++) clients.push(new Client(net, lan, i));
      for (const c of clients) c.start();
      await until('every client bound', () => clients.every((c) => c.acks.length > 0));

      // Who answers whom: by the RFC 3074 bucket in load balancing, the primary alone in hot standby.
      const expected = (c: Client): string =>
        mode === 'load-balancing' && c.bucket === 1 ? ADDRESS.server2 : ADDRESS.server1;
      for (const c of clients) assert.equal(c.acks[0]!.serverId, expected(c), `first ACK of ${c.mac}`);
      if (mode === 'load-balancing') {
        assert.ok(clients.some((c) => c.bucket === 0) && clients.some((c) => c.bucket === 1));
        // Each got an address of its own server's pool (class HA_<server>).
        for (const c of clients) {
          const last = Number(c.acks[0]!.address.split('.')[3]);
          assert.equal(last >= 150, c.bucket === 1, `${c.mac} got ${c.acks[0]!.address}`);
        }
      }
      // Every lease is at both servers (lease4-update to the partner before the ACK).
      for (const c of clients) {
        const address = c.acks[0]!.address;
        for (const s of [s1, s2]) assert.equal((await s.store.get(address))?.hwAddress, c.mac);
      }

      // The server that answers clients dies: the other takes over after max-response-delay.
      const [survivor, victim] =
        mode === 'load-balancing' ? [s1, 'server2' as const] : [s2, 'server1' as const];
      await servers.get(victim)!.stop();
      servers.delete(victim);
      await until('the survivor in partner-down', () => survivor.ha?.state === 'partner-down');
      const downAt = Date.now();
      // Every client renews (or rebinds) with the survivor, keeping its address.
      const survivorId = ADDRESS[victim === 'server1' ? 'server2' : 'server1'];
      const servedBySurvivor = (c: Client): boolean =>
        c.acks.some((a) => a.at >= downAt && a.serverId === survivorId);
      await until(
        () =>
          `every client served by the survivor; not: ${clients
            .filter((c) => !servedBySurvivor(c))
            .map((c) => `${c.mac} ${JSON.stringify(c.acks.slice(-2))}`)
            .join(', ')}`,
        () => clients.every(servedBySurvivor),
      );
      for (const c of clients) {
        const later = c.acks.filter((a) => a.at >= downAt);
        assert.ok(
          later.every((a) => a.address === c.acks[0]!.address),
          `${c.mac} kept its address`,
        );
      }

      // The victim returns with an empty store: it syncs from the survivor, then both are back to normal.
      const back = await start(victim);
      if (victim === 'server2') s2 = back;
      await until(`both back in ${mode}`, () => survivor.ha?.state === mode && back.ha?.state === mode);
      for (const c of clients) {
        assert.equal((await back.store.get(c.acks[0]!.address))?.hwAddress, c.mac, `${c.mac} synced`);
      }
      const status = (await back.target.ha!.status()) as { 'ha-servers': { local: { state: string } } };
      assert.equal(status['ha-servers'].local.state, mode);
    });
  });
}
