import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigReservations } from '../../src/control/config-reservations.ts';
import { harness } from './helpers.ts';

test('reservation commands over ConfigReservations edit the configuration through config-set', async () => {
  const h = harness();
  h.target.configJson = {
    Dhcp4: {
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/24',
          reservations: [{ 'hw-address': 'AA:BB:CC:DD:EE:01', 'ip-address': '198.18.0.10', hostname: 'r1' }],
        },
      ],
    },
  };
  h.target.reservations = new ConfigReservations({
    get: h.target.config.get,
    // Stands in for the config compiler refusing an unknown host parameter.
    set: async (config) =>
      JSON.stringify(config).includes('bogus')
        ? { ok: false, error: "unsupported parameter 'bogus'" }
        : h.target.config.set(config),
  });

  const got = await h.call('reservation-get', {
    'subnet-id': 1,
    'identifier-type': 'hw-address',
    identifier: 'aa:bb:cc:dd:ee:01',
  });
  assert.equal(got.result, 0, 'configured reservations are found, identifiers compared normalized');

  assert.deepEqual(
    await h.call('reservation-add', {
      reservation: { 'subnet-id': 1, 'hw-address': '1a:1b:1c:1d:1e:1f', 'ip-address': '198.18.0.11' },
    }),
    { result: 0, text: 'Host added.' },
  );
  const subnet = (h.target.configJson['Dhcp4'] as { subnet4: { reservations: unknown[] }[] }).subnet4[0];
  assert.equal(subnet?.reservations.length, 2, 'the running configuration now holds the new host');

  const dupAddress = await h.call('reservation-add', {
    reservation: { 'subnet-id': 1, 'hw-address': '1a:1b:1c:1d:1e:20', 'ip-address': '198.18.0.10' },
  });
  assert.deepEqual(dupAddress, { result: 1, text: 'Host with ip-address 198.18.0.10 already exists.' });
  const noSubnet = await h.call('reservation-add', {
    reservation: { 'subnet-id': 9, 'hw-address': '1a:1b' },
  });
  assert.deepEqual(noSubnet, { result: 1, text: 'No IPv4 subnet with subnet-id=9 exists.' });
  assert.equal(
    (await h.call('reservation-add', { reservation: { 'subnet-id': 0, 'client-id': '01:02:03' } })).result,
    0,
    'subnet-id 0 is a global reservation',
  );
  const rejected = await h.call('reservation-add', {
    reservation: { 'subnet-id': 1, 'hw-address': '1a:1b:1c:1d:1e:21', bogus: true },
  });
  assert.deepEqual(
    rejected,
    { result: 1, text: "unsupported parameter 'bogus'" },
    'a refused change is not applied',
  );

  assert.equal((await h.call('reservation-get-page', { limit: 10 })).text, '3 IPv4 host(s) found.');
  assert.deepEqual(await h.call('reservation-del', { 'subnet-id': 1, 'ip-address': '198.18.0.10' }), {
    result: 0,
    text: 'Host deleted.',
  });
  assert.equal((await h.call('reservation-get-all', { 'subnet-id': 1 })).text, '1 IPv4 host(s) found.');
});
