// `leasekeeper serve --interface eth0`: no configuration file; the subnet, pool and router come from eth0's
// address, the choices are logged, and a real client is served from the upper half of the subnet.
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { createLab } from '../lab/netns.ts';
import { serverAndClient } from '../lab/server-client.ts';
import { startUdhcpc } from '../lab/peers.ts';
import { startLeasekeeper } from './harness.ts';

const { test } = requiring('root', 'ip', 'busybox');

test('serve --interface derives the configuration from the interface and serves it', async () => {
  const lab = await createLab('izc');
  try {
    const { srv, cli } = await serverAndClient(lab);
    const server = await startLeasekeeper(srv, { dhcp4: {}, zeroConfig: 'eth0' });
    const log = server.proc.output();
    assert.match(log, /zero-config: subnet 198\.18\.0\.0\/24: the network of 198\.18\.0\.1\/24 on eth0/);
    assert.match(log, /zero-config: pool 198\.18\.0\.128 - 198\.18\.0\.254/);
    const client = startUdhcpc(cli, 'eth0');
    const bound = await client.waitForBound(30_000);
    const last = Number(bound.address.split('.')[3]);
    assert.ok(bound.address.startsWith('198.18.0.') && last >= 128 && last <= 254, bound.address);
    assert.deepEqual(bound.routers, ['198.18.0.1']);
    assert.equal(bound.leaseTime, 3600);
    const config = await server.ctl('config-get');
    assert.equal(config.result, 0);
    assert.match(JSON.stringify(config.arguments), /"subnet":"198\.18\.0\.0\/24"/);
    await client.stop();
    assert.equal(await server.stop(), 0);
  } finally {
    await lab.close();
  }
});
