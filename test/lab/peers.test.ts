// The peer helpers against each other: every real client gets a lease from every real server, the event
// script reports it and configures the address, and release removes the lease on the server side.
import { requiring } from './needs.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createLab, type Netns } from './netns.ts';
import { serverAndClient } from './server-client.ts';
import {
  parseEventLog,
  startDhclient,
  startDhcpcd,
  startDhcrelay,
  startDnsmasq,
  startKea,
  startUdhcpc,
  type PeerClient,
  type PeerServer,
} from './peers.ts';

const { test } = requiring(
  'root',
  'ip',
  'busybox',
  'dhclient',
  'dhcpcd',
  'dhcrelay',
  'dnsmasq',
  'kea-dhcp4',
  'tcpdump',
);

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
        const { srv, cli } = await serverAndClient(lab, '02:00:00:00:aa:01');
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
        await server.proc.waitFor(logLine, 20_000);
      } finally {
        await lab.close();
      }
    });
  }
}

test('dhclient starting from a foreign lease is NAKed (INIT-REBOOT), then binds afresh', async () => {
  const lab = await createLab('pe');
  try {
    const { srv, cli } = await serverAndClient(lab);
    const server = await servers.dnsmasq(srv);
    const client = startDhclient(cli, 'eth0', { previousLease: { address: '198.19.77.7' } });
    const bound = await client.waitForBound(40_000);
    assert.match(bound.address, /^198\.18\.0\./);
    assert.match(server.proc.output(), /DHCPNAK\(eth0\) 198\.19\.77\.7 .*wrong network/);
    const reasons = client.events().map((e) => e.reason);
    assert.ok(
      reasons.indexOf('EXPIRE') >= 0 && reasons.indexOf('EXPIRE') < reasons.indexOf('BOUND'),
      reasons.join(),
    );
  } finally {
    await lab.close();
  }
});

test('udhcpc behind dhcrelay -a gets a lease from the relay subnet of Kea', async () => {
  const lab = await createLab('pe');
  try {
    const srv = await lab.namespace('srv');
    const rly = await lab.namespace('rly');
    const cli = await lab.namespace('cli');
    await lab.veth(srv, 'eth0', rly, 'eth1');
    await lab.veth(rly, 'eth0', cli, 'eth0', { bMac: '02:00:00:00:aa:05' });
    await srv.addAddress('eth0', '198.18.0.1/24');
    await rly.addAddress('eth1', '198.18.0.2/24');
    await rly.addAddress('eth0', '198.18.1.1/24');
    assert.equal((await srv.run('ip', ['route', 'add', '198.18.1.0/24', 'via', '198.18.0.2'])).code, 0);
    const kea = await startKea(srv, 'eth0', {
      subnet: '198.18.0.0/24',
      pool: '198.18.0.100 - 198.18.0.150',
      extraDhcp4: {
        subnet4: [
          { id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.150' }] },
          { id: 2, subnet: '198.18.1.0/24', pools: [{ pool: '198.18.1.100 - 198.18.1.150' }] },
        ],
      },
    });
    await startDhcrelay(rly, {
      downstream: 'eth0',
      upstream: 'eth1',
      server: '198.18.0.1',
      agentOptions: true,
    });
    const client = startUdhcpc(cli, 'eth0');
    const bound = await client.waitForBound(30_000);
    assert.match(bound.address, /^198\.18\.1\.(1[0-4]\d|150)$/);
    assert.equal(bound.serverId, '198.18.0.1');
    // Kea's lease file: address, MAC, subnet id 2 (chosen by giaddr)
    const row = readFileSync(kea.leaseFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${bound.address},`));
    assert.ok(row, readFileSync(kea.leaseFile, 'utf8'));
    assert.equal(row.split(',')[1], '02:00:00:00:aa:05');
    assert.equal(row.split(',')[5], '2');
  } finally {
    await lab.close();
  }
});
