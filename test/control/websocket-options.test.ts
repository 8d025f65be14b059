// The seed's options onto the Kea configuration and back: read, validate, apply, compiler errors by field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileConfig, parseConfig } from '../../src/config/index.ts';
import { intToIpv4, maskOf } from '../../src/config/ipv4.ts';
import type { JsonObject } from '../../src/control/json.ts';
import {
  applyOptions,
  fieldErrorsOfConfig,
  readOptions,
  validateOptions,
  type OptionsInput,
} from '../../src/control/websocket/index.ts';

function applied(config: JsonObject, input: OptionsInput): JsonObject {
  const v = validateOptions(input);
  assert.ok(v.ok, JSON.stringify(v));
  return applyOptions(config, v.input, v.prefixLength);
}

test('readOptions looks options up as the engine does: pool, subnet, global; never-send hides', () => {
  const config = compileConfig({
    Dhcp4: {
      'valid-lifetime': 3600,
      'option-data': [
        { name: 'routers', data: '10.0.0.1' },
        { name: 'domain-name-servers', data: '9.9.9.9' },
        { name: 'domain-name', data: 'example.org' },
        { name: 'host-name', data: 'global-name' },
      ],
      subnet4: [
        {
          subnet: '10.0.0.0/16',
          'rebind-timer': 3000,
          pools: [
            {
              pool: '10.0.1.0/24',
              'option-data': [{ name: 'domain-name-servers', data: '10.0.0.53, 10.0.0.54' }],
            },
          ],
          'option-data': [{ name: 'host-name', data: 'hidden', 'never-send': true }],
        },
      ],
    },
  });
  assert.deepEqual(readOptions(config, [{ address: '10.0.0.2', prefixLength: 16 }]), {
    range: ['10.0.1.0', '10.0.1.255'],
    netmask: '255.255.0.0',
    router: ['10.0.0.1'],
    dns: ['10.0.0.53', '10.0.0.54'],
    server: '10.0.0.2',
    leaseTime: 3600,
    renewalTime: 1800,
    rebindingTime: 3000,
    hostname: '',
    domainName: 'example.org',
  });
  // Without any interface address on the subnet: the first one, as the engine falls back.
  assert.equal(readOptions(config, [{ address: '192.0.2.1', prefixLength: 24 }]).server, '192.0.2.1');
  assert.equal(readOptions(config, []).server, '');
});

test('a configuration without subnets reads as empty options, and options set creates the subnet', () => {
  const empty: JsonObject = { Dhcp4: { 'valid-lifetime': 300 } };
  const o = readOptions(compileConfig(empty), []);
  assert.deepEqual(o.range, []);
  assert.equal(o.netmask, '');
  assert.equal(o.leaseTime, 300);
  const input: OptionsInput = {
    ip: '198.18.5.1',
    rangeStart: '198.18.5.10',
    rangeEnd: '198.18.5.20',
    mask: '255.255.255.0',
    gateway: '',
    dns1: '198.18.5.1',
    dns2: '',
    leasePeriod: 60,
  };
  const next = applied(empty, input);
  assert.deepEqual(next, {
    Dhcp4: {
      'valid-lifetime': 300,
      subnet4: [
        {
          subnet: '198.18.5.0/24',
          pools: [{ pool: '198.18.5.10 - 198.18.5.20' }],
          'valid-lifetime': 60,
          'option-data': [
            { name: 'dhcp-server-identifier', data: '198.18.5.1' },
            { name: 'domain-name-servers', data: '198.18.5.1' },
          ],
        },
      ],
    },
  });
  assert.equal(parseConfig(next).ok, true);
  assert.deepEqual(empty, { Dhcp4: { 'valid-lifetime': 300 } }, 'the input is not modified');
});

test('applyOptions keeps what the form does not own and drops what would override or contradict it', () => {
  const before: JsonObject = {
    Dhcp4: {
      'option-data': [{ name: 'subnet-mask', data: '255.255.255.0' }],
      subnet4: [
        {
          id: 7,
          subnet: '192.168.1.0/24',
          'min-valid-lifetime': 600,
          'max-valid-lifetime': 7200,
          pools: [
            {
              pool: '192.168.1.100 - 192.168.1.200',
              'option-data': [{ name: 'routers', data: '192.168.1.2' }],
            },
            { pool: '192.168.1.220 - 192.168.1.230' },
          ],
          'option-data': [{ code: 3, data: '192.168.1.1', 'always-send': true }],
          reservations: [{ 'hw-address': '02:00:00:00:00:01', 'ip-address': '192.168.1.5' }],
        },
        { id: 8, subnet: '192.168.2.0/24' },
      ],
    },
  };
  const next = applied(before, {
    ip: '192.168.1.9',
    rangeStart: '192.168.1.50',
    rangeEnd: '192.168.1.99',
    mask: '255.255.255.0',
    gateway: '192.168.1.254',
    dns1: '1.1.1.1',
    dns2: '8.8.8.8',
    leasePeriod: 120,
  });
  const subnets = (next['Dhcp4'] as { subnet4: Record<string, unknown>[] }).subnet4;
  assert.deepEqual(subnets[0], {
    id: 7,
    subnet: '192.168.1.0/24',
    'max-valid-lifetime': 7200,
    pools: [{ pool: '192.168.1.50 - 192.168.1.99' }, { pool: '192.168.1.220 - 192.168.1.230' }],
    'option-data': [
      { name: 'routers', data: '192.168.1.254', 'always-send': true },
      { name: 'dhcp-server-identifier', data: '192.168.1.9' },
      { name: 'domain-name-servers', data: '1.1.1.1, 8.8.8.8' },
      { name: 'subnet-mask', data: '255.255.255.0' },
    ],
    reservations: [{ 'hw-address': '02:00:00:00:00:01', 'ip-address': '192.168.1.5' }],
    'valid-lifetime': 120,
  });
  assert.deepEqual(subnets[1], { id: 8, subnet: '192.168.2.0/24' });
  const r = parseConfig(next);
  assert.ok(r.ok);
  assert.deepEqual(readOptions(r.config, []).router, ['192.168.1.254']);
});

