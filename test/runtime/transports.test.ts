// openTransport: a receive path chosen for packet sockets is reported as not used when plain UDP is opened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTransport } from '../../src/runtime/transports.ts';

test('with dhcp-socket-type udp a chosen receive path is named as not used in the start-up note', async () => {
  const interfaces = [{ name: 'lo', addresses: [{ address: '127.0.0.1', prefixLength: 8 }] }];
  for (const receivePath of [undefined, 'ring'] as const) {
    const choice = await openTransport({
      interfaces,
      socketType: 'udp',
      port: 0,
      ...(receivePath === undefined ? {} : { receivePath }),
    });
    try {
      assert.equal(choice.transport.kind, 'udp');
      assert.equal(choice.degraded, false);
      if (receivePath === undefined) assert.doesNotMatch(choice.note, /receive path/);
      else assert.match(choice.note, /; receive path ring not used\)$/);
    } finally {
      await choice.transport.close();
    }
  }
});
