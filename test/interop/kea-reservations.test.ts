// Kea dialect in namespaces: a shared network of two subnets on one link (the first full), a client
// behind dhcrelay reserved by its circuit id, dhcpcd (RFC 4361 client id) reserved by its DUID, and
// host-reservation-identifiers deciding between two reservations that match one client.
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLab, type Netns } from '../lab/netns.ts';
import { serverAndClient, serverAndTwoClients } from '../lab/server-client.ts';
import { startDhcpcd, startUdhcpc } from '../lab/peers.ts';
import { leasesOf, relayedLab, routedSubnet, startLabRelay, startLeasekeeper } from './harness.ts';

const { test } = requiring('root', 'ip', 'busybox', 'dhcrelay', 'dhcpcd');

test('shared network: the first subnet full, a new udhcpc client gets an address from the second', async () => {
  const lab = await createLab('ksn');
  try {
    const [srv, c1, c2] = await serverAndTwoClients(
      lab,
      ['c1', '02:00:00:00:5a:01'],
      ['c2', '02:00:00:00:5a:02'],
    );
    const server = await startLeasekeeper(srv, {
      dhcp4: {
        'valid-lifetime': 600,
        'shared-networks': [
          {
            name: 'one-link',
            interface: 'eth0',
            subnet4: [routedSubnet(1, '198.18.0', 10, 10), routedSubnet(2, '198.18.1', 10, 20)],
          },
        ],
      },
    });
    const first = startUdhcpc(c1, 'eth0');
    assert.equal((await first.waitForBound(30_000)).address, '198.18.0.10');
    const second = startUdhcpc(c2, 'eth0');
    const bound = await second.waitForBound(30_000);
    assert.equal(bound.address, '198.18.1.10');
    assert.deepEqual(bound.routers, ['198.18.1.1']);
    const leases = await leasesOf(server);
    assert.deepEqual(leases.map((l) => [l['ip-address'], l['subnet-id']]).sort(), [
      ['198.18.0.10', 1],
      ['198.18.1.10', 2],
    ]);
    await first.stop();
    await second.stop();
    assert.equal(await server.stop(), 0);
  } finally {
    await lab.close();
  }
});

test('a client behind dhcrelay -a is reserved by its circuit id (the relay interface name)', async () => {
  const lab = await createLab('kci');
  try {
    const { srv, rly, cli } = await relayedLab(lab, '02:00:00:00:5b:01');
    const server = await startLeasekeeper(srv, {
      dhcp4: {
        'valid-lifetime': 600,
        'host-reservation-identifiers': ['circuit-id', 'hw-address'],
        subnet4: [
          {
            ...routedSubnet(2, '198.18.1', 100, 150),
            reservations: [{ 'circuit-id': "'down0'", 'ip-address': '198.18.1.77', hostname: 'by-port' }],
          },
        ],
      },
    });
    await startLabRelay(rly);
    const client = startUdhcpc(cli, 'eth0');
    const bound = await client.waitForBound(30_000);
    assert.equal(bound.address, '198.18.1.77');
    await client.stop();
    assert.equal(await server.stop(), 0);
  } finally {
    await lab.close();
  }
});

const DUID = '00:03:00:01:02:00:00:00:5c:99';
const MAC = '02:00:00:00:5c:01';

/** dhcpcd with a DUID it reads from its database directory (so its client id is ff:IAID:DUID). */
function dhcpcdWithDuid(cli: Netns): ReturnType<typeof startDhcpcd> {
  const db = join(cli.dir, 'dhcpcd-eth0', 'db');
  mkdirSync(db, { recursive: true });
  writeFileSync(join(db, 'duid'), `${DUID}\n`);
  return startDhcpcd(cli, 'eth0');
}

for (const [order, expected] of [
  [['hw-address', 'duid'], '198.18.0.91'],
  [['duid', 'hw-address'], '198.18.0.92'],
] as const) {
  test(`dhcpcd matches a hw-address and a duid reservation: ${order.join(', ')} gives ${expected}`, async () => {
    const lab = await createLab('kdu');
    try {
      const { srv, cli } = await serverAndClient(lab, MAC);
      const server = await startLeasekeeper(srv, {
        dhcp4: {
          'valid-lifetime': 600,
          'host-reservation-identifiers': order,
          subnet4: [
            {
              id: 1,
              subnet: '198.18.0.0/24',
              pools: [{ pool: '198.18.0.10 - 198.18.0.20' }],
              reservations: [
                { 'hw-address': MAC, 'ip-address': '198.18.0.91' },
                { duid: DUID, 'ip-address': '198.18.0.92' },
              ],
            },
          ],
        },
      });
      const client = dhcpcdWithDuid(cli);
      const bound = await client.waitForBound(30_000);
      assert.equal(bound.address, expected);
      const lease = (await leasesOf(server)).find((l) => l['ip-address'] === expected);
      assert.match(String(lease?.['client-id'] ?? ''), new RegExp(`^ff:.{11}:${DUID}$`));
      await client.stop();
      assert.equal(await server.stop(), 0);
    } finally {
      await lab.close();
    }
  });
}
