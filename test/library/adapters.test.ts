// The datagram-transport adapters: node:dgram over loopback, and a virtual host's UDP sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { nodeUdp, VirtualNetwork, virtualUdp, type DatagramSocket, type Datagram } from '../../src/index.ts';

async function first(socket: DatagramSocket): Promise<Datagram> {
  const reader = socket.readable.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  assert.ok(value);
  return value;
}

/** A UDP port free right now on loopback. */
function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) =>
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    }),
  );
}

test('nodeUdp: datagrams go out through writable and come in through readable, with host and port', async () => {
  const udp = nodeUdp();
  const port = await freePort();
  const a = await udp.open({ host: '127.0.0.1' });
  const sink = await udp.open({ host: '127.0.0.1', port });
  try {
    const w = a.writable.getWriter();
    await w.write({ host: '127.0.0.1', port, data: new Uint8Array([1, 2, 3]) });
    w.releaseLock();
    const got = await first(sink);
    assert.deepEqual([...got.data], [1, 2, 3]);
    assert.equal(got.host, '127.0.0.1');
    assert.ok(got.port > 0 && got.port !== port);
    // And back to where it came from.
    const back = sink.writable.getWriter();
    await back.write({ host: got.host, port: got.port, data: new Uint8Array([9]) });
    back.releaseLock();
    assert.deepEqual([...(await first(a)).data], [9]);
  } finally {
    await sink.close();
    await a.close();
  }
  assert.equal(udp.capabilities?.broadcastWithoutRoute, false);
});

test('virtualUdp: a broadcast reaches the other host; its applier puts the address on the NIC', async () => {
  const net = new VirtualNetwork();
  const link = net.createLink('lan');
  const h1 = net.createHost('h1');
  h1.attach(link, { ifname: 'eth0', addresses: ['198.18.0.1/24'] });
  const h2 = net.createHost('h2');
  h2.attach(link, { ifname: 'eth0' });
  const u1 = virtualUdp(h1);
  const u2 = virtualUdp(h2);
  const s1 = await u1.open({ port: 67 });
  const s2 = await u2.open({ port: 68 });
  try {
    const w = s2.writable.getWriter();
    await w.write({ host: '255.255.255.255', port: 67, data: new Uint8Array([7]) });
    w.releaseLock();
    const got = await first(s1);
    assert.equal(got.host, '0.0.0.0'); // h2 has no address yet
    assert.equal(got.port, 68);
    await u2.addressApplier?.configure('198.18.0.9', 24);
    assert.deepEqual(h2.nic('eth0')?.addresses(), ['198.18.0.9/24']);
    const w1 = s1.writable.getWriter();
    await w1.write({ host: '198.18.0.9', port: 68, data: new Uint8Array([8]) }); // unicast now resolves
    w1.releaseLock();
    assert.deepEqual([...(await first(s2)).data], [8]);
    await u2.addressApplier?.deconfigure('198.18.0.9');
    assert.deepEqual(h2.nic('eth0')?.addresses(), []);
  } finally {
    await s1.close();
    await s2.close();
  }
});
