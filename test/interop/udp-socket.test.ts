// `dhcp-socket-type: udp`: one plain UDP socket on 0.0.0.0:67, no packet sockets. Replies that RFC 2131 would
// send to the client's MAC go to the subnet's broadcast address instead (no route for 255.255.255.255 in the
// lab); a real client still completes DORA and renews by unicast.
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { createLab } from '../lab/netns.ts';
import { serverAndClient } from '../lab/server-client.ts';
import { startUdhcpc } from '../lab/peers.ts';
import { startLeasekeeper } from './harness.ts';

const { test } = requiring('root', 'ip', 'busybox');

test('with dhcp-socket-type udp a client still gets, renews and keeps an address', async () => {
  const lab = await createLab('iud');
  try {
    const { srv, cli } = await serverAndClient(lab);
    const server = await startLeasekeeper(srv, {
      dhcp4: {
        'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': 'udp' },
        'valid-lifetime': 600,
        subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.150' }] }],
      },
    });
    assert.match(server.proc.output(), /listening: udp 0\.0\.0\.0:67 \(dhcp-socket-type "udp"\)/);
    const client = startUdhcpc(cli, 'eth0');
    const bound = await client.waitForBound(30_000);
    assert.match(bound.address, /^198\.18\.0\.(1[0-4]\d|150)$/);
    const seen = client.events().length;
    await client.renew();
    const renewed = await client.waitForEvent(/^renew$/, 20_000, seen);
    assert.equal(renewed.env['ip'], bound.address);
    assert.match(server.proc.output(), /via eth0 -> DHCPOFFER/);
    await client.stop();
    assert.equal(await server.stop(), 0);
  } finally {
    await lab.close();
  }
});
