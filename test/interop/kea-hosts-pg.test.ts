// Kea host databases (schema by Debian's kea-admin) in namespaces: a reservation-add sent to one
// `leasekeeper serve` is handed to busybox udhcpc, with its options, by a second leasekeeper on another
// link, and by Kea 2.2's kea-dhcp4 itself (the rows are Kea's layout).
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createLab, type Lab, type Netns } from '../lab/netns.ts';
import { startKea, startUdhcpc } from '../lab/peers.ts';
import { startTempCluster, type TempCluster } from '../leases/pg-cluster.ts';
import { eventually, startLeasekeeper } from './harness.ts';

const { test } = requiring('root', 'ip', 'busybox', 'postgresql', 'kea-admin', 'kea-dhcp4');

const MAC = '02:00:00:00:5d:01';

/** A database with Kea's host tables, made by kea-admin: its name and the socket directory to reach it. */
async function keaHostsDatabase(cluster: TempCluster): Promise<{ name: string; socket: string }> {
  const name = await cluster.createDatabase('kea_hosts');
  const socket = cluster.connection(name).host as string;
  execFileSync(
    'runuser',
    ['-u', 'postgres', '--', 'kea-admin', 'db-init', 'pgsql', '-u', 'postgres', '-n', name, '-h', socket],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return { name, socket };
}

/**
 * Two links: leasekeeper A (198.18.0.1) alone on the first, server `second` (198.18.0.2) with the client on
 * the other, so the client can only be served by the second server.
 */
async function twoLinks(lab: Lab, second: string): Promise<{ srvA: Netns; other: Netns; cli: Netns }> {
  const srvA = await lab.namespace('a');
  const other = await lab.namespace(second);
  const cli = await lab.namespace('c');
  await lab.bridge('bra', [{ ns: srvA, ifname: 'eth0' }]);
  await lab.bridge(`br${second}`, [
    { ns: other, ifname: 'eth0' },
    { ns: cli, ifname: 'eth0', mac: MAC },
  ]);
  await srvA.addAddress('eth0', '198.18.0.1/24');
  await other.addAddress('eth0', '198.18.0.2/24');
  return { srvA, other, cli };
}

test('a reservation added on one server is served by another on the same database to udhcpc', async () => {
  const cluster = await startTempCluster();
  const lab = await createLab('khp');
  try {
    const { name, socket } = await keaHostsDatabase(cluster);
    const { srvA, other: srvB, cli } = await twoLinks(lab, 'b');
    const dhcp4 = {
      'valid-lifetime': 600,
      'hosts-database': { type: 'postgresql', name, host: socket, user: 'postgres' },
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/24',
          pools: [{ pool: '198.18.0.100 - 198.18.0.150' }],
          'option-data': [{ name: 'routers', data: '198.18.0.1' }],
        },
      ],
    };
    const a = await startLeasekeeper(srvA, { name: 'a', dhcp4 });
    const b = await startLeasekeeper(srvB, { name: 'b', dhcp4 });

    const added = await a.ctl('reservation-add', {
      reservation: {
        'subnet-id': 1,
        'hw-address': MAC,
        'ip-address': '198.18.0.77',
        'option-data': [{ name: 'domain-name-servers', data: '198.18.0.53' }],
      },
    });
    assert.deepEqual(added, { result: 0, text: 'Host added.' });
    // B reads the tables again within its refresh interval (10 s) and says so in one line.
    await eventually(
      async () => (/host databases: 1 hosts served/.test(b.proc.output()) ? true : undefined),
      30_000,
      "server B's refresh",
    );

    const client = startUdhcpc(cli, 'eth0');
    const bound = await client.waitForBound(30_000);
    assert.equal(bound.address, '198.18.0.77');
    assert.deepEqual(bound.dnsServers, ['198.18.0.53']);
    await client.stop();
    assert.equal(await b.stop(), 0);
    assert.equal(await a.stop(), 0);
  } finally {
    await lab.close();
    await cluster.stop();
  }
});

test("Kea 2.2's kea-dhcp4 serves a reservation leasekeeper wrote into its host tables", async () => {
  const cluster = await startTempCluster();
  const lab = await createLab('khk');
  try {
    const { name, socket } = await keaHostsDatabase(cluster);
    const { srvA, other: srvK, cli } = await twoLinks(lab, 'k');
    const hostsDatabase = { type: 'postgresql', name, host: socket, user: 'postgres' };
    const a = await startLeasekeeper(srvA, {
      name: 'a',
      dhcp4: {
        'hosts-database': hostsDatabase,
        subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.150' }] }],
      },
    });
    const added = await a.ctl('reservation-add', {
      reservation: {
        'subnet-id': 1,
        'hw-address': MAC,
        'ip-address': '198.18.0.78',
        hostname: 'from-leasekeeper',
        'option-data': [
          { name: 'domain-name-servers', data: '198.18.0.53, 198.18.0.54' },
          { code: 42, data: 'c6120099', 'csv-format': false },
        ],
      },
    });
    assert.deepEqual(added, { result: 0, text: 'Host added.' });
    const kea = await startKea(srvK, 'eth0', {
      subnet: '198.18.0.0/24',
      pool: '198.18.0.100 - 198.18.0.150',
      extraDhcp4: { 'hosts-database': hostsDatabase },
    });
    const client = startUdhcpc(cli, 'eth0');
    const bound = await client.waitForBound(30_000);
    assert.equal(bound.address, '198.18.0.78', kea.proc.output());
    assert.deepEqual(bound.dnsServers, ['198.18.0.53', '198.18.0.54']);
    await client.stop();
    await kea.stop();
    assert.equal(await a.stop(), 0);
  } finally {
    await lab.close();
    await cluster.stop();
  }
});
