import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './helpers.ts';
import { FAKE_NOW } from './fake-target.ts';

const L1 = {
  'ip-address': '198.18.0.101',
  'hw-address': '1A:1B:1C:1D:1E:1F',
  hostname: 'h1',
  'client-id': '01:1a:1b',
  'user-context': { a: 1 },
};

test('lease4-add stores a Lease and lease4-get answers it in Kea lease4 JSON', async () => {
  const h = harness();
  assert.deepEqual(await h.call('lease4-add', L1), {
    result: 0,
    text: 'Lease for address 198.18.0.101, subnet-id 1 added.',
  });
  const stored = h.target.leases.map.get('198.18.0.101');
  assert.equal(stored?.hwAddress, '1a:1b:1c:1d:1e:1f');
  assert.equal(stored?.cltt, FAKE_NOW);
  assert.equal(stored?.expiresAt, FAKE_NOW + 4000_000);
  assert.deepEqual(await h.call('lease4-get', { 'ip-address': '198.18.0.101' }), {
    arguments: {
      'client-id': '01:1a:1b',
      cltt: FAKE_NOW / 1000,
      'fqdn-fwd': false,
      'fqdn-rev': false,
      hostname: 'h1',
      'hw-address': '1a:1b:1c:1d:1e:1f',
      'ip-address': '198.18.0.101',
      state: 0,
      'subnet-id': 1,
      'user-context': { a: 1 },
      'valid-lft': 4000,
    },
    result: 0,
    text: 'IPv4 lease found.',
  });
  assert.deepEqual(await h.call('lease4-add', L1), { result: 1, text: 'IPv4 lease already exists.' });
});

test('lease4-add: expire sets cltt, state and missing optional keys as Kea', async () => {
  const h = harness();
  await h.call('lease4-add', {
    'ip-address': '198.18.0.102',
    'hw-address': '1a:1b:1c:1d:1e:20',
    'valid-lft': 100,
    expire: 2000000000,
    'fqdn-fwd': true,
    state: 1,
  });
  const got = (await h.call('lease4-get', { 'ip-address': '198.18.0.102' })).arguments as Record<
    string,
    unknown
  >;
  assert.equal(got['cltt'], 1999999900);
  assert.equal(got['state'], 1);
  assert.equal(got['hostname'], '');
  assert.equal('client-id' in got, false);
  assert.equal('user-context' in got, false);
});

test('lease4-add rejects bad arguments with Kea wording', async () => {
  const h = harness();
  const cases: [unknown, string][] = [
    [undefined, 'no parameters specified for the command'],
    [{ 'hw-address': '1a:1b:1c:1d:1e:20' }, "missing parameter 'ip-address'"],
    [{ 'ip-address': '198.18.0.103' }, "missing parameter 'hw-address'"],
    [
      { 'ip-address': 'x', 'hw-address': '1a:1b' },
      "Failed to convert 'x' to address: Failed to convert string to address 'x': Invalid argument",
    ],
    [
      { 'ip-address': '198.18.0.103', 'hw-address': 'zz' },
      "'z' is not a valid hexadecimal digit in decoded string 'zz'",
    ],
    [{ 'ip-address': '198.18.0.103', 'hw-address': '1a-1b' }, "invalid format of the decoded string '1a-1b'"],
    [
      { 'ip-address': '10.0.0.1', 'hw-address': '1a:1b' },
      'subnet-id not specified and failed to find a subnet for address 10.0.0.1',
    ],
    [
      { 'ip-address': '198.18.0.103', 'hw-address': '1a:1b', 'subnet-id': 7 },
      'Invalid subnet-id: No IPv4 subnet with subnet-id=7 currently configured.',
    ],
    [
      { 'ip-address': '198.18.0.103', 'hw-address': '1a:1b', 'valid-lft': 'x' },
      "invalid type specified for parameter 'valid-lft'",
    ],
    [
      { 'ip-address': '198.18.0.103', 'hw-address': '1a:1b', state: 7 },
      'Invalid state value: 7, supported values are: 0 (default), 1 (declined) and 2 (expired-reclaimed)',
    ],
    [
      { 'ip-address': '198.18.0.103', 'hw-address': '1a:1b', 'user-context': 5 },
      "Invalid user context '5' is not a JSON map.",
    ],
    [
      { 'ip-address': '198.18.0.103', 'hw-address': '1a:1b', 'client-id': 'zz' },
      "'zz' is not a valid string of hexadecimal digits",
    ],
    [
      { 'ip-address': '198.18.0.103', 'hw-address': '1a:1b', hostname: 5 },
      "invalid type specified for parameter 'hostname'",
    ],
  ];
  for (const [args, text] of cases) {
    assert.deepEqual(await h.call('lease4-add', args), { result: 1, text }, JSON.stringify(args));
  }
  assert.equal(h.target.leases.map.size, 0);
});

