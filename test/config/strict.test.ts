import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/compile.ts';

const subnet = { id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.99' }] };

function issues(dhcp4: Record<string, unknown>, root: Record<string, unknown> = {}): string[] {
  const r = parseConfig({ Dhcp4: { subnet4: [subnet], ...dhcp4 }, ...root });
  return r.ok ? [] : r.error.issues.map((i) => `${i.path}: ${i.message}`);
}

function warnings(dhcp4: Record<string, unknown>): readonly string[] {
  const r = parseConfig({ Dhcp4: { subnet4: [subnet], ...dhcp4 } });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.config.warnings;
}

test('a typo inside any Kea map is refused with its path', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ 'lease-database': { type: 'memfile', nmae: '/tmp/x' } }, 'Dhcp4.lease-database.nmae'],
    [{ loggers: [{ name: 'kea-dhcp4', severty: 'DEBUG' }] }, 'Dhcp4.loggers[0].severty'],
    [
      { loggers: [{ name: 'kea-dhcp4', 'output-options': [{ ouput: 'stdout' }] }] },
      'Dhcp4.loggers[0].output-options[0].ouput',
    ],
    [{ 'multi-threading': { 'enable-multithreading': true } }, 'Dhcp4.multi-threading.enable-multithreading'],
    [{ 'sanity-checks': { 'lease-check': 'fix' } }, 'Dhcp4.sanity-checks.lease-check'],
    [{ 'dhcp-ddns': { 'enable-update': false } }, 'Dhcp4.dhcp-ddns.enable-update'],
    [
      { 'control-socket': { 'socket-type': 'unix', 'socket-nam': '/tmp/s' } },
      'Dhcp4.control-socket.socket-nam',
    ],
  ];
  for (const [dhcp4, path] of cases)
    assert.ok(issues(dhcp4).includes(`${path}: unknown or unsupported parameter`), path);
  assert.deepEqual(issues({ loggers: [{ name: 'kea-dhcp4', 'output-options': [{ ouput: 'stdout' }] }] }), [
    'Dhcp4.loggers[0].output-options[0].output: required: a string',
    'Dhcp4.loggers[0].output-options[0].ouput: unknown or unsupported parameter',
  ]);
});

test('what is not supported is said in words', () => {
  assert.match(
    issues({ 'lease-database': { type: 'mysql', name: 'kea' } })[0] ?? '',
    /MySQL is not supported: use "postgresql".*"sqlite"/,
  );
  assert.match(
    issues({ 'sanity-checks': { 'lease-checks': 'repair' } })[0] ?? '',
    /none, warn, fix, fix-del, del/,
  );
  assert.match(issues({ 'ip-reservations-unique': false })[0] ?? '', /false is not supported/);
  assert.match(issues({}, { Logging: { loggers: [] } })[0] ?? '', /^Logging: .*Dhcp4\.loggers/);
  assert.match(
    issues({ 'dhcp-ddns': { 'qualifying-suffix': 'example.org' } })[0] ?? '',
    /^Dhcp4.dhcp-ddns.qualifying-suffix: not supported: moved out of dhcp-ddns/,
  );
  assert.deepEqual(issues({ 'dhcp4o6-port': 6767, 'config-control': {} }), [
    'Dhcp4.dhcp4o6-port: not supported: DHCPv4-over-DHCPv6 (RFC 7341)',
    "Dhcp4.config-control: not supported: Kea's configuration backend: the configuration is the file (config-set and config-write change it)",
  ]);
});

