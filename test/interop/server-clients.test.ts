// Real DHCP clients (busybox udhcpc, ISC dhclient, dhcpcd) against `leasekeeper serve` in a namespace lab:
// each gets an address (configured on its interface), renews it, and releases it; the server's lease list
// (lease4-get-all over the control socket) shows it leased, then released.
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { createLab, type Netns } from '../lab/netns.ts';
import { serverAndClient } from '../lab/server-client.ts';
import { startDhclient, startDhcpcd, startUdhcpc, type PeerClient } from '../lab/peers.ts';
import { eventually, leasesOf, startLeasekeeper, type Leasekeeper } from './harness.ts';

const { test } = requiring('root', 'ip', 'busybox', 'dhclient', 'dhcpcd');

const MAC = '02:00:00:00:aa:01';
const STATE_DEFAULT = 0;
const STATE_RELEASED = 2; // Kea's expired-reclaimed

/**
 * How each client is made to renew, chosen to be quick and deterministic:
 * - udhcpc: SIGUSR1 renews at once (unicast REQUEST with ciaddr);
 * - dhcpcd: SIGUSR1 renews at once;
 * - dhclient has no renew-now trigger: the server sends T1 = 3 s (renew-timer), which dhclient honours.
 */
const clients: Record<
  string,
  { start: (ns: Netns) => PeerClient; renewSignal: boolean; renewReason: RegExp }
> = {
  udhcpc: {
    start: (ns) => startUdhcpc(ns, 'eth0', { hostname: 'lk-udhcpc' }),
    renewSignal: true,
    renewReason: /^renew$/,
  },
  dhclient: {
    start: (ns) => startDhclient(ns, 'eth0', { hostname: 'lk-dhclient' }),
    renewSignal: false,
    renewReason: /^RENEW$/,
  },
  dhcpcd: {
    start: (ns) => startDhcpcd(ns, 'eth0', { hostname: 'lk-dhcpcd' }),
    renewSignal: true,
    renewReason: /^(RENEW|BOUND)$/,
  },
};

for (const [name, c] of Object.entries(clients)) {
  test(`${name} obtains, renews and releases an address from leasekeeper serve`, async () => {
    const lab = await createLab('isc');
    try {
      const { srv, cli } = await serverAndClient(lab, MAC);
      const server: Leasekeeper = await startLeasekeeper(srv, {
        dhcp4: {
          'valid-lifetime': 600,
          ...(c.renewSignal ? {} : { 'renew-timer': 3, 'rebind-timer': 500 }),
          subnet4: [
            {
              id: 1,
              subnet: '198.18.0.0/24',
              pools: [{ pool: '198.18.0.100 - 198.18.0.150' }],
              'option-data': [
                { name: 'routers', data: '198.18.0.1' },
                { name: 'domain-name-servers', data: '198.18.0.53' },
              ],
            },
          ],
        },
      });
      const client = c.start(cli);
      const bound = await client.waitForBound(30_000);
      assert.match(bound.address, /^198\.18\.0\.(1[0-4]\d|150)$/);
      assert.equal(bound.prefixLength, 24);
      assert.equal(bound.serverId, '198.18.0.1');
      assert.equal(bound.leaseTime, 600);
      assert.deepEqual(bound.routers, ['198.18.0.1']);
      assert.deepEqual(bound.dnsServers, ['198.18.0.53']);
      const configured = await eventually(
        async () => ((await cli.addresses('eth0')).includes(`${bound.address}/24`) ? true : undefined),
        10_000,
        `${bound.address}/24 on the client's eth0`,
      );
      assert.equal(configured, true, JSON.stringify(client.events().map((e) => e.reason)));
      assert.deepEqual(await cli.addresses('eth0'), [`${bound.address}/24`]);

      const leased = (await leasesOf(server)).find((l) => l['ip-address'] === bound.address);
      assert.ok(leased, 'the server lists the lease');
      assert.equal(leased['hw-address'], MAC);
      assert.equal(leased.state, STATE_DEFAULT);
      assert.equal(leased['valid-lft'], 600);

      // Renew: a second REQUEST for the same address, ACKed after the commit.
      const seen = client.events().length;
      if (c.renewSignal) await client.renew();
      const renewed = await client.waitForEvent(c.renewReason, 20_000, seen);
      assert.ok(renewed);
      const acks = new RegExp(
        `DHCPREQUEST for ${bound.address.replace(/\./g, '\\.')} .*-> DHCPACK ${bound.address.replace(/\./g, '\\.')}`,
        'g',
      );
      await eventually(
        async () => ((server.proc.output().match(acks) ?? []).length >= 2 ? true : undefined),
        5_000,
        'a second DHCPACK in the server log',
      );
      assert.deepEqual(await cli.addresses('eth0'), [`${bound.address}/24`]);

      // Release: the lease is kept as released (state 2, lifetime 0) for the client's return.
      await client.release();
      const released = await eventually(
        async () => {
          const l = (await leasesOf(server)).find((x) => x['ip-address'] === bound.address);
          return l?.state === STATE_RELEASED ? l : undefined;
        },
        10_000,
        'the lease to show as released',
      );
      assert.equal(released['valid-lft'], 0);
      assert.equal(released['hw-address'], MAC);
      assert.match(server.proc.output(), /DHCPRELEASE for 198\.18\.0\.\d+ .*-> no reply: released/);
      assert.equal(await server.stop(), 0);
    } finally {
      await lab.close();
    }
  });
}
