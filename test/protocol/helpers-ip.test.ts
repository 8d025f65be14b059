import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fromHex,
  intToIp,
  ipToInt,
  isValidIp,
  macToString,
  maskToPrefix,
  messageTypeName,
  parseMac,
  prefixToMask,
  toHex,
} from '../../src/protocol/index.ts';

test('ipToInt / intToIp are unsigned and exact', () => {
  assert.equal(ipToInt('255.255.255.255'), 0xffffffff);
  assert.equal(ipToInt('198.18.0.1'), 0xc6120001);
  assert.equal(intToIp(0xc6120001), '198.18.0.1');
  assert.equal(intToIp(0), '0.0.0.0');
  assert.throws(() => ipToInt('1.2.3.256'), RangeError);
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
