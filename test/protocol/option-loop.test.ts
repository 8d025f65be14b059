/** The option-loop policy of docs/protocol.md, one test per point. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createMessage,
  decodeMessage,
  DhcpDecodeError,
  DhcpEncodeError,
  encodeMessage,
  messageTypeOf,
  MessageType,
  BOOTREPLY,
} from '../../src/protocol/index.ts';
import { ascii, fieldCodes, rawPacket } from './helpers.ts';

function decodeError(bytes: Uint8Array): DhcpDecodeError {
  try {
    decodeMessage(bytes);
  } catch (err) {
    assert.ok(err instanceof DhcpDecodeError, `expected DhcpDecodeError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected decodeMessage to throw');
}

test('header: fewer than 240 bytes is ERR_DECODE_TRUNCATED_HEADER, 240 bytes (under the 300 minimum) is accepted', () => {
  const full = rawPacket([53, 1, 1, 255]);
  assert.equal(decodeError(full.subarray(0, 239)).code, 'ERR_DECODE_TRUNCATED_HEADER');
  assert.equal(decodeError(new Uint8Array(0)).code, 'ERR_DECODE_TRUNCATED_HEADER');
  const bare = decodeMessage(full.subarray(0, 240));
  assert.equal(bare.options.size, 0);
  assert.equal(messageTypeOf(bare), undefined, 'no option 53: a plain BOOTP message');
  assert.equal(messageTypeOf(decodeMessage(full)), MessageType.DISCOVER);
});

test('header: a wrong magic cookie is ERR_DECODE_BAD_MAGIC_COOKIE at offset 236, hlen > 16 is ERR_DECODE_BAD_HLEN', () => {
  const err = decodeError(rawPacket([255], (b) => (b[239] = 98)));
  assert.equal(err.code, 'ERR_DECODE_BAD_MAGIC_COOKIE');
  assert.equal(err.offset, 236);
  assert.equal(decodeError(rawPacket([255], (b) => (b[2] = 17))).code, 'ERR_DECODE_BAD_HLEN');
  assert.equal(decodeMessage(rawPacket([255], (b) => (b[2] = 16))).hlen, 16);
});

test('PAD: skipped anywhere, before, between and after options', () => {
  const m = decodeMessage(rawPacket([0, 0, 53, 1, 3, 0, 0, 0, 51, 4, 0, 0, 14, 16, 0, 255]));
  assert.deepEqual(m.options.codes(), [53, 51]);
  assert.equal(m.options.get('dhcp-lease-time'), 3600);
});

test('END: stops the loop; bytes after it are ignored, even ones that look like a broken option', () => {
  const m = decodeMessage(rawPacket([53, 1, 1, 255, 12, 200, 0xde, 0xad, 53, 7]));
  assert.deepEqual(m.options.codes(), [53]);
  assert.equal(m.warnings, undefined);
});

test('END missing: accepted when the last option ends exactly at the end of the packet', () => {
  const m = decodeMessage(rawPacket([53, 1, 5, 54, 4, 198, 18, 0, 1]));
  assert.equal(m.options.get('dhcp-server-identifier'), '198.18.0.1');
});

test('truncated option: no length byte, or a value past the end, is ERR_DECODE_TRUNCATED_OPTION with its offset', () => {
  const noLength = decodeError(rawPacket([53, 1, 1, 12]));
  assert.equal(noLength.code, 'ERR_DECODE_TRUNCATED_OPTION');
  assert.equal(noLength.offset, 243);
  const pastEnd = decodeError(rawPacket([53, 1, 1, 12, 10, ...ascii('abc')]));
  assert.equal(pastEnd.code, 'ERR_DECODE_TRUNCATED_OPTION');
  assert.equal(pastEnd.offset, 243);
});

test('known option of impossible length: kept raw, get() is undefined, reported in warnings, re-encoded as is', () => {
  const m = decodeMessage(rawPacket([53, 1, 3, 1, 3, 255, 255, 255, 50, 4, 198, 18, 0, 9, 255]));
  assert.equal(m.options.get('subnet-mask'), undefined);
  assert.deepEqual([...m.options.getRaw(1)!], [255, 255, 255]);
  assert.equal(m.options.get('dhcp-requested-address'), '198.18.0.9', 'the rest of the packet stays usable');
  assert.equal(m.warnings?.length, 1);
  assert.equal(m.warnings?.[0]?.code, 'ERR_DECODE_BAD_OPTION_LENGTH');
  assert.equal(m.warnings?.[0]?.option, 1);
  assert.deepEqual(m.options.toJSON()['subnet-mask'], { raw: 'ffffff' });
  const again = decodeMessage(encodeMessage(m));
  assert.deepEqual([...again.options.getRaw(1)!], [255, 255, 255]);
});

test('known option with an impossible value (a boolean of 2) is treated like an impossible length', () => {
  const m = decodeMessage(rawPacket([53, 1, 1, 19, 1, 2, 255]));
  assert.equal(m.options.get('ip-forwarding'), undefined);
  assert.equal(m.warnings?.[0]?.option, 19);
});

test('dhcp-message-type: a wrong length or an unassigned value is ERR_DECODE_BAD_MESSAGE_TYPE', () => {
  for (const opts of [
    [53, 0],
    [53, 2, 1, 1],
    [53, 1, 0],
    [53, 1, 19],
  ]) {
    assert.equal(
      decodeError(rawPacket([...opts, 255])).code,
      'ERR_DECODE_BAD_MESSAGE_TYPE',
      JSON.stringify(opts),
    );
  }
  assert.equal(messageTypeOf(decodeMessage(rawPacket([53, 1, 18, 255]))), 18);
});

test('repeated codes are one value, concatenated in order (RFC 3396)', () => {
  const m = decodeMessage(
    rawPacket([
      6,
      4,
      198,
      18,
      0,
      1,
      53,
      1,
      2,
      6,
      4,
      198,
      18,
      0,
      2,
      12,
      3,
      ...ascii('box'),
      12,
      2,
      ...ascii('-1'),
      255,
    ]),
  );
  assert.deepEqual(m.options.get('domain-name-servers'), ['198.18.0.1', '198.18.0.2']);
  assert.equal(m.options.get('host-name'), 'box-1');
  assert.deepEqual(m.options.codes(), [6, 53, 12]);
});

test('a value split across repeated codes is only checked once whole', () => {
  // subnet-mask in two halves: each piece alone has an impossible length, the whole is fine.
  const m = decodeMessage(rawPacket([1, 2, 255, 255, 1, 2, 255, 0, 255]));
  assert.equal(m.options.get('subnet-mask'), '255.255.255.0');
  assert.equal(m.warnings, undefined);
});

test('overload 52 = 1: options continue in file, and file reads as empty', () => {
  const m = decodeMessage(
    rawPacket([53, 1, 2, 52, 1, 1, 255], (b) => {
      b.set([3, 4, 198, 18, 0, 1, 255], 108);
      b.set(ascii('server-a'), 44);
    }),
  );
  assert.deepEqual(m.options.get('routers'), ['198.18.0.1']);
  assert.equal(m.file, '');
  assert.equal(m.sname, 'server-a');
});

test('overload 52 = 3: options, then file, then sname, concatenated in that order', () => {
  const m = decodeMessage(
    rawPacket([53, 1, 2, 52, 1, 3, 12, 1, ...ascii('a'), 255], (b) => {
      b.set([12, 1, ...ascii('b'), 255], 108);
      b.set([12, 1, ...ascii('c'), 0, 0, 255], 44);
    }),
  );
  assert.equal(m.options.get('host-name'), 'abc');
  assert.equal(m.sname, '');
  assert.equal(m.file, '');
});

test('overload: a truncated option inside file is ERR_DECODE_TRUNCATED_OPTION', () => {
  const err = decodeError(rawPacket([52, 1, 1, 255], (b) => b.set([12, 200], 108)));
  assert.equal(err.code, 'ERR_DECODE_TRUNCATED_OPTION');
  assert.equal(err.offset, 108);
});

test('overload with a bad value is a warning; sname and file are then read as text', () => {
  const m = decodeMessage(rawPacket([52, 1, 7, 255], (b) => b.set(ascii('pxelinux.0'), 108)));
  assert.equal(m.file, 'pxelinux.0');
  assert.equal(m.warnings?.[0]?.code, 'ERR_DECODE_BAD_OVERLOAD');
});

function bigAck() {
  const m = createMessage({ op: BOOTREPLY, xid: 42, yiaddr: '198.18.0.50' });
  m.options.set('dhcp-message-type', MessageType.ACK).set('dhcp-server-identifier', '198.18.0.1');
  // 18 search domains, about 440 bytes compressed: far more than the 312-byte options field of a 576-byte message.
  m.options.set(
    'domain-search',
    Array.from({ length: 18 }, (_, i) => `zone${i}.site${i}.example${i}.test`),
  );
  m.options.set('dhcp-agent-options', [{ code: 1, data: Uint8Array.of(1, 2, 3) }]);
  return m;
}

test('overload on encode: a reply that does not fit 576 bytes moves options to file, then sname', () => {
  const m = bigAck();
  const wire = encodeMessage(m);
  assert.ok(
    wire.length <= 576 - 28,
    `fits the 548-byte DHCP payload of a 576-byte datagram, got ${wire.length}`,
  );
  const d = decodeMessage(wire);
  assert.equal(d.options.get('dhcp-option-overload'), 3);
  assert.deepEqual(d.options.get('domain-search'), m.options.get('domain-search'));
  assert.deepEqual(d.options.get('dhcp-agent-options'), m.options.get('dhcp-agent-options'));
  assert.equal(d.sname, '');
  assert.equal(d.file, '');
  // Option 82 stays in the options field, last before END (RFC 3046 §2.1), so relays find it.
  const main = [...wire.subarray(240)];
  const end = main.lastIndexOf(255);
  assert.deepEqual(main.slice(end - 7, end + 1), [82, 5, 1, 3, 1, 2, 3, 255]);
  assert.equal(wire[240], 53, 'message type first');
});

test('overload on encode: options that fit a field whole are never split across fields', () => {
  const m = createMessage({ op: BOOTREPLY, xid: 43 });
  m.options
    .set('dhcp-message-type', MessageType.OFFER)
    .set('nis-domain', 'n'.repeat(50))
    .set('root-path', 'r'.repeat(120))
    .set('merit-dump', 'm'.repeat(120))
    .set('extensions-path', 'e'.repeat(120));
  const wire = encodeMessage(m);
  const main = fieldCodes(wire, 240, wire.length);
  const file = fieldCodes(wire, 108, 236);
  const sname = fieldCodes(wire, 44, 108);
  const all = [...main, ...file, ...sname];
  for (const code of [40, 17, 14, 18])
    assert.equal(all.filter((c) => c === code).length, 1, `option ${code} once`);
  assert.equal(main[0], 53);
  assert.ok(file.length > 0);
  const d = decodeMessage(wire);
  assert.equal(d.options.get('root-path'), 'r'.repeat(120));
  assert.equal(d.options.get('nis-domain'), 'n'.repeat(50));
});

test('overload on encode: a set file field is left alone and only sname is used', () => {
  const m = bigAck();
  m.options.set(
    'domain-search',
    Array.from({ length: 13 }, (_, i) => `zone${i}.site${i}.example${i}.test`),
  );
  m.file = 'pxelinux.0';
  const d = decodeMessage(encodeMessage(m));
  assert.equal(d.options.get('dhcp-option-overload'), 2);
  assert.equal(d.file, 'pxelinux.0');
  assert.deepEqual(d.options.get('domain-search'), m.options.get('domain-search'));
});

test('overload on encode: too much for options, file and sname is ERR_ENCODE_MESSAGE_TOO_LARGE', () => {
  const m = bigAck();
  m.options.set(
    'domain-search',
    Array.from({ length: 40 }, (_, i) => `zone${i}.site${i}.example${i}.test`),
  );
  assert.throws(
    () => encodeMessage(m),
    (err: unknown) => err instanceof DhcpEncodeError && err.code === 'ERR_ENCODE_MESSAGE_TOO_LARGE',
  );
});

test('maximum message size (57): a larger maxSize avoids overload; below 576 counts as 576', () => {
  const m = bigAck();
  const big = encodeMessage(m, { maxSize: 1500 });
  const d = decodeMessage(big);
  assert.equal(d.options.has('dhcp-option-overload'), false);
  assert.ok(big.length <= 1500 - 28);
  assert.deepEqual(d.options.get('domain-search'), m.options.get('domain-search'));
  assert.deepEqual([...encodeMessage(m, { maxSize: 300 })], [...encodeMessage(m)]);
});

test('encode: values over 255 bytes are split into consecutive options (RFC 3396), decode joins them', () => {
  const m = createMessage();
  const blob = Uint8Array.from({ length: 600 }, (_, i) => i & 255);
  m.options.setRaw(224, blob);
  const wire = encodeMessage(m, { maxSize: 1500 });
  assert.deepEqual([wire[240], wire[241]], [224, 255]);
  assert.deepEqual([wire[240 + 257], wire[240 + 258]], [224, 255]);
  assert.deepEqual([wire[240 + 514], wire[240 + 515]], [224, 90]);
  assert.deepEqual([...decodeMessage(wire).options.getRaw(224)!], [...blob]);
});

test('encode: 53 first, 82 last, a hand-set 52 dropped, padded to 300 bytes', () => {
  const m = createMessage();
  m.options
    .set('dhcp-agent-options', [{ code: 2, data: Uint8Array.of(9) }])
    .setRaw(52, Uint8Array.of(3))
    .set('host-name', 'h')
    .set('dhcp-message-type', MessageType.REQUEST);
  const wire = encodeMessage(m);
  assert.equal(wire.length, 300);
  assert.deepEqual([...wire.subarray(240, 255)], [53, 1, 3, 12, 1, 104, 82, 3, 2, 1, 9, 255, 0, 0, 0]);
});

test('unknown options round-trip as raw bytes and show as option-<code> hex in JSON', () => {
  const m = decodeMessage(rawPacket([53, 1, 1, 224, 2, 0x0a, 0x0b, 250, 0, 255]));
  assert.deepEqual(m.options.toJSON(), { 'dhcp-message-type': 1, 'option-224': '0a0b', 'option-250': '' });
  const d = decodeMessage(encodeMessage(m));
  assert.deepEqual([...d.options.getRaw(224)!], [0x0a, 0x0b]);
  assert.deepEqual(d.options.codes(), [53, 224, 250]);
});
