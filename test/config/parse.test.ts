import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, toKeaJson } from '../../src/config/compile.ts';
import { intToIpv4 } from '../../src/config/ipv4.ts';

function issuesOf(json: unknown): string[] {
  const r = parseConfig(json);
  assert.equal(r.ok, false, 'expected the config to be rejected');
  return r.ok ? [] : r.error.issues.map((i) => `${i.path}: ${i.message}`);
}

const base = {
  Dhcp4: {
    'interfaces-config': { interfaces: ['eth0'] },
    'valid-lifetime': 3600,
    subnet4: [
      {
        id: 1,
        subnet: '198.18.0.0/24',
        pools: [{ pool: '198.18.0.10 - 198.18.0.99' }, { pool: '198.18.0.128/26' }],
        reservations: [
          { 'hw-address': 'AA-BB-CC-DD-EE-01', 'ip-address': '198.18.0.5', hostname: 'printer' },
        ],
      },
    ],
  },
};

test('a Kea Dhcp4 config compiles: pools in both syntaxes, reservations normalised, Kea defaults', () => {
  const r = parseConfig(base);
  assert.ok(r.ok);
  const s = r.config.subnets[0];
  assert.ok(s);
  assert.equal(intToIpv4(s.network), '198.18.0.0');
  assert.equal(intToIpv4(s.broadcast), '198.18.0.255');
  assert.deepEqual(
    s.pools.map((p) => `${intToIpv4(p.start)}-${intToIpv4(p.end)}`),
    ['198.18.0.10-198.18.0.99', '198.18.0.128-198.18.0.191'],
  );
  assert.equal(s.reservations[0]?.hwAddress, 'aa:bb:cc:dd:ee:01');
  assert.equal(s.lifetimes.valid, 3600);
  assert.equal(r.config.declineProbationPeriod, 86400);
  assert.equal(r.config.authoritative, true);
  assert.equal(r.config.lifetimes.t1Percent, 0.5);
});

test("reservation identifiers read Kea's hex forms as the control commands do: '1:a:..' is 01:0a:..", async () => {
  const { normalizeHex } = await import('../../src/control/args.ts');
  const json = structuredClone(base);
  json.Dhcp4.subnet4[0]!.reservations = [
    { 'hw-address': '1:a:b:c:d:e', 'ip-address': '198.18.0.5', hostname: 'printer' },
    { 'client-id': '1:2:3', 'ip-address': '198.18.0.6', hostname: 'x' },
    { 'hw-address': 'aabb.ccdd.eeff', 'ip-address': '198.18.0.7', hostname: 'y' },
  ] as never;
  const r = parseConfig(json);
  assert.ok(r.ok);
  const [hw, client, cisco] = r.config.subnets[0]!.reservations;
  assert.equal(hw?.hwAddress, '01:0a:0b:0c:0d:0e');
  assert.equal(hw?.hwAddress, normalizeHex('1:a:b:c:d:e'));
  assert.equal(client?.clientId, normalizeHex('1:2:3'));
  assert.equal(cisco?.hwAddress, 'aa:bb:cc:dd:ee:ff');
});

test('the compiled config is frozen, so config-set can swap it atomically', () => {
  const r = parseConfig(base);
  assert.ok(r.ok);
  assert.ok(Object.isFrozen(r.config));
  assert.ok(Object.isFrozen(r.config.subnets[0]?.pools));
  assert.throws(() => (r.config.options as Map<number, unknown>).set(1, {}), {
    name: 'TypeError',
    message: 'compiled config is immutable',
  });
});

test('unknown keys are rejected with their JSON path', () => {
  const bad = structuredClone(base) as { Dhcp4: Record<string, unknown> };
  bad.Dhcp4['subnet-4'] = [];
  assert.deepEqual(issuesOf(bad), ['Dhcp4.subnet-4: unknown or unsupported parameter']);
});

test('a pool whose start is after its end names the pool', () => {
  const bad = structuredClone(base);
  bad.Dhcp4.subnet4[0]!.pools[1] = { pool: '198.18.0.5 - 198.18.0.1' };
  assert.deepEqual(issuesOf(bad), [
    'Dhcp4.subnet4[0].pools[1].pool: "198.18.0.5 - 198.18.0.1" start is after end',
  ]);
});