test('lease4-get by identifier, lease4-del, not found is result 3', async () => {
  const h = harness();
  await h.call('lease4-add', L1);
  const byHw = await h.call('lease4-get', {
    'identifier-type': 'hw-address',
    identifier: '1a:1b:1c:1d:1e:1f',
    'subnet-id': 1,
  });
  assert.equal(byHw.result, 0);
  const byCid = await h.call('lease4-get', {
    'identifier-type': 'client-id',
    identifier: '01:1a:1b',
    'subnet-id': 1,
  });
  assert.equal(byCid.result, 0);
  assert.deepEqual(
    await h.call('lease4-get', { 'identifier-type': 'hw-address', identifier: '1a:1b:1c:1d:1e:1f' }),
    {
      result: 1,
      text: "Mandatory 'subnet-id' parameter missing.",
    },
  );
  assert.deepEqual(
    await h.call('lease4-get', { 'identifier-type': 'duid', identifier: '01', 'subnet-id': 1 }),
    {
      result: 1,
      text: 'Query by duid is not allowed in v4.',
    },
  );
  assert.deepEqual(await h.call('lease4-get'), { result: 1, text: 'Parameters missing or are not a map.' });
  assert.deepEqual(await h.call('lease4-get', { 'ip-address': 1 }), {
    result: 1,
    text: "'ip-address' is not a string.",
  });
  assert.deepEqual(await h.call('lease4-get', { 'ip-address': '198.18.0.109' }), {
    result: 3,
    text: 'Lease not found.',
  });
  assert.deepEqual(await h.call('lease4-del', { 'ip-address': '198.18.0.101' }), {
    result: 0,
    text: 'IPv4 lease deleted.',
  });
  assert.deepEqual(await h.call('lease4-del', { 'ip-address': '198.18.0.101' }), {
    result: 3,
    text: 'IPv4 lease not found.',
  });
});

test('lease4-update, with and without force-create', async () => {
  const h = harness();
  const upd = { 'ip-address': '198.18.0.150', 'hw-address': '1a:1b:1c:1d:1e:22' };
  const missing = await h.call('lease4-update', upd);
  assert.equal(missing.result, 1);
  assert.match(missing.text ?? '', /^failed to update the lease with address 198\.18\.0\.150/);
  assert.deepEqual(await h.call('lease4-update', { ...upd, 'force-create': true }), {
    result: 0,
    text: 'IPv4 lease added.',
  });
  assert.deepEqual(await h.call('lease4-update', { ...upd, hostname: 'upd' }), {
    result: 0,
    text: 'IPv4 lease updated.',
  });
  assert.equal(h.target.leases.map.get('198.18.0.150')?.hostname, 'upd');
  assert.equal((await h.call('lease4-update', { ...upd, 'force-create': 1 })).result, 1);
});

