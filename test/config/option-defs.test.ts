import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/compile.ts';
import { encodeByDef, type OptionDef } from '../../src/config/option-defs.ts';

function def(type: OptionDef['type'], extra: Partial<OptionDef> = {}): OptionDef {
  return {
    name: 'x',
    code: 224,
    space: 'dhcp4',
    type,
    array: false,
    recordTypes: [],
    encapsulate: undefined,
    ...extra,
  };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test("Kea's option-def types encode from their text form", () => {
  assert.equal(hex(encodeByDef(def('uint8'), '7', true)), '07');
  assert.equal(hex(encodeByDef(def('uint16'), '0x1234', true)), '1234');
  assert.equal(hex(encodeByDef(def('uint32'), '123', true)), '0000007b');
  assert.equal(hex(encodeByDef(def('int8'), '-1', true)), 'ff');
  assert.equal(hex(encodeByDef(def('int16'), '-2', true)), 'fffe');
  assert.equal(hex(encodeByDef(def('int32'), '-1', true)), 'ffffffff');
  assert.equal(hex(encodeByDef(def('boolean'), 'true', true)), '01');
  assert.equal(hex(encodeByDef(def('ipv4-address'), '198.18.0.1', true)), 'c6120001');
  assert.equal(
    hex(encodeByDef(def('ipv4-address', { array: true }), '198.18.0.1, 198.18.0.2', true)),
    'c6120001c6120002',
  );
  assert.equal(hex(encodeByDef(def('string'), 'a, b', true)), Buffer.from('a, b').toString('hex'));
  assert.equal(hex(encodeByDef(def('binary'), '0a:0b', true)), '0a0b');
  assert.equal(hex(encodeByDef(def('fqdn'), 'a.example', true)), '0161076578616d706c6500');
  assert.equal(hex(encodeByDef(def('tuple'), 'abc', true)), '03616263');
  assert.equal(hex(encodeByDef(def('empty'), '', true)), '');
  assert.equal(hex(encodeByDef(def('uint16'), '0102', false)), '0102');
  const record = def('record', { recordTypes: ['uint8', 'ipv4-address', 'string'] });
  assert.equal(
    hex(encodeByDef(record, '5, 198.18.0.1, a\\,b, c', true)),
    `05c6120001${Buffer.from('a,b,c').toString('hex')}`,
  );
  const recordArray = def('record', { recordTypes: ['uint8', 'uint16'], array: true });
  assert.equal(hex(encodeByDef(recordArray, '1, 2, 3', true)), '0100020003');
});

test('values that do not fit their type are refused with the reason', () => {
  assert.throws(() => encodeByDef(def('uint8'), '256', true), /not a uint8/);
  assert.throws(() => encodeByDef(def('int8'), '-129', true), /not a int8/);
  assert.throws(() => encodeByDef(def('ipv4-address'), '198.18.0', true), /not an IPv4 address/);
  assert.throws(() => encodeByDef(def('boolean'), 'yes', true), /not a boolean/);
  assert.throws(() => encodeByDef(def('uint8'), '1, 2', true), /expected one uint8 value/);
  assert.throws(() => encodeByDef(def('empty'), '01', true), /takes no data/);
  assert.throws(
    () => encodeByDef(def('record', { recordTypes: ['uint8', 'uint8'] }), '1', true),
    /expected 2 fields/,
  );
});

test('custom dhcp4 options, their names in expressions, and sub-options encapsulated into option 43', () => {
  const r = parseConfig({
    Dhcp4: {
      'option-def': [
        { name: 'site-vlan', code: 224, type: 'uint16' },
        { name: 'vlanid', code: 2, space: 'acme', type: 'uint32' },
        { name: 'vendor-encapsulated-options', code: 43, type: 'empty', encapsulate: 'acme' },
      ],
      'client-classes': [{ name: 'vlan-ask', test: 'option[site-vlan].exists' }],
      'option-data': [
        { name: 'site-vlan', data: '100', 'always-send': true },
        { name: 'vlanid', space: 'acme', data: '7' },
      ],
    },
  });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.equal(hex(r.config.options.get(224)!.data), '0064');
  assert.equal(r.config.options.get(224)!.name, 'site-vlan');
  assert.equal(hex(r.config.options.get(43)!.data), '020400000007');
});

test('refused: redefining a standard option, undefined spaces and sub-options, bad record types', () => {
  const issues = (dhcp4: unknown): string[] => {
    const r = parseConfig({ Dhcp4: dhcp4 });
    assert.ok(!r.ok);
    return r.error.issues.map((i) => `${i.path}: ${i.message}`);
  };
  assert.match(
    issues({ 'option-def': [{ name: 'r', code: 3, type: 'string' }] })[0]!,
    /^Dhcp4\.option-def\[0\]\.code: option 3 is a standard option/,
  );
  assert.match(
    issues({ 'option-data': [{ name: 'x', space: 'nowhere', data: '1' }] })[0]!,
    /option space "nowhere" has no definition of option x/,
  );
  assert.match(
    issues({
      'option-def': [{ name: 'x', code: 224, type: 'record', 'record-types': 'uint8, ipv6-prefix' }],
    })[0]!,
    /record-types/,
  );
  assert.match(
    issues({ 'option-def': [{ name: 'x', code: 224, type: 'ipv6-prefix' }] })[0]!,
    /option-def\[0\]\.type/,
  );
});

test('accepted as Kea 2.2 accepts them: IPv6 addresses in a dhcp4 option, a space no option carries (with a warning)', () => {
  const r = parseConfig({
    Dhcp4: {
      'option-def': [
        { name: 'x', code: 224, type: 'record', 'record-types': 'uint8, ipv6-address' },
        { name: 'z', code: 1, space: 'lonely', type: 'uint8' },
      ],
      'option-data': [
        { name: 'x', data: '1, 2001:db8::1' },
        { name: 'z', space: 'lonely', data: '1' },
      ],
    },
  });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.equal(hex(r.config.options.get(224)!.data), `0120010db8${'0'.repeat(22)}01`);
  assert.deepEqual(r.config.warnings, [
    'Dhcp4.option-data[1].space: no dhcp4 option encapsulates option space "lonely": its options are never sent',
  ]);
  assert.throws(() => encodeByDef(def('ipv6-address'), '2001:db8::1::2', true), /not an IPv6 address/);
});