test('pools outside the subnet, overlapping pools, overlapping subnets are each reported', () => {
  const bad = {
    Dhcp4: {
      subnet4: [
        { id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.1.1 - 198.18.1.9' }] },
        {
          id: 2,
          subnet: '198.18.0.128/25',
          pools: [{ pool: '198.18.0.130 - 198.18.0.140' }, { pool: '198.18.0.140/32' }],
        },
      ],
    },
  };
  const msgs = issuesOf(bad);
  assert.ok(
    msgs.some((m) => m.startsWith('Dhcp4.subnet4[0].pools[0].pool:') && m.includes('not inside subnet')),
  );
  assert.ok(msgs.some((m) => m.startsWith('Dhcp4.subnet4[1].pools[1].pool:') && m.includes('overlaps')));
  assert.ok(
    msgs.some((m) => m.startsWith('Dhcp4.subnet4[1].subnet:') && m.includes('overlaps Dhcp4.subnet4[0]')),
  );
});

test('conflicting reservations: the same address or identifier twice', () => {
  const bad = structuredClone(base);
  bad.Dhcp4.subnet4[0]!.reservations.push(
    { 'hw-address': 'aa:bb:cc:dd:ee:02', 'ip-address': '198.18.0.5', hostname: 'x' },
    { 'hw-address': 'aa:bb:cc:dd:ee:01', 'ip-address': '198.18.0.6', hostname: 'y' },
  );
  const msgs = issuesOf(bad);
  assert.ok(
    msgs.includes(
      'Dhcp4.subnet4[0].reservations[1]: ip-address 198.18.0.5 is already reserved by Dhcp4.subnet4[0].reservations[0]',
    ),
  );
  assert.ok(
    msgs.includes(
      'Dhcp4.subnet4[0].reservations[2]: hw-address aa:bb:cc:dd:ee:01 is already reserved by Dhcp4.subnet4[0].reservations[0]',
    ),
  );
});

test('a subnet with host bits set suggests the network', () => {
  const msgs = issuesOf({ Dhcp4: { subnet4: [{ id: 1, subnet: '198.18.0.7/24' }] } });
  assert.deepEqual(msgs, [
    'Dhcp4.subnet4[0].subnet: "198.18.0.7/24" has host bits set; did you mean "198.18.0.0/24"?',
  ]);
});

test('lifetime bounds are checked', () => {
  const msgs = issuesOf({ Dhcp4: { 'valid-lifetime': 100, 'max-valid-lifetime': 50 } });
  assert.deepEqual(msgs, ['Dhcp4.max-valid-lifetime: 50 is below valid-lifetime 100']);
});

test('subnet ids are auto-assigned like Kea and reported by toKeaJson', () => {
  const r = parseConfig({
    Dhcp4: { subnet4: [{ subnet: '198.18.0.0/24' }, { id: 1, subnet: '198.18.1.0/24' }] },
  });
  assert.ok(r.ok);
  assert.deepEqual(
    r.config.subnets.map((s) => s.id),
    [2, 1],
  );
  const kea = toKeaJson(r.config);
  assert.equal(kea.Dhcp4.subnet4?.[0]?.id, 2);
});

test('a non-object is rejected, never thrown', () => {
  assert.deepEqual(
    issuesOf({ Dhcp6: {} }).sort(),
    ['Dhcp6: unknown or unsupported parameter', 'Dhcp4: required: a map ({...})'].sort(),
  );
});

test('toKeaJson round-trips: what config-get returns parses to the same compiled config', () => {
  const r = parseConfig(base);
  assert.ok(r.ok);
  const again = parseConfig(toKeaJson(r.config));
  assert.ok(again.ok);
  assert.deepEqual(toKeaJson(again.config), toKeaJson(r.config));
  assert.deepEqual(again.config.subnets, r.config.subnets);
});

test('the Kea-only keys a Kea config carries are accepted (control sockets, loggers, lease-database)', () => {
  const r = parseConfig({
    Dhcp4: {
      'control-socket': { 'socket-type': 'unix', 'socket-name': '/run/kea/kea4-ctrl-socket' },
      loggers: [{ name: 'kea-dhcp4', severity: 'INFO', output_options: [{ output: 'stdout' }] }],
      'lease-database': {
        type: 'memfile',
        persist: true,
        name: '/var/lib/kea/dhcp4.leases',
        'lfc-interval': 3600,
      },
      'server-tag': 'lab',
      comment: 'from a Kea install',
    },
  });
  assert.ok(r.ok);
  assert.equal(r.config.leaseDatabase.type, 'memfile');
  assert.equal(r.config.serverTag, 'lab');
});

test('expired-leases-processing compiles with Kea defaults; lease_cmds hook accepted, others refused with the reason', () => {
  const r = parseConfig({
    Dhcp4: {
      'expired-leases-processing': { 'reclaim-timer-wait-time': 5, 'hold-reclaimed-time': 0 },
      'hooks-libraries': [{ library: '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so' }],
      'host-reservation-identifiers': ['hw-address', 'client-id'],
    },
  });
  assert.ok(r.ok);
  assert.equal(r.config.expiredLeasesProcessing.reclaimTimerWaitTime, 5);
  assert.equal(r.config.expiredLeasesProcessing.holdReclaimedTime, 0);
  assert.equal(r.config.expiredLeasesProcessing.maxReclaimLeases, 100);
  const msgs = issuesOf({
    Dhcp4: { 'hooks-libraries': [{ library: '/usr/lib/kea/hooks/libdhcp_host_cache.so' }] },
  });
  assert.equal(msgs.length, 1);
  assert.match(
    msgs[0] ?? '',
    /^Dhcp4\.hooks-libraries\[0\]\.library: "libdhcp_host_cache\.so" is not built in: only libdhcp_lease_cmds\.so, libdhcp_stat_cmds\.so, libdhcp_limits\.so/,
  );
});

test('reservation errors: outside the subnet, the network address, bad identifiers, two identifiers', () => {
  const msgs = issuesOf({
    Dhcp4: {
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/24',
          reservations: [
            { 'hw-address': 'aa:bb:cc:dd:ee:01', 'ip-address': '198.18.1.5' },
            { 'hw-address': 'aa:bb:cc:dd:ee:02', 'ip-address': '198.18.0.0' },
            { 'hw-address': 'not-a-mac', 'ip-address': '198.18.0.7' },
            { 'client-id': '01', 'ip-address': '198.18.0.8' },
            { 'hw-address': 'aa:bb:cc:dd:ee:03', 'client-id': '01:02:03' },
          ],
        },
      ],
    },
  });
  assert.deepEqual(msgs, [
    'Dhcp4.subnet4[0].reservations[0].ip-address: 198.18.1.5 is outside subnet 198.18.0.0/24',
    "Dhcp4.subnet4[0].reservations[1].ip-address: 198.18.0.0 is the subnet's network or broadcast address",
    'Dhcp4.subnet4[0].reservations[2].hw-address: "not-a-mac" is not a hardware address',
    'Dhcp4.subnet4[0].reservations[3].client-id: "01" is not a client identifier (hex of 2+ bytes or \'text\')',
    'Dhcp4.subnet4[0].reservations[4]: a reservation needs exactly one identifier: hw-address, client-id, duid, circuit-id or flex-id',
  ]);
});

test('wrong types and duplicate ids name their paths', () => {
  const msgs = issuesOf({
    Dhcp4: {
      'valid-lifetime': '3600',
      subnet4: [
        { id: 7, subnet: '198.18.0.0/24' },
        { id: 7, subnet: '198.18.1.0/24' },
      ],
      'interfaces-config': { interfaces: ['eth0', 'eth0'] },
    },
  });
  assert.ok(msgs.includes('Dhcp4.valid-lifetime: must be a number'), msgs.join('\n'));
});

test('duplicate subnet ids and interfaces are reported', () => {
  const msgs = issuesOf({
    Dhcp4: {
      subnet4: [
        { id: 7, subnet: '198.18.0.0/24' },
        { id: 7, subnet: '198.18.1.0/24' },
      ],
      'interfaces-config': { interfaces: ['eth0', 'eth0'] },
    },
  });
  assert.deepEqual(msgs, [
    'Dhcp4.subnet4[1].id: subnet id 7 is used twice',
    'Dhcp4.interfaces-config.interfaces[1]: "eth0" is listed twice',
  ]);
});
