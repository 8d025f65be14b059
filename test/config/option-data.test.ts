import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeOptionData } from '../../src/config/option-data.ts';
import { parseConfig } from '../../src/config/compile.ts';
import { Lab } from '../server/harness.ts';

function bytesOf(entry: Parameters<typeof encodeOptionData>[0]): number[] {
  const r = encodeOptionData(entry);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return [...r.option.data];
}

test('Kea text forms encode through the codec table', () => {
  assert.deepEqual(bytesOf({ name: 'routers', data: '198.18.0.1' }), [198, 18, 0, 1]);
  assert.deepEqual(
    bytesOf({ name: 'domain-name-servers', data: '198.18.0.1, 198.18.0.2' }),
    [198, 18, 0, 1, 198, 18, 0, 2],
  );
  assert.deepEqual(bytesOf({ name: 'interface-mtu', data: '1500' }), [5, 220]);
  assert.deepEqual(bytesOf({ name: 'ip-forwarding', data: 'false' }), [0]);
  assert.deepEqual(bytesOf({ name: 'domain-name', data: 'lab' }), [...Buffer.from('lab')]);
  assert.deepEqual(
    bytesOf({ name: 'classless-static-route', data: '10.0.0.0/8 - 198.18.0.1' }),
    [8, 10, 198, 18, 0, 1],
  );
  assert.deepEqual(bytesOf({ code: 6, data: '198.18.0.9' }), [198, 18, 0, 9]);
});

test('csv-format false takes hex, checked against the type', () => {
  assert.deepEqual(bytesOf({ name: 'routers', 'csv-format': false, data: 'C6 12 00 01' }), [198, 18, 0, 1]);
  const r = encodeOptionData({ name: 'routers', 'csv-format': false, data: 'c612' });
  assert.ok(!r.ok);
  assert.match(r.message, /2 byte\(s\) is not a valid ips value/);
});

test('unknown codes take hex; unknown names, name/code mismatches and server-owned options are refused', () => {
  assert.deepEqual(bytesOf({ code: 224, 'csv-format': false, data: '0a0b' }), [10, 11]);
  assert.deepEqual(bytesOf({ name: 'option-224', data: '0a:0b' }), [10, 11]);
  const cases: [Parameters<typeof encodeOptionData>[0], RegExp][] = [
    [{ name: 'no-such-option', data: '1' }, /unknown option name "no-such-option"/],
    [
      { name: 'routers', code: 6, data: '1.2.3.4' },
      /name "routers" does not match option 6 \("domain-name-servers"\)/,
    ],
    [{ name: 'dhcp-lease-time', data: '60' }, /set by the server itself/],
    [{ name: 'routers', data: '198.18.0' }, /routers: "198.18.0"/],
  ];
  for (const [entry, re] of cases) {
    const r = encodeOptionData(entry);
    assert.ok(!r.ok);
    assert.match(r.message, re);
  }
});

test('a bad option in a subnet is reported at its JSON path', () => {
  const r = parseConfig({
    Dhcp4: {
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', 'option-data': [{ name: 'routerz', data: '1.2.3.4' }] }],
    },
  });
  assert.ok(!r.ok);
  assert.deepEqual(r.error.issues, [
    { path: 'Dhcp4.subnet4[0].option-data[0]', message: 'unknown option name "routerz"' },
  ]);
});

test("Kea's escaped comma (\\,) is a literal comma in text values", () => {
  assert.deepEqual(
    Buffer.from(
      bytesOf({ name: 'boot-file-name', data: 'EST5EDT4\\,M3.2.0/02:00\\,M11.1.0/02:00' }),
    ).toString(),
    'EST5EDT4,M3.2.0/02:00,M11.1.0/02:00',
  );
});

test('one entry with a name and a code: Kea 2.2 finds the option by code, and the name must be its own', () => {
  const r = parseConfig({
    Dhcp4: {
      'option-def': [
        { name: 'site-vlan', code: 224, type: 'uint16' },
        { name: 'vlanid', code: 2, space: '339', type: 'uint32' },
        { name: 'vendor-encapsulated-options', code: 43, type: 'empty', encapsulate: '339' },
      ],
      'option-data': [
        { name: 'domain-name-servers', code: 6, data: '198.18.0.53' },
        { name: 'site-vlan', code: 224, data: '100' },
        { name: 'vlanid', code: 2, space: '339', data: '7' },
        { name: 'slp-service-scope', code: 79, data: 'true, lab' },
        { name: 'not-defined', code: 225, 'csv-format': false, data: '0a0b' },
      ],
    },
  });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.deepEqual([...r.config.options.get(6)!.data], [198, 18, 0, 53]);
  assert.deepEqual([...r.config.options.get(224)!.data], [0, 100]);
  assert.deepEqual([...r.config.options.get(79)!.data], [1, ...Buffer.from('lab')]);
  assert.deepEqual([...r.config.options.get(225)!.data], [10, 11]);
  // Kea ignores the name of a code without a definition when the data is hex; the warning says so.
  assert.deepEqual(r.config.warnings, [
    'Dhcp4.option-data[4]: name "not-defined" has no definition; Kea ignores it and sends option 225',
  ]);
});

