import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeOptionData } from '../../src/config/option-data.ts';
import { parseConfig } from '../../src/config/compile.ts';

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
    [{ name: 'routers', code: 6, data: '1.2.3.4' }, /is option 3, not code 6/],
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
