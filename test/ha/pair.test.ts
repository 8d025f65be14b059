/**
 * Two leasekeepers in one HA relationship on a virtual LAN, talking to each other over their HTTP control
 * listeners on loopback as Kea's HA peers do: each answers its own clients, the leases one grants appear at
 * the other, the survivor of a failure serves everyone (renewals included), and a restarted server syncs
 * its leases from the survivor before both return to normal.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { compileConfig } from '../../src/config/index.ts';
import { openLeaseStore } from '../../src/leases/open.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { startServer, type ServerRuntime } from '../../src/runtime/server.ts';
import { VirtualNetwork } from '../../src/transport/virtual/index.ts';
import { Client, freePort, haSubnet, until } from './helpers.ts';

const CLIENTS = 12;
const ADDRESS = { server1: '198.18.0.1', server2: '198.18.0.2' } as const;

function haConfig(
  mode: 'load-balancing' | 'hot-standby',
  me: 'server1' | 'server2',
  ports: number[],
): unknown {
  return {
    Dhcp4: {
      'interfaces-config': { interfaces: ['eth0'] },
      // The client's floors: T1 at least 15 s, a lease at least 30 s.
      'valid-lifetime': 30,
      'renew-timer': 15,
      'rebind-timer': 16,
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
      subnet4: [haSubnet(mode)],
    },
  };
}

for (const mode of ['load-balancing', 'hot-standby'] as const) {
  describe(`two leasekeepers in ${mode}`, () => {
    const servers = new Map<string, ServerRuntime>();
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
      const start = async (name: 'server1' | 'server2'): Promise<ServerRuntime> => {
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