test('property: whatever valid options are set, config-get compiles and reads them back', () => {
  const base: JsonObject = {
    Dhcp4: {
      'valid-lifetime': 4000,
      'option-data': [{ name: 'routers', data: '203.0.113.1' }],
      subnet4: [{ subnet: '203.0.113.0/24', pools: [{ pool: '203.0.113.10 - 203.0.113.20' }] }],
    },
  };
  const options = fc
    .record({
      network: fc.integer({ min: 1, max: 0xdfffffff }),
      prefix: fc.integer({ min: 8, max: 30 }),
      a: fc.nat(),
      b: fc.nat(),
      ip: fc.nat(),
      gw: fc.option(fc.nat(), { nil: undefined }),
      dns: fc.array(fc.integer({ min: 0x01000000, max: 0xdfffffff }), { maxLength: 2 }),
      lease: fc.integer({ min: 1, max: 0xffffffff }),
    })
    .map(({ network, prefix, a, b, ip, gw, dns, lease }) => {
      const mask = maskOf(prefix);
      const net = (network & mask) >>> 0;
      const hosts = 2 ** (32 - prefix) - 2;
      const host = (n: number): string => intToIpv4(net + 1 + (n % hosts));
      const [lo, hi] = [a % hosts, b % hosts].sort((x, y) => x - y) as [number, number];
      return {
        ip: host(ip),
        rangeStart: host(lo),
        rangeEnd: host(hi),
        mask: intToIpv4(mask),
        gateway: gw === undefined ? '' : host(gw),
        dns1: dns[0] === undefined ? '' : intToIpv4(dns[0]),
        dns2: dns[1] === undefined ? '' : intToIpv4(dns[1]),
        leasePeriod: lease,
      };
    });
  fc.assert(
    fc.property(options, (input) => {
      const r = parseConfig(applied(base, input));
      assert.ok(r.ok, r.ok ? '' : r.error.message);
      const o = readOptions(r.config, []);
      assert.deepEqual(o.range, [input.rangeStart, input.rangeEnd]);
      assert.equal(o.netmask, input.mask);
      assert.equal(o.server, input.ip);
      assert.deepEqual(o.router, input.gateway === '' ? ['203.0.113.1'] : [input.gateway]);
      assert.deepEqual(
        o.dns,
        [input.dns1, input.dns2].filter((d) => d !== ''),
      );
      assert.equal(o.leaseTime, input.leasePeriod);
    }),
    { numRuns: 300 },
  );
});

test('validateOptions: a form string lease time is accepted; unknown fields, network and broadcast are not', () => {
  const ok = validateOptions({
    ip: ' 10.1.2.3 ',
    rangeStart: '10.1.2.10',
    rangeEnd: '10.1.2.10',
    mask: '255.255.255.0',
    gateway: '',
    dns1: '',
    dns2: '',
    leasePeriod: '3600',
  });
  assert.ok(ok.ok);
  assert.equal(ok.input.leasePeriod, 3600);
  assert.equal(ok.input.ip, '10.1.2.3');
  assert.equal(ok.prefixLength, 24);

  const bad = validateOptions({
    ip: '10.1.2.0',
    rangeStart: '10.1.2.10',
    rangeEnd: '10.1.2.255',
    mask: '255.255.255.255',
    gateway: 7,
    dns1: 'dns.example',
    leasePeriod: 1.5,
    colour: 'blue',
  });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.errors, [
    { field: null, message: 'unknown field "colour"' },
    { field: 'gateway', message: 'must be a string' },
    { field: 'dns1', message: '"dns.example" is not an IPv4 address' },
    { field: 'leasePeriod', message: '1.5 is not a whole number of seconds' },
    { field: 'mask', message: 'a /32 network leaves no room for clients: use /1 to /30' },
  ]);
  const edges = validateOptions({
    ip: '10.1.2.0',
    rangeStart: '10.1.2.10',
    rangeEnd: '10.1.2.255',
    mask: '255.255.255.0',
    gateway: '',
    dns1: '',
    dns2: '',
    leasePeriod: 0,
  });
  assert.ok(!edges.ok);
  assert.deepEqual(edges.errors, [
    { field: 'leasePeriod', message: '0 is out of range: 1 to 4294967295 seconds' },
    { field: 'ip', message: '10.1.2.0 is the network address of 10.1.2.0/24' },
    { field: 'rangeEnd', message: '10.1.2.255 is the broadcast address of 10.1.2.0/24' },
  ]);
});

test('fieldErrorsOfConfig maps compiler paths to the form fields', () => {
  const text = [
    'Dhcp4.subnet4[0].pools[1].pool: "10.0.0.5 - 10.0.0.9" overlaps Dhcp4.subnet4[0].pools[0]',
    'Dhcp4.subnet4[0].subnet: "10.0.0.0/24" overlaps Dhcp4.subnet4[1] (10.0.0.0/16)',
    'Dhcp4.subnet4[0].max-valid-lifetime: 60 is below valid-lifetime 120',
    'Dhcp4.subnet4[0].option-data[0]: routers: "x": bad',
    'Dhcp4.subnet4[1].subnet: whatever',
  ].join('\n');
  assert.deepEqual(
    fieldErrorsOfConfig(text).map((e) => e.field),
    ['rangeStart', 'mask', 'leasePeriod', 'gateway', null],
  );
});
