import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  fromHex,
  intToIp,
  ipToInt,
  isValidIp,
  macToString,
  maskToPrefix,
  messageTypeName,
  parseHexIdentifier,
  parseMac,
  prefixToMask,
  readIp,
  toHex,
  writeU32,
} from '../../src/protocol/index.ts';

test('ipToInt / intToIp are unsigned and exact', () => {
  assert.equal(ipToInt('255.255.255.255'), 0xffffffff);
  assert.equal(ipToInt('198.18.0.1'), 0xc6120001);
  assert.equal(intToIp(0xc6120001), '198.18.0.1');
  assert.equal(intToIp(0), '0.0.0.0');
  assert.throws(() => ipToInt('1.2.3.256'), RangeError);
});

test('intToIp and readIp give the dotted quad of any 32-bit value, parsed back exactly', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
      const quad = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
      assert.equal(intToIp(n), quad);
      const bytes = new Uint8Array(6);
      writeU32(bytes, 1, n);
      assert.equal(readIp(bytes, 1), quad);
      assert.equal(ipToInt(quad), n);
    }),
    { numRuns: 5000 },
  );
  for (const octet of [0, 9, 10, 99, 100, 255])
    assert.equal(intToIp(octet * 0x01010101), `${octet}.${octet}.${octet}.${octet}`);
});

test('isValidIp accepts dotted quads only', () => {
  for (const ok of ['0.0.0.0', '198.18.0.1', '255.255.255.255']) assert.equal(isValidIp(ok), true, ok);
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.-4', ' 1.2.3.4', '1..2.3', 'a.b.c.d', 7]) {
    assert.equal(isValidIp(bad), false, String(bad));
  }
});

test('prefixToMask / maskToPrefix', () => {
  assert.equal(prefixToMask(24), 0xffffff00);
  assert.equal(prefixToMask(0), 0);
  assert.equal(prefixToMask(32), 0xffffffff);
  assert.equal(maskToPrefix('255.255.255.0'), 24);
  assert.equal(maskToPrefix(0xffff8000), 17);
  assert.equal(maskToPrefix(0), 0);
  assert.equal(maskToPrefix('255.0.255.0'), -1);
  assert.throws(() => prefixToMask(33), RangeError);
});

test('MAC and hex helpers', () => {
  assert.deepEqual([...parseMac('AA-bb-0c-dd-ee-ff')], [0xaa, 0xbb, 0x0c, 0xdd, 0xee, 0xff]);
  assert.equal(macToString(parseMac('aa:bb:cc:dd:ee:ff'), 6, '-'), 'aa-bb-cc-dd-ee-ff');
  assert.equal(macToString(new Uint8Array(16), 0), '');
  assert.throws(() => parseMac('aa:bb:zz'), RangeError);
  assert.equal(toHex(Uint8Array.of(0, 15, 255)), '000fff');
  assert.deepEqual([...fromHex('00 0f:FF\n')!], [0, 15, 255]);
  assert.equal(fromHex('0f0'), undefined);
  assert.equal(messageTypeName(5), 'DHCPACK');
  assert.equal(messageTypeName(99), 'DHCP-UNKNOWN-99');
});

test("Kea's hex identifier forms: one parser, the commands' colon syntax and the configuration's lenient one", () => {
  const hex = (text: string, syntax: 'colons' | 'lenient', quotedText = false): string | undefined => {
    const bytes = parseHexIdentifier(text, syntax, { quotedText });
    return bytes === undefined ? undefined : toHex(bytes, ':');
  };
  for (const syntax of ['colons', 'lenient'] as const) {
    assert.equal(hex('01:0A:ff', syntax), '01:0a:ff');
    assert.equal(hex('1:a:ff', syntax), '01:0a:ff', 'a byte may lose its leading zero between colons');
    assert.equal(hex('010AFF', syntax), '01:0a:ff');
    for (const bad of ['', '0', '010', 'zz', '01::02', '01:002', '01:zz', ':'])
      assert.equal(hex(bad, syntax), bad === '01::02' && syntax === 'lenient' ? '01:02' : undefined, bad);
  }
  // Kea's commands take colons only (its decodeFormattedHexString): other separators and 0x are refused.
  for (const bad of ['01-02', '01 02', '0102.0304', '0x0102', '01:02:'])
    assert.equal(hex(bad, 'colons'), undefined, bad);
  assert.equal(hex('AA-BB-CC', 'lenient'), 'aa:bb:cc');
  assert.equal(hex('aabb.ccdd.eeff', 'lenient'), 'aa:bb:cc:dd:ee:ff');
  assert.equal(hex(' 01 02\t03 ', 'lenient'), '01:02:03');
  assert.equal(hex('0x0102', 'lenient'), '01:02');
  assert.equal(hex('01:02:', 'lenient'), '01:02');
  assert.equal(hex('abc:d', 'lenient'), undefined, 'a group of an odd number of digits is no byte');
  assert.equal(hex("'ab'", 'lenient', true), '61:62');
  assert.equal(hex('"ab"', 'colons', true), '61:62');
  assert.equal(hex("'ab'", 'lenient'), undefined, 'quoted text only when asked for');
  assert.equal(hex("''", 'lenient', true), undefined);
});