test('lease4-get-all, -page, -by-*, wipe', async () => {
  const h = harness();
  for (const n of [103, 101, 102]) {
    await h.call('lease4-add', {
      'ip-address': `198.18.0.${n}`,
      'hw-address': `1a:1b:1c:1d:1e:${n.toString(16)}`,
      hostname: `H${n}`,
    });
  }
  const all = await h.call('lease4-get-all');
  assert.equal(all.text, '3 IPv4 lease(s) found.');
  const addrs = (all.arguments as { leases: { 'ip-address': string }[] }).leases.map((l) => l['ip-address']);
  assert.deepEqual(addrs, ['198.18.0.101', '198.18.0.102', '198.18.0.103']);
  assert.deepEqual(await h.call('lease4-get-all', { subnets: [2] }), {
    arguments: { leases: [] },
    result: 3,
    text: '0 IPv4 lease(s) found.',
  });
  assert.deepEqual(await h.call('lease4-get-all', { subnets: 'x' }), {
    result: 1,
    text: "'subnets' parameter must be a list",
  });

  const page = await h.call('lease4-get-page', { from: '198.18.0.101', limit: 1 });
  assert.equal((page.arguments as { count: number }).count, 1);
  assert.equal((await h.call('lease4-get-page', { from: '198.18.0.103', limit: 2 })).result, 3);
  assert.deepEqual(await h.call('lease4-get-page', { from: 'start' }), {
    result: 1,
    text: "'limit' parameter not specified",
  });
  assert.deepEqual(await h.call('lease4-get-page', { limit: 2 }), {
    result: 1,
    text: "'from' parameter not specified",
  });
  assert.deepEqual(await h.call('lease4-get-page', { from: 'start', limit: 0 }), {
    result: 1,
    text: 'page size of retrieved leases must not be 0',
  });
  assert.deepEqual(await h.call('lease4-get-page', { from: 'bogus', limit: 2 }), {
    result: 1,
    text: "'from' parameter value is neither 'start' keyword nor a valid IPv4 address",
  });

  assert.equal((await h.call('lease4-get-by-hw-address', { 'hw-address': '1a:1b:1c:1d:1e:65' })).result, 0);
  assert.deepEqual(await h.call('lease4-get-by-hw-address', {}), {
    result: 1,
    text: "'hw-address' parameter not specified",
  });
  assert.deepEqual(await h.call('lease4-get-by-hw-address', { 'hw-address': 1 }), {
    result: 1,
    text: "'hw-address' parameter must be a string",
  });
  assert.equal((await h.call('lease4-get-by-client-id', { 'client-id': '01:02' })).result, 3);
  assert.equal((await h.call('lease4-get-by-hostname', { hostname: 'h101' })).text, '1 IPv4 lease(s) found.');
  assert.deepEqual(await h.call('lease4-get-by-hostname', { hostname: '' }), {
    result: 1,
    text: "'hostname' parameter is empty",
  });
  assert.deepEqual(await h.call('lease4-get-by-hostname'), {
    result: 1,
    text: 'Command arguments missing or a not a map.',
  });

  assert.deepEqual(await h.call('lease4-wipe', { 'subnet-id': 1 }), {
    result: 0,
    text: 'Deleted 3 IPv4 lease(s) from subnet(s) 1',
  });
  assert.deepEqual(await h.call('lease4-wipe'), {
    result: 3,
    text: 'Deleted 0 IPv4 lease(s) from subnet(s) 1',
  });
});

test('stat-lease4-get counts assigned and declined leases per subnet', async () => {
  const h = harness();
  await h.call('lease4-add', L1);
  await h.call('lease4-add', { 'ip-address': '198.18.0.102', 'hw-address': '1a:1b:1c:1d:1e:20', state: 1 });
  const a = await h.call('stat-lease4-get');
  assert.equal(a.text, 'stat-lease4-get[all subnets]: 1 rows found');
  const rs = (a.arguments as { 'result-set': { columns: string[]; rows: number[][]; timestamp: string } })[
    'result-set'
  ];
  assert.deepEqual(rs.columns, [
    'subnet-id',
    'total-addresses',
    'cumulative-assigned-addresses',
    'assigned-addresses',
    'declined-addresses',
  ]);
  assert.deepEqual(rs.rows, [[1, 101, 0, 1, 1]]);
  assert.deepEqual(await h.call('stat-lease4-get', { 'subnet-id': 9 }), {
    arguments: {},
    result: 3,
    text: 'stat-lease4-get[subnet-id=9]: no matching data, subnet-id: 9 does not exist',
  });
  assert.deepEqual(await h.call('stat-lease4-get', { 'subnet-id': 'x' }), {
    result: 1,
    text: "'subnet-id' parameter is not integer",
  });
  const range = await h.call('stat-lease4-get', {
    'subnet-range': { 'first-subnet-id': 1, 'last-subnet-id': 3 },
  });
  assert.equal(range.text, 'stat-lease4-get[subnets 1 through 3]: 1 rows found');
});

