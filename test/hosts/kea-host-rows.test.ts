import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ROW_LIMITS,
  hostFromRows,
  hostInsert,
  type KeaHostRow,
  type KeaOptionRow,
} from '../../src/hosts/index.ts';

const row = (over: Partial<KeaHostRow> = {}): KeaHostRow => ({
  host_id: 7,
  dhcp_identifier: Buffer.from('020000000a01', 'hex'),
  identifier_length: 6,
  dhcp_identifier_type: 0,
  dhcp4_subnet_id: '1',
  ipv4_address: '3323068516', // 198.18.0.100
  hostname: '',
  dhcp4_client_classes: '',
  dhcp4_next_server: '0',
  dhcp4_server_hostname: '',
  dhcp4_boot_file_name: '',
  user_context: null,
  ...over,
});

const option = (over: Partial<KeaOptionRow> = {}): KeaOptionRow => ({
  host_id: 7,
  code: 15,
  value: null,
  value_length: null,
  formatted_value: 'example.org',
  space: 'dhcp4',
  persistent: false,
  ...over,
});

test("a Kea hosts row in Kea's JSON: '' and 0 are not set, classes split, options as text or bytes", () => {
  const out = hostFromRows(
    row({
      hostname: 'printer',
      dhcp4_client_classes: 'voip, lab',
      dhcp4_next_server: '3323068421',
      user_context: '{"site":"b2"}',
    }),
    [
      option(),
      option({
        code: 42,
        formatted_value: null,
        value: Buffer.from('c612007b', 'hex'),
        value_length: 4,
        persistent: true,
        space: '',
      }),
    ],
  );
  assert.ok(out.ok);
  assert.deepEqual(out.host, {
    hostId: 7,
    subnetId: 1,
    host: {
      'hw-address': '02:00:00:00:0a:01',
      'ip-address': '198.18.0.100',
      hostname: 'printer',
      'client-classes': ['voip', 'lab'],
      'next-server': '198.18.0.5',
      'user-context': { site: 'b2' },
      'option-data': [
        { code: 15, space: 'dhcp4', data: 'example.org', 'csv-format': true },
        { code: 42, space: 'dhcp4', data: 'c612007b', 'csv-format': false, 'always-send': true },
      ],
    },
  });
  const commented = hostFromRows(row({ user_context: '{"comment":"lab printer"}' }), []);
  assert.ok(commented.ok);
  assert.equal(commented.host.host['comment'], 'lab printer', "Kea's comment lives in the user context");
  assert.equal(commented.host.host['user-context'], undefined);
  const bare = hostFromRows(row({ ipv4_address: '0', dhcp_identifier_type: 4 }), []);
  assert.ok(bare.ok);
  assert.deepEqual(bare.host.host, { 'flex-id': '02:00:00:00:0a:01' }, 'address 0 is no reservation');
});

test('bad rows are refused with the host id and the reason, never thrown', () => {
  const reasons = [
    hostFromRows(row({ dhcp_identifier_type: 9 }), []),
    hostFromRows(row({ dhcp_identifier: null, identifier_length: 4000 }), []),
    hostFromRows(row({ dhcp4_subnet_id: null }), []),
    hostFromRows(row({ ipv4_address: '99999999999' }), []),
    hostFromRows(row({ user_context: '{' }), []),
    hostFromRows(row({ user_context: '[1]' }), []),
    hostFromRows(row({ user_context: 'x'.repeat(ROW_LIMITS.userContextChars + 1) }), []),
    hostFromRows(row(), [option({ code: 300 })]),
    hostFromRows(row(), [option({ formatted_value: null, value: null, value_length: 5000 })]),
    hostFromRows(row(), [option({ formatted_value: 'x'.repeat(ROW_LIMITS.formattedValueChars + 1) })]),
    hostFromRows(
      row(),
      Array.from({ length: ROW_LIMITS.optionsPerHost + 1 }, () => option()),
    ),
  ].map((r) => (r.ok ? 'accepted' : r.error));
  assert.deepEqual(reasons, [
    'host_id 7: unknown dhcp_identifier_type 9',
    'host_id 7: dhcp_identifier of 4000 bytes (1 to 128)',
    'host_id 7: no dhcp4_subnet_id (a DHCPv6 host)',
    'host_id 7: ipv4_address 99999999999 is not a 32-bit unsigned number',
    'host_id 7: user_context is not JSON',
    'host_id 7: user_context is not a JSON map',
    'host_id 7: user_context longer than 65536 characters',
    'host_id 7: option dhcp4/300: code out of 1-254',
    'host_id 7: option dhcp4/15: value of 5000 bytes (at most 4096)',
    'host_id 7: option dhcp4/15: formatted_value longer than 4096 characters',
    'host_id 7: 65 options (at most 64)',
  ]);
});

test("a reservation's JSON as the rows Kea's backend writes", () => {
  const insert = hostInsert(
    1,
    {
      'client-id': "'ab'",
      'ip-address': '198.18.0.7',
      'option-data': [
        { name: 'domain-name', data: 'x.example' },
        { code: 42, data: 'C6:12:00:99', 'csv-format': false, 'always-send': true },
        { name: 'unknown-thing', data: '1' },
      ],
    },
    (space, name) => (space === 'dhcp4' && name === 'domain-name' ? 15 : undefined),
  );
  assert.equal(insert, 'option "unknown-thing" of space dhcp4 has no known code');
  const ok = hostInsert(
    0,
    { duid: '01:02:03', hostname: 'h', 'client-classes': ['a', 'b'] },
    () => undefined,
  );
  assert.ok(typeof ok !== 'string');
  assert.deepEqual(
    { ...ok, identifier: ok.identifier.toString('hex') },
    {
      identifier: '010203',
      identifierType: 1,
      subnetId: 0,
      ipv4Address: 0,
      hostname: 'h',
      clientClasses: 'a,b',
      nextServer: 0,
      serverHostname: '',
      bootFileName: '',
      userContext: null,
      options: [],
    },
  );
  const withOptions = hostInsert(
    1,
    {
      'hw-address': 'AA-BB-CC-DD-EE-FF',
      'option-data': [
        { name: 'domain-name', data: 'x.example' },
        { code: 42, data: 'C6:12:00:99', 'csv-format': false, 'always-send': true },
      ],
    },
    () => 15,
  );
  assert.ok(typeof withOptions !== 'string');
  assert.equal(withOptions.identifier.toString('hex'), 'aabbccddeeff');
  assert.deepEqual(
    withOptions.options.map((o) => ({ ...o, value: o.value?.toString('hex') ?? null })),
    [
      { code: 15, space: 'dhcp4', persistent: false, formattedValue: 'x.example', value: null },
      { code: 42, space: 'dhcp4', persistent: true, formattedValue: null, value: 'c6120099' },
    ],
  );
  assert.equal(
    hostInsert(1, { 'hw-address': 'zz' }, () => undefined),
    "'zz' is not a valid hw-address",
  );
  const noted = hostInsert(
    1,
    { 'hw-address': '02:00:00:00:00:01', comment: 'c', 'user-context': { a: 1 } },
    () => 1,
  );
  assert.ok(typeof noted !== 'string');
  assert.equal(noted.userContext, '{"a":1,"comment":"c"}');
  assert.equal(
    hostInsert(1, { 'hw-address': '02:00:00:00:00:01', 'user-context': { a: 'x'.repeat(70_000) } }, () => 1),
    'user-context longer than 65536 characters',
  );
  assert.equal(
    hostInsert(1, { 'hw-address': '01:02', duid: '01:02:03' }, () => undefined),
    'exactly one host identifier must be specified',
  );
});
