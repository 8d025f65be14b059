import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TransportError } from '../../src/transport/errors.ts';
import { UdpTransport } from '../../src/transport/udp.ts';
import { transportConformance } from './conformance.ts';

transportConformance('udp (loopback)', async () => {
  const a = await UdpTransport.open({ port: 0, address: '127.0.0.1' });
  const b = await UdpTransport.open({ port: 0, address: '127.0.0.1' });
  return {
    a: { transport: a, ip: '127.0.0.1' },
    b: { transport: b, ip: '127.0.0.1' },
    dispose: async () => {},
  };
});

test('udp: a port in use rejects with ERR_TRANSPORT_BIND_FAILED and EADDRINUSE', async () => {
  const a = await UdpTransport.open({ port: 0, address: '127.0.0.1' });
  try {
    await assert.rejects(UdpTransport.open({ port: a.port, address: '127.0.0.1' }), {
      code: 'ERR_TRANSPORT_BIND_FAILED',
      syscallCode: 'EADDRINUSE',
    });
  } finally {
    await a.close();
  }
});

test('udp: declares what it cannot do and refuses link-layer, interface and source-address sends', async () => {
  const a = await UdpTransport.open({ port: 0, address: '127.0.0.1' });
  try {
    assert.deepEqual(a.capabilities, {
      linkLayerUnicast: false,
      interfaceAware: false,
      broadcastWithoutRoute: false,
    });
    const d = { data: Buffer.from('x'), ip: '127.0.0.1', port: a.port };
    await assert.rejects(a.send({ ...d, interface: 'lo' }), { code: 'ERR_TRANSPORT_UNSUPPORTED' });
    await assert.rejects(a.send({ ...d, sourceIp: '127.0.0.2' }), { code: 'ERR_TRANSPORT_UNSUPPORTED' });
  } finally {
    await a.close();
  }
});

test('udp: node:dgram send queue is bounded in datagrams and bytes; drops reject with ENOBUFS, reported once per interval', async () => {
  const a = await UdpTransport.open({
    port: 0,
    address: '127.0.0.1',
    sendQueue: { maxDatagrams: 4, maxBytes: 1000 },
    logIntervalMs: 3_600_000,
  });
  const b = await UdpTransport.open({ port: 0, address: '127.0.0.1' });
  const errors: TransportError[] = [];
  a.on('error', (e) => errors.push(e));
  try {
    // Issued in one turn: no send completes in between, so the queue holds exactly what was admitted.
    const send = (size: number) => a.send({ data: Buffer.alloc(size), ip: '127.0.0.1', port: b.port });
    const settled = await Promise.allSettled([send(10), send(10), send(10), send(10), send(10), send(10)]);
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected'],
    );
    const err = (settled[4] as PromiseRejectedResult).reason as TransportError;
    assert.equal(err.code, 'ERR_TRANSPORT_SEND_FAILED');
    assert.equal(err.syscallCode, 'ENOBUFS');
    assert.equal(errors.length, 1, 'the first drop at once, the next counted');
    const bytes = await Promise.allSettled([send(400), send(400), send(400)]);
    assert.deepEqual(
      bytes.map((s) => s.status),
      ['fulfilled', 'fulfilled', 'rejected'],
    );
    await a.close();
    assert.equal(errors.length, 2);
    assert.match(errors[1]!.message, /^2 datagram\(s\) dropped: the send queue of the socket is full/);
  } finally {
    await a.close();
    await b.close();
  }
});
