import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedTransport } from '../../src/transport/embedded.ts';
import type { OutboundDatagram } from '../../src/transport/types.ts';
import { transportConformance } from './conformance.ts';

/** Two embedded transports joined by a toy "stack": each send is delivered to the peer on the next turn. */
transportConformance('embedded (callback stack)', async () => {
  const ends: Record<string, EmbeddedTransport> = {};
  const make = (ip: string, port: number): EmbeddedTransport =>
    new EmbeddedTransport({
      port,
      send: (d: OutboundDatagram) => {
        const to = ends[d.ip];
        if (to && d.ip !== ip && d.port === to.port) {
          setImmediate(() => to.deliver(d.data, { sourceIp: ip, sourcePort: port }));
        }
      },
    });
  ends['198.18.0.1'] = make('198.18.0.1', 67);
  ends['198.18.0.2'] = make('198.18.0.2', 68);
  return {
    a: { transport: ends['198.18.0.1'], ip: '198.18.0.1' },
    b: { transport: ends['198.18.0.2'], ip: '198.18.0.2' },
    dispose: async () => {},
  };
});

test('embedded: host-stack failures become ERR_TRANSPORT_SEND_FAILED; declared capabilities gate mac and interface', async () => {
  const t = new EmbeddedTransport({
    port: 67,
    capabilities: { linkLayerUnicast: true, interfaceAware: true },
    interfaces: [{ name: 'vm0', index: 1 }],
    send: () => {
      throw new Error('stack full');
    },
  });
  await assert.rejects(
    t.send({ data: Buffer.from('x'), ip: '198.18.0.9', port: 68, mac: '02:00:00:00:00:09' }),
    {
      code: 'ERR_TRANSPORT_SEND_FAILED',
      message: 'stack full',
    },
  );
  assert.deepEqual(t.interfaces(), [{ name: 'vm0', index: 1 }]);
  const plain = new EmbeddedTransport({ port: 67, send: () => {} });
  await assert.rejects(plain.send({ data: Buffer.from('x'), ip: '198.18.0.9', port: 68, interface: 'vm0' }), {
    code: 'ERR_TRANSPORT_UNSUPPORTED',
  });
  const links: boolean[] = [];
  const errors: string[] = [];
  t.on('link', (s) => links.push(s.carrier));
  t.on('error', (e) => errors.push(e.code));
  t.setLink({ interface: 'vm0', index: 1, present: true, up: true, carrier: false });
  t.setLink({ interface: 'vm0', index: 1, present: true, up: true, carrier: true });
  assert.deepEqual(links, [false, true]);
  assert.deepEqual(errors, ['ERR_TRANSPORT_INTERFACE_DOWN']);
  await t.close();
  await plain.close();
});
