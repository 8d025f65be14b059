// A client behind ISC dhcrelay (-a: option 82) is served from the relay's subnet, 198.18.1.0/24, by a
// leasekeeper serving two subnets; the reply goes to the relay (giaddr), which hands it to the client.
//
//   cli (eth0, no address) -- rly (down0 198.18.1.1 | up0 198.18.0.2) -- srv (eth0 198.18.0.1)
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { createLab } from '../lab/netns.ts';
import { startUdhcpc } from '../lab/peers.ts';
import {
  eventually,
  leasesOf,
  relayedLab,
  routedSubnet,
  startLabRelay,
  startLeasekeeper,
} from './harness.ts';

const { test } = requiring('root', 'ip', 'busybox', 'dhcrelay');

test('a relayed client gets an address from the relay subnet, with option 82 stored', async () => {
  const lab = await createLab('irl');
  try {
    const { srv, rly, cli } = await relayedLab(lab, '02:00:00:00:bb:01');
    const server = await startLeasekeeper(srv, {
      dhcp4: {
        'valid-lifetime': 600,
        subnet4: [routedSubnet(1, '198.18.0', 100, 150), routedSubnet(2, '198.18.1', 100, 150)],
      },
    });
    const relay = await startLabRelay(rly);
    const client = startUdhcpc(cli, 'eth0');
    const bound = await client.waitForBound(30_000);
    assert.match(bound.address, /^198\.18\.1\.(1[0-4]\d|150)$/);
    assert.equal(bound.prefixLength, 24);
    assert.deepEqual(bound.routers, ['198.18.1.1']);
    assert.equal(bound.serverId, '198.18.0.1');
    await eventually(
      async () => ((await cli.addresses('eth0')).includes(`${bound.address}/24`) ? true : undefined),
      10_000,
      'the relayed address on the client interface',
    );

    const lease = (await leasesOf(server)).find((l) => l['ip-address'] === bound.address);
    assert.ok(lease, 'the server lists the lease');
    assert.equal(lease['subnet-id'], 2);
    assert.equal(lease['hw-address'], '02:00:00:00:bb:01');
    // dhcrelay -a adds option 82 with the circuit id (the downstream interface name): stored as Kea does.
    const ctx = JSON.stringify((lease as unknown as Record<string, unknown>)['user-context'] ?? null);
    assert.match(ctx, /relay-agent-info/, ctx);
    assert.match(server.proc.output(), /DHCPREQUEST .* relay 198\.18\.1\.1 -> DHCPACK 198\.18\.1\.\d+/);
    assert.match(relay.output(), /Forwarded BOOTREPLY for 02:00:00:00:bb:01/);
    await client.stop();
    assert.equal(await server.stop(), 0);
  } finally {
    await lab.close();
  }
});
