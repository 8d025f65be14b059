// The WebSocket API as the runtime mounts it: a real DORA on the virtual network is pushed with the
// interface's address as server identifier; dhcp-disable with max-period pushes running false, then true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualDhcpClient } from './virtual-client.ts';
import { virtualServer } from './virtual-server.ts';
import { TestClient } from './ws-harness.ts';

const NAME = '/dhcp/server/v1';

test('runtime: a lease from a real exchange is pushed; a max-period re-enable is pushed as running', async () => {
  const { net, lan, server } = await virtualServer({
    Dhcp4: {
      'interfaces-config': { interfaces: ['eth0'] },
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.20' }] }],
      'control-sockets': [{ 'socket-type': 'http', 'socket-address': '127.0.0.1', 'socket-port': 0 }],
    },
  });
  const client = new VirtualDhcpClient(net.createHost('cli'), lan, {
    mac: '02:00:00:00:bb:01',
    hostname: 'box',
  });
  try {
    const url = server.control!.http[0]!.url;
    const ws = await TestClient.connect(`${url.replace('http:', 'ws:')}ws`);
    const state = await ws.request('state');
    assert.deepEqual((state.body as { clients: unknown[] }).clients, []);
    assert.equal((state.body as { options: { server: string } }).options.server, '198.18.0.1');

    const lease = await client.obtain();
    const push = await ws.next((m) => m.event === 'clients' && (m.body as unknown[]).length === 1);
    const entry = (push.body as Record<string, unknown>[])[0]!;
    assert.equal(entry['address'], lease.address);
    assert.equal(entry['mac'], '02-00-00-00-BB-01');
    assert.equal(entry['server'], '198.18.0.1');
    assert.equal(entry['state'], 'BOUND');
    assert.equal(entry['leasePeriod'], 7200);
    assert.equal(entry['hostname'], 'box');

    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ command: 'dhcp-disable', service: ['dhcp4'], arguments: { 'max-period': 1 } }),
    });
    assert.equal(((await res.json()) as { result: number }[])[0]?.result, 0);
    assert.deepEqual(await ws.next((m) => m.event === 'running'), {
      name: NAME,
      event: 'running',
      body: false,
    });
    // Nobody sends anything: the server re-enables itself after max-period and says so.
    assert.deepEqual(await ws.next((m) => m.event === 'running', 10_000), {
      name: NAME,
      event: 'running',
      body: true,
    });
    await ws.close();
  } finally {
    await client.close();
    await server.stop();
  }
});
