// The peer helpers against each other: every real client gets a lease from every real server, the event
// script reports it and configures the address, and release removes the lease on the server side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createLab, type Netns } from './netns.ts';
import {
  parseEventLog,
  startDhclient,
  startDhcpcd,
  startDnsmasq,
  startKea,
  startUdhcpc,
  type PeerClient,
  type PeerServer,
} from './peers.ts';

const starters = {
  udhcpc: (ns: Netns) => startUdhcpc(ns, 'eth0', { hostname: 'lab-udhcpc' }),
  dhclient: (ns: Netns) => startDhclient(ns, 'eth0', { hostname: 'lab-dhclient' }),
  dhcpcd: (ns: Netns) => startDhcpcd(ns, 'eth0', { hostname: 'lab-dhcpcd' }),
} as const;

const servers = {
  dnsmasq: (ns: Netns) =>
    startDnsmasq(ns, 'eth0', {
      range: ['198.18.0.100', '198.18.0.150'],
      router: '198.18.0.1',
      leaseTime: 600,
    }),
  kea: (ns: Netns) =>
    startKea(ns, 'eth0', {
      subnet: '198.18.0.0/24',
      pool: '198.18.0.100 - 198.18.0.150',
      router: '198.18.0.1',
      validLifetime: 600,
    }),
} as const;

test('parseEventLog reads events and their environment', () => {
  const evs = parseEventLog(
    '=== event bound\nip=198.18.0.5\nmask=24\n=== end\n=== event deconfig\n=== end\n',
  );
  assert.deepEqual(evs, [
    { reason: 'bound', env: { ip: '198.18.0.5', mask: '24' } },
    { reason: 'deconfig', env: {} },
  ]);
});

for (const [serverName, startServer] of Object.entries(servers)) {
  for (const [clientName, startClient] of Object.entries(starters)) {
    test(`${clientName} gets a lease from ${serverName} and releases it`, async () => {
      const lab = await createLab('pe');
      try {
        const srv = await lab.namespace('srv');
        const cli = await lab.namespace('cli');
        await lab.veth(srv, 'eth0', cli, 'eth0', { bMac: '02:00:00:00:aa:01' });
        await srv.addAddress('eth0', '198.18.0.1/24');
        const server: PeerServer = await startServer(srv);
        const client: PeerClient = startClient(cli);
        const bound = await client.waitForBound(30_000);
        assert.match(bound.address, /^198\.18\.0\.(1[0-4]\d|150)$/);
        assert.equal(bound.prefixLength, 24);
        assert.equal(bound.serverId, '198.18.0.1');
        assert.equal(bound.leaseTime, 600);
        assert.deepEqual(bound.routers, ['198.18.0.1']);
        // the address is configured on the interface (by the script, or by dhcpcd itself)
        for (let i = 0; i < 50; i++) {
          if ((await cli.addresses('eth0')).includes(`${bound.address}/24`)) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.deepEqual(await cli.addresses('eth0'), [`${bound.address}/24`]);
        // no default route was installed
        assert.equal((await cli.run('ip', ['-4', 'route', 'show', 'default'])).stdout.trim(), '');
        // and the server has the lease
        const leases = readFileSync(server.leaseFile, 'utf8');
        assert.ok(leases.includes(bound.address), leases);
        assert.match(leases.toLowerCase(), /02:00:00:00:aa:01/);
        await client.release();
        const logLine =
          serverName === 'dnsmasq'
            ? /DHCPRELEASE\(eth0\) 198\.18\.0\.\d+/
            : /DHCP4_RELEASE .*198\.18\.0\.\d+/;
        await server.proc.waitFor(logLine, 10_000);
      } finally {
        await lab.close();
      }
    });
  }
}
