import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType, createMessage, decodeMessage } from '../../src/protocol/index.ts';
import { encodeReply } from '../../src/server/encode.ts';

test('encodeReply keeps the essentials when even overload cannot fit the configured extras into 576 bytes', () => {
  const message = createMessage({ op: 2, yiaddr: '198.18.0.10' });
  message.options.set('dhcp-message-type', MessageType.ACK);
  message.options.set('dhcp-server-identifier', '198.18.0.1');
  message.options.set('dhcp-lease-time', 3600);
  message.options.set('subnet-mask', '255.255.255.0');
  message.options.setRaw(224, new Uint8Array(600));
  const bytes = encodeReply({
    message,
    maxSize: 576,
    interface: 'eth0',
    destination: { kind: 'broadcast', address: '255.255.255.255', port: 68 },
  });
  assert.ok(bytes.length <= 576 - 28);
  const back = decodeMessage(bytes);
  assert.equal(back.options.get('dhcp-lease-time'), 3600);
  assert.equal(back.options.get('subnet-mask'), '255.255.255.0');
  assert.equal(back.options.has(224), false);
});