test('keys that change nothing here are accepted with one warning line each, naming them', () => {
  const w = warnings({
    'lease-database': { type: 'memfile', 'lfc-interval': 3600 },
    'multi-threading': { 'enable-multi-threading': true, 'thread-pool-size': 4, 'packet-queue-size': 64 },
    'dhcp-queue-control': { 'enable-queue': false },
    'statistic-default-sample-count': 1,
    'interfaces-config': { interfaces: [], 'service-sockets-max-retries': 5 },
    subnet4: [
      { ...subnet, 'store-extended-info': true, allocator: 'random' },
      { id: 2, subnet: '198.18.1.0/24', 'store-extended-info': true },
    ],
  });
  assert.ok(w.some((l) => l.startsWith('Dhcp4.lease-database.lfc-interval: accepted and ignored')));
  assert.ok(w.some((l) => l.startsWith('Dhcp4.multi-threading.thread-pool-size:')));
  assert.ok(w.some((l) => l.startsWith('Dhcp4.dhcp-queue-control:')));
  assert.ok(w.some((l) => l.startsWith('Dhcp4.interfaces-config.service-sockets-max-retries:')));
  assert.ok(w.some((l) => l.startsWith('Dhcp4.subnet4[0].store-extended-info (and 1 more):')));
  assert.equal(w.filter((l) => l.includes('store-extended-info')).length, 1);
  assert.deepEqual(warnings({}), []);
});

test('what Kea 2.2 accepts: id 0, relay ip-address, option without data, 2^32-1 lifetimes', () => {
  const r = parseConfig({
    Dhcp4: {
      'valid-lifetime': 0xffffffff,
      'max-valid-lifetime': 0xffffffff,
      'option-data': [{ name: 'domain-name-servers', 'always-send': true }],
      subnet4: [
        { id: 0, subnet: '198.18.0.0/24', relay: { 'ip-address': '198.18.9.1' } },
        { id: 1, subnet: '198.18.1.0/24' },
      ],
    },
  });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.equal(r.config.subnets[0]?.id, 2, 'id 0 is assigned automatically');
  assert.deepEqual(r.config.subnets[0]?.relayAddresses, [0xc6120901]);
  assert.equal(r.config.options.get(6)?.data.length, 0);
  assert.equal(r.config.lifetimes.valid, 0xffffffff);
});

test('reservation-mode maps onto the reservation flags, per level, and cannot be mixed with them', () => {
  const r = parseConfig({
    Dhcp4: {
      'reservation-mode': 'global',
      subnet4: [
        { id: 1, subnet: '198.18.0.0/24' },
        { id: 2, subnet: '198.18.1.0/24', 'reservation-mode': 'all' },
        { id: 3, subnet: '198.18.2.0/24', 'reservations-global': true, 'reservations-in-subnet': true },
      ],
    },
  });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const flags = r.config.subnets.map((s) => [s.reservationsGlobal, s.reservationsInSubnet]);
  assert.deepEqual(flags, [
    [true, false],
    [false, true],
    [true, true],
  ]);
  assert.match(
    issues({ 'reservation-mode': 'all', 'reservations-global': true })[0] ?? '',
    /^Dhcp4.reservation-mode: cannot be combined/,
  );
});

test('reservations by duid and circuit-id; host-reservation-identifiers takes every Kea type', () => {
  const r = parseConfig({
    Dhcp4: {
      'host-reservation-identifiers': ['circuit-id', 'duid', 'hw-address', 'client-id'],
      subnet4: [
        {
          ...subnet,
          reservations: [
            { duid: '00:03:00:01:aa:bb:cc:dd:ee:ff', 'ip-address': '198.18.0.200' },
            { 'circuit-id': "'port-7'", 'ip-address': '198.18.0.201' },
            { 'circuit-id': '0x0102', hostname: 'two' },
          ],
        },
      ],
    },
  });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const res = r.config.subnets[0]?.reservations ?? [];
  assert.equal(res[0]?.duid, '00:03:00:01:aa:bb:cc:dd:ee:ff');
  assert.equal(res[1]?.circuitId, Buffer.from('port-7').toString('hex').match(/../g)?.join(':'));
  assert.equal(res[2]?.circuitId, '01:02');
  assert.deepEqual(r.config.hostIdentifiers, ['circuit-id', 'duid', 'hw-address', 'client-id']);
  assert.match(
    issues({
      subnet4: [
        {
          ...subnet,
          reservations: [{ duid: 'zz' }, { duid: '01:02:03', 'hw-address': '02:00:00:00:00:01' }],
        },
      ],
    }).join('\n'),
    /reservations\[0\].duid: "zz" is not a DUID[\s\S]*reservations\[1\]: a reservation needs exactly one identifier/,
  );
});
