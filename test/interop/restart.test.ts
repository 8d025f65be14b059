// Leases survive a server restart: the restarted server (same SQLite lease file) lists the lease before any
// client speaks, ACKs the renewing client's same address, and does not hand that address to a newcomer.
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { createLab } from '../lab/netns.ts';
import { serverAndTwoClients } from '../lab/server-client.ts';
import { startUdhcpc } from '../lab/peers.ts';
import { eventually, leasesOf, startLeasekeeper } from './harness.ts';

const { test } = requiring('root', 'ip', 'busybox');

const DHCP4 = {
  'valid-lifetime': 600,
  subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.150' }] }],
};

test('after a restart on the same lease file a renewing client keeps its address', async () => {
  const lab = await createLab('irs');
  try {
    const [srv, cli, other] = await serverAndTwoClients(
      lab,
      ['cli', '02:00:00:00:cc:01'],
      ['oth', '02:00:00:00:cc:02'],
    );
    const first = await startLeasekeeper(srv, { dhcp4: DHCP4 });
    const client = startUdhcpc(cli, 'eth0');
    const bound = await client.waitForBound(30_000);
    assert.equal(await first.stop(), 0);

    const second = await startLeasekeeper(srv, { dhcp4: DHCP4, leaseFile: first.leaseFile, name: 'lk2' });
    assert.match(second.proc.output(), /1 leases loaded/);
    const loaded = (await leasesOf(second)).find((l) => l['ip-address'] === bound.address);
    assert.equal(loaded?.['hw-address'], '02:00:00:00:cc:01');

    const seen = client.events().length;
    await client.renew();
    const renewed = await client.waitForEvent(/^renew$/, 20_000, seen);
    assert.equal(renewed.env['ip'], bound.address);
    assert.match(second.proc.output(), new RegExp(`-> DHCPACK ${bound.address.replace(/\./g, '\\.')} `));

    // A newcomer is not offered the address the restarted server knows to be leased.
    const newcomer = startUdhcpc(other, 'eth0', { requestIp: bound.address });
    const got = await newcomer.waitForBound(30_000);
    assert.notEqual(got.address, bound.address);
    const leases = await eventually(
      async () => {
        const all = await leasesOf(second);
        return all.length === 2 ? all : undefined;
      },
      5_000,
      'two leases',
    );
    assert.deepEqual(
      leases.map((l) => [l['ip-address'], l['hw-address']]).sort(),
      [
        [bound.address, '02:00:00:00:cc:01'],
        [got.address, '02:00:00:00:cc:02'],
      ].sort(),
    );
    await client.stop();
    await newcomer.stop();
    assert.equal(await second.stop(), 0);
  } finally {
    await lab.close();
  }
});
