import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VendorNames } from '../../src/classify/vendor-names.ts';

const bytes = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

test('a VENDOR_CLASS_ name is made once per option 60 value and stays right when the packet buffer is reused', () => {
  const names = new VendorNames();
  const packet = bytes('MSFT 5.0');
  const first = names.nameOf(packet);
  assert.equal(first, 'VENDOR_CLASS_MSFT 5.0');
  assert.equal(names.nameOf(bytes('MSFT 5.0')), first);
  // The transport reuses its buffers: the next packet's bytes land where the first one's were.
  packet.set(bytes('ANDROID!'));
  assert.equal(names.nameOf(packet), 'VENDOR_CLASS_ANDROID!');
  assert.equal(names.nameOf(bytes('MSFT 5.0')), 'VENDOR_CLASS_MSFT 5.0');
  assert.equal(names.nameOf(Uint8Array.of(0, 0xff, 0x80)), 'VENDOR_CLASS_\x00\xff\x80');
});

test('a flood of distinct option 60 values gets every name right while the table stays bounded', () => {
  const names = new VendorNames();
  for (let i = 0; i < 5000; i++) assert.equal(names.nameOf(bytes(`flood-${i}`)), `VENDOR_CLASS_flood-${i}`);
  assert.equal(names.nameOf(bytes('flood-7')), 'VENDOR_CLASS_flood-7');
});