test('reservations: add, get, get-all, get-page, del', async () => {
  const h = harness();
  assert.deepEqual(await h.call('reservation-add', { reservation: { 'hw-address': '1a:1b:1c:1d:1e:1f' } }), {
    result: 1,
    text: "Mandatory 'subnet-id' parameter missing.",
  });
  for (const n of [1, 2, 3]) {
    const add = await h.call('reservation-add', {
      reservation: { 'subnet-id': 1, 'hw-address': `1A:1b:1c:1d:1e:0${n}`, 'ip-address': `198.18.0.1${n}` },
    });
    assert.deepEqual(add, { result: 0, text: 'Host added.' });
  }
  const dup = await h.call('reservation-add', {
    reservation: { 'subnet-id': 1, 'hw-address': '1a:1b:1c:1d:1e:01', 'ip-address': '198.18.0.50' },
  });
  assert.equal(dup.result, 1);
  assert.deepEqual(
    await h.call('reservation-get', {
      'subnet-id': 1,
      'identifier-type': 'hw-address',
      identifier: '1a:1b:1c:1d:1e:02',
    }),
    {
      // Kea's Host::toElement4: the fields a host leaves empty are printed with their empty values.
      arguments: {
        'hw-address': '1a:1b:1c:1d:1e:02',
        'ip-address': '198.18.0.12',
        hostname: '',
        'next-server': '0.0.0.0',
        'server-hostname': '',
        'boot-file-name': '',
        'client-classes': [],
        'option-data': [],
        'subnet-id': 1,
      },
      result: 0,
      text: 'Host found.',
    },
  );
  assert.deepEqual(await h.call('reservation-get', { 'subnet-id': 1, 'ip-address': '198.18.0.99' }), {
    result: 3,
    text: 'Host not found.',
  });
  assert.deepEqual(await h.call('reservation-get', { 'subnet-id': 1 }), {
    result: 1,
    text: "No 'ip-address' provided and 'identifier-type' is either missing or not a string.",
  });
  const all = await h.call('reservation-get-all', { 'subnet-id': 1 });
  assert.equal(all.text, '3 IPv4 host(s) found.');
  const [first] = (all.arguments as { hosts: Record<string, unknown>[] }).hosts;
  assert.equal(first?.['next-server'], '0.0.0.0', 'lists give every host the same shape');
  assert.deepEqual(first?.['option-data'], []);
  const p1 = await h.call('reservation-get-page', { limit: 2 });
  const a1 = p1.arguments as { count: number; next: { from: number; 'source-index': number } };
  assert.equal(a1.count, 2);
  const p2 = await h.call('reservation-get-page', {
    limit: 2,
    from: a1.next.from,
    'source-index': a1.next['source-index'],
  });
  assert.equal((p2.arguments as { count: number }).count, 1);
  const a2 = p2.arguments as { next: { from: number } };
  assert.deepEqual(await h.call('reservation-get-page', { limit: 2, from: a2.next.from }), {
    arguments: { count: 0, hosts: [] },
    result: 3,
    text: '0 IPv4 host(s) found.',
  });
  assert.deepEqual(await h.call('reservation-del', { 'subnet-id': 1, 'ip-address': '198.18.0.11' }), {
    result: 0,
    text: 'Host deleted.',
  });
  assert.deepEqual(await h.call('reservation-del', { 'subnet-id': 1, 'ip-address': '198.18.0.11' }), {
    result: 1,
    text: 'Host not deleted (not found).',
  });
});
