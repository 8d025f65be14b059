import { test } from 'node:test';
import assert from 'node:assert/strict';
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