test("a name that is not the code's own is refused at its path, by the table, option-def or a space", () => {
  const r = parseConfig({
    Dhcp4: {
      'option-def': [
        { name: 'site-vlan', code: 224, type: 'uint16' },
        { name: 'vlanid', code: 2, space: '339', type: 'uint32' },
        { name: 'other', code: 3, space: '339', type: 'uint32' },
      ],
      'option-data': [
        { name: 'routers', code: 6, data: '198.18.0.1' },
        { name: 'routers', code: 224, data: '198.18.0.1' },
        { name: 'site-vlan', code: 6, data: '100' },
        { name: 'vlanid', code: 3, space: '339', data: '7' },
        { name: 'not-defined', code: 225, data: '0a0b' },
      ],
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/24',
          'option-data': [{ name: 'slp-directory-agent', code: 79, data: 'true, 198.18.0.9' }],
        },
      ],
    },
  });
  assert.ok(!r.ok);
  assert.deepEqual(r.error.issues, [
    {
      path: 'Dhcp4.subnet4[0].option-data[0]',
      message: 'name "slp-directory-agent" does not match option 79 ("slp-service-scope")',
    },
    {
      path: 'Dhcp4.option-data[0]',
      message: 'name "routers" does not match option 6 ("domain-name-servers")',
    },
    { path: 'Dhcp4.option-data[1]', message: 'name "routers" does not match option 224 ("site-vlan")' },
    {
      path: 'Dhcp4.option-data[2]',
      message: 'name "site-vlan" does not match option 6 ("domain-name-servers")',
    },
    { path: 'Dhcp4.option-data[3]', message: 'name "vlanid" does not match option 3 ("other") of space 339' },
    {
      path: 'Dhcp4.option-data[4]',
      message:
        'option 225 has no definition named "not-defined": define it in option-def, or give its data as hex with "csv-format": false',
    },
  ]);
});

test('one option twice in a scope, by name and by code: the later entry is sent, as Kea 2.2 sends it', async () => {
  const json = {
    Dhcp4: {
      'interfaces-config': { interfaces: ['eth0'] },
      'option-data': [
        { name: 'domain-name-servers', data: '198.18.0.1', 'always-send': true },
        { code: 6, data: '198.18.0.2' },
      ],
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/24',
          pools: [{ pool: '198.18.0.10 - 198.18.0.20' }],
          'option-data': [
            { code: 42, data: '198.18.0.3' },
            { name: 'ntp-servers', data: '198.18.0.4' },
          ],
        },
      ],
    },
  };
  const r = parseConfig(json);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const dns = r.config.options.get(6)!;
  assert.deepEqual([...dns.data], [198, 18, 0, 2]);
  // An always-send on either entry still sends the option (Kea adds the code, then finds the later value).
  assert.equal(dns.alwaysSend, true);
  assert.deepEqual(r.config.warnings, [
    'Dhcp4.subnet4[0].option-data[1]: option ntp-servers (42) replaces Dhcp4.subnet4[0].option-data[0], as in Kea',
    'Dhcp4.option-data[1]: option domain-name-servers (6) replaces Dhcp4.option-data[0], as in Kea',
  ]);
  const ack = await new Lab(json).dora('02:00:00:00:00:01', {
    options: { 'dhcp-parameter-request-list': [42] },
  });
  assert.deepEqual(ack.message.options.get('domain-name-servers'), ['198.18.0.2']);
  assert.deepEqual(ack.message.options.get('ntp-servers'), ['198.18.0.4']);
});

test('a sub-option twice in one scope: in a vendor space the later is sent, in a space under option 43 the first (as kea-dhcp4 2.2)', () => {
  const r = parseConfig({
    Dhcp4: {
      'option-def': [
        { name: 'vlanid', code: 2, space: '339', type: 'uint32' },
        { name: 'vendor-encapsulated-options', code: 43, type: 'empty', encapsulate: '339' },
      ],
      'option-data': [
        { name: 'vlanid', space: '339', data: '7' },
        { code: 2, space: '339', data: '8' },
        { name: 'vivso-suboptions', data: '4491' },
        { name: 'tftp-servers', space: 'vendor-4491', data: '10.0.0.1' },
        { code: 2, space: 'vendor-4491', data: '10.0.0.2' },
      ],
    },
  });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.deepEqual([...r.config.options.get(43)!.data], [2, 4, 0, 0, 0, 7]);
  assert.deepEqual([...r.config.options.get(125)!.data], [0, 0, 0x11, 0x8b, 6, 2, 4, 10, 0, 0, 2]);
  assert.deepEqual(r.config.warnings, [
    'Dhcp4.option-data[1]: option 2 of space 339 is already given by Dhcp4.option-data[0]: Kea sends the first',
    'Dhcp4.option-data[4]: option 2 of space vendor-4491 replaces Dhcp4.option-data[3], as in Kea',
  ]);
});
