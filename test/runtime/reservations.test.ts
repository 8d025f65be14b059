import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/index.ts';
import { ConfigHolder } from '../../src/runtime/config-holder.ts';
import { ConfigReservations } from '../../src/runtime/reservations.ts';
import { harness } from '../control/helpers.ts';

test('reservation commands over ConfigReservations change the running configuration', async () => {
  const h = harness();
  const start = parseConfig({
    Dhcp4: {
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/24',
          reservations: [{ 'hw-address': 'AA:BB:CC:DD:EE:01', 'ip-address': '198.18.0.10', hostname: 'r1' }],
        },
      ],
    },
  });
  assert.ok(start.ok);
  let applied = 0;
  const holder = new ConfigHolder({
    config: start.config,
    file: undefined,
    onApply: () => (applied += 1),
    clock: () => 0,
  });
  h.target.reservations = new ConfigReservations(holder);

  const got = await h.call('reservation-get', {
    'subnet-id': 1,
    'identifier-type': 'hw-address',
    identifier: 'aa:bb:cc:dd:ee:01',
  });
  assert.equal(got.result, 0, 'configured reservations are found, identifiers compared normalized');
  assert.deepEqual(
    got.arguments,
    {
      'hw-address': 'aa:bb:cc:dd:ee:01',
      'ip-address': '198.18.0.10',
      hostname: 'r1',
      'next-server': '0.0.0.0',
      'server-hostname': '',
      'boot-file-name': '',
      'client-classes': [],
      'option-data': [],
      'subnet-id': 1,
    },
    "a configured host in Kea's shape: the empty fields are there with their empty values",
  );

  assert.deepEqual(
    await h.call('reservation-add', {
      reservation: { 'subnet-id': 1, 'hw-address': '1a:1b:1c:1d:1e:1f', 'ip-address': '198.18.0.11' },
    }),
    { result: 0, text: 'Host added.' },
  );
  const subnet = (holder.json()['Dhcp4'] as { subnet4: { reservations: unknown[] }[] }).subnet4[0];
  assert.equal(subnet?.reservations.length, 2, 'the running configuration now holds the new host');
  assert.equal(applied, 1, 'the change was compiled and handed to the engine');

  const dupAddress = await h.call('reservation-add', {
    reservation: { 'subnet-id': 1, 'hw-address': '1a:1b:1c:1d:1e:20', 'ip-address': '198.18.0.10' },
  });
  assert.deepEqual(dupAddress, { result: 1, text: 'Host already exists.' });
  const noSubnet = await h.call('reservation-add', {
    reservation: { 'subnet-id': 9, 'hw-address': '1a:1b' },
  });
  assert.deepEqual(noSubnet, { result: 1, text: 'Subnet with SUBNET_ID=9 does not exist' });
  assert.equal(
    (await h.call('reservation-add', { reservation: { 'subnet-id': 0, 'client-id': '01:02:03' } })).result,
    0,
    'subnet-id 0 is a global reservation',
  );
  const rejected = await h.call('reservation-add', {
    reservation: { 'subnet-id': 1, 'hw-address': '1a:1b:1c:1d:1e:21', bogus: true },
  });
  assert.equal(rejected.result, 1, 'a change the compiler refuses is answered as an error');
  assert.match(rejected.text ?? '', /^reservation rejected: .*bogus/);
  assert.equal(
    (holder.json()['Dhcp4'] as { subnet4: { reservations: unknown[] }[] }).subnet4[0]?.reservations.length,
    2,
    'and not applied',
  );

  assert.equal((await h.call('reservation-get-page', { limit: 10 })).text, '3 IPv4 host(s) found.');
  assert.deepEqual(await h.call('reservation-del', { 'subnet-id': 1, 'ip-address': '198.18.0.10' }), {
    result: 0,
    text: 'Host deleted.',
  });
  assert.equal((await h.call('reservation-get-all', { 'subnet-id': 1 })).text, '1 IPv4 host(s) found.');
});

test('reservation-get-by-hostname and -by-id over the configuration; operation-target is checked', async () => {
  const h = harness();
  const start = parseConfig({
    Dhcp4: {
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/24',
          reservations: [
            { 'hw-address': 'AA:BB:CC:DD:EE:01', 'ip-address': '198.18.0.10', hostname: 'Printer' },
            { duid: '00:03:00:01:aa:bb', 'ip-address': '198.18.0.11', hostname: 'phone' },
          ],
        },
      ],
      reservations: [{ 'hw-address': 'aa:bb:cc:dd:ee:01', hostname: 'printer' }],
    },
  });
  assert.ok(start.ok);
  const holder = new ConfigHolder({
    config: start.config,
    file: undefined,
    onApply: () => undefined,
    clock: () => 0,
  });
  h.target.reservations = new ConfigReservations(holder);
  const byName = await h.call('reservation-get-by-hostname', { hostname: 'PRINTER' });
  assert.equal(byName.text, '2 IPv4 host(s) found.', 'case-insensitive, global and subnet hosts');
  const inSubnet = await h.call('reservation-get-by-hostname', { hostname: 'printer', 'subnet-id': 1 });
  assert.equal(inSubnet.text, '1 IPv4 host(s) found.');
  const byId = await h.call('reservation-get-by-id', {
    'identifier-type': 'duid',
    identifier: '000300' + '01aabb',
  });
  assert.equal(byId.text, '1 IPv4 host(s) found.', 'hex with or without colons');
  const none = await h.call('reservation-get-by-hostname', { hostname: 'nobody' });
  assert.equal(none.result, 3);
  const bad = await h.call('reservation-get', {
    'subnet-id': 1,
    'ip-address': '198.18.0.10',
    'operation-target': 'disk',
  });
  assert.equal(bad.result, 1);
  assert.match(bad.text ?? '', /operation-target/);
  // Without a host database, operation-target "database" finds nothing and writes nowhere, as Kea says.
  const db = { 'operation-target': 'database' };
  assert.equal(
    (await h.call('reservation-get', { 'subnet-id': 1, 'ip-address': '198.18.0.10', ...db })).result,
    3,
  );
  assert.equal((await h.call('reservation-get-by-hostname', { hostname: 'phone', ...db })).result, 3);
  assert.deepEqual(
    await h.call('reservation-add', {
      reservation: { 'subnet-id': 1, 'hw-address': '02:00:00:00:00:77' },
      ...db,
    }),
    { result: 1, text: 'Unable to add a host because there is no hosts-databases configured.' },
  );
  assert.deepEqual(await h.call('reservation-del', { 'subnet-id': 1, 'ip-address': '198.18.0.10', ...db }), {
    result: 1,
    text: 'Unable to delete a host because there is no hosts-databases configured.',
  });
});
