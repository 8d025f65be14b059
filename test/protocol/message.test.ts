import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BOOTREPLY,
  createMessage,
  decodeMessage,
  encodeMessage,
  messageTypeOf,
  MessageType,
  parseMac,
  macToString,
  messageToJSON,
  messageFromJSON,
  DhcpEncodeError,
} from '../../src/protocol/index.ts';

function discover() {
  const m = createMessage({ xid: 0xdeadbeef, secs: 3, flags: 0x8000, chaddr: parseMac('aa:bb:cc:dd:ee:ff') });
  m.options
    .set('dhcp-message-type', MessageType.DISCOVER)
    .set('dhcp-client-identifier', Uint8Array.of(1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff))
    .set('dhcp-parameter-request-list', [1, 3, 6, 15, 119])
    .set('host-name', 'box');
  return m;
}

test('createMessage zeroes the header and takes hlen from a short chaddr', () => {
  const m = createMessage({ chaddr: Uint8Array.of(1, 2, 3, 4, 5, 6) });
  assert.equal(m.hlen, 6);
  assert.equal(m.chaddr.length, 16);
  assert.equal(m.ciaddr, '0.0.0.0');
  assert.equal(m.options.size, 0);
  assert.equal(messageTypeOf(m), undefined);
});

test('a DISCOVER survives encode and decode field by field', () => {
  const m = discover();
  const wire = encodeMessage(m);
  assert.equal(wire.length, 300, 'padded to the BOOTP minimum');
  assert.deepEqual([...wire.subarray(236, 240)], [99, 130, 83, 99]);
  const d = decodeMessage(wire);
  assert.equal(d.xid, 0xdeadbeef);
  assert.equal(d.secs, 3);
  assert.equal(d.flags, 0x8000);
  assert.equal(macToString(d.chaddr, d.hlen), 'aa:bb:cc:dd:ee:ff');
  assert.equal(messageTypeOf(d), MessageType.DISCOVER);
  assert.deepEqual(d.options.get('dhcp-parameter-request-list'), [1, 3, 6, 15, 119]);
  assert.equal(d.options.get('host-name'), 'box');
  assert.deepEqual(d.options.codes(), [53, 61, 55, 12]);
  assert.equal(d.warnings, undefined);
});

test('an ACK with addresses and times round-trips', () => {
  const m = createMessage({ op: BOOTREPLY, xid: 7, yiaddr: '198.18.0.10', siaddr: '198.18.0.1' });
  m.options
    .set('dhcp-message-type', MessageType.ACK)
    .set('dhcp-server-identifier', '198.18.0.1')
    .set('dhcp-lease-time', 3600)
    .set('subnet-mask', '255.255.255.0')
    .set('routers', ['198.18.0.1'])
    .set('domain-name-servers', ['198.18.0.1', '198.18.0.2']);
  const d = decodeMessage(encodeMessage(m));
  assert.equal(d.yiaddr, '198.18.0.10');
  assert.equal(d.siaddr, '198.18.0.1');
  assert.equal(d.options.get('dhcp-lease-time'), 3600);
  assert.deepEqual(d.options.get('domain-name-servers'), ['198.18.0.1', '198.18.0.2']);
  assert.deepEqual(d.options.toJSON(), {
    'dhcp-message-type': 5,
    'dhcp-server-identifier': '198.18.0.1',
    'dhcp-lease-time': 3600,
    'subnet-mask': '255.255.255.0',
    routers: ['198.18.0.1'],
    'domain-name-servers': ['198.18.0.1', '198.18.0.2'],
  });
});

test('a decoded message does not alias the input buffer', () => {
  const wire = encodeMessage(discover());
  const d = decodeMessage(wire);
  wire.fill(0);
  assert.equal(d.options.get('host-name'), 'box');
  assert.equal(macToString(d.chaddr), 'aa:bb:cc:dd:ee:ff');
});

test('messageToJSON: header, MAC, option names, message type name, warnings', () => {
  const m = discover();
  const json = messageToJSON(decodeMessage(encodeMessage(m)));
  assert.equal(json.op, 'BOOTREQUEST');
  assert.equal(json.messageType, 'DHCPDISCOVER');
  assert.equal(json.xid, '0xdeadbeef');
  assert.equal(json.broadcast, true);
  assert.equal(json.chaddr, 'aa:bb:cc:dd:ee:ff');
  assert.deepEqual(json.options, {
    'dhcp-message-type': 1,
    'dhcp-client-identifier': '01aabbccddeeff',
    'dhcp-parameter-request-list': [1, 3, 6, 15, 119],
    'host-name': 'box',
  });
  assert.equal(json.warnings, undefined);
  const bootp = createMessage({ op: BOOTREPLY });
  bootp.options.setRaw(1, Uint8Array.of(255, 255));
  const odd = messageToJSON(decodeMessage(encodeMessage(bootp)));
  assert.equal(odd.messageType, 'BOOTP');
  assert.deepEqual(odd.options, { 'subnet-mask': { raw: 'ffff' } });
  assert.equal((odd.warnings as { option: number }[])[0]?.option, 1);
});

test('messageFromJSON: a message written by hand as JSON, and its errors', () => {
  const m = messageFromJSON({
    op: 'BOOTREPLY',
    xid: '0x0000002a',
    chaddr: 'aa:bb:cc:dd:ee:ff',
    yiaddr: '198.18.0.9',
    options: {
      'dhcp-message-type': 5,
      routers: ['198.18.0.1'],
      'dhcp-client-identifier': '01aabbccddeeff',
      'dhcp-agent-options': { 'circuit-id': '0001', 'link-selection': '198.18.5.0' },
      'subnet-mask': { raw: 'ffffff' },
      'option-224': '0a0b',
    },
  });
  const d = decodeMessage(encodeMessage(m));
  assert.equal(d.op, BOOTREPLY);
  assert.equal(d.xid, 42);
  assert.equal(d.hlen, 6);
  assert.equal(macToString(d.chaddr, d.hlen), 'aa:bb:cc:dd:ee:ff');
  assert.deepEqual(d.options.get('routers'), ['198.18.0.1']);
  assert.deepEqual([...d.options.get('dhcp-client-identifier')!], [1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
  assert.deepEqual(d.options.get('dhcp-agent-options'), [
    { code: 1, data: Uint8Array.of(0, 1) },
    { code: 5, data: Uint8Array.of(198, 18, 5, 0) },
  ]);
  assert.deepEqual([...d.options.getRaw(1)!], [255, 255, 255]);
  assert.deepEqual([...d.options.getRaw(224)!], [10, 11]);
  const bad = (json: Record<string, unknown>, code: string) =>
    assert.throws(
      () => messageFromJSON(json),
      (err: unknown) => err instanceof DhcpEncodeError && err.code === code,
    );
  bad({ options: { 'no-such-option': 1 } }, 'ERR_ENCODE_UNKNOWN_OPTION');
  bad({ options: { routers: 'x' } }, 'ERR_ENCODE_BAD_OPTION_VALUE');
  bad({ options: { 'option-224': 'xyz' } }, 'ERR_ENCODE_BAD_OPTION_VALUE');
  bad({ xid: 'twelve' }, 'ERR_ENCODE_BAD_FIELD');
  bad({ chaddr: 'not-a-mac' }, 'ERR_ENCODE_BAD_FIELD');
});
