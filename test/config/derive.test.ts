import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveConfigFromInterface } from '../../src/config/derive.ts';
import { ConfigError } from '../../src/config/types.ts';
import { intToIpv4 } from '../../src/config/ipv4.ts';

test('serve --interface: the subnet of the interface, the half away from the host, this host as router', () => {
  const d = deriveConfigFromInterface({ ifname: 'veth0', address: '198.18.0.1', prefix: 24 });
  const s = d.config.subnets[0];
  assert.ok(s);
  assert.equal(s.prefix, '198.18.0.0/24');
  assert.equal(s.interface, 'veth0');
  assert.deepEqual(
    [intToIpv4(s.pools[0]!.start), intToIpv4(s.pools[0]!.end)],
    ['198.18.0.128', '198.18.0.254'],
  );
  assert.deepEqual([...(s.options.get(3)?.data ?? [])], [198, 18, 0, 1]);
  assert.ok(d.explanation.some((l) => l.includes('upper half')));
});

test('a host in the upper half gets the lower half as pool; /30 uses the one other host', () => {
  const hi = deriveConfigFromInterface({ ifname: 'e', address: '198.18.0.200', prefix: 24 }).config
    .subnets[0];
  assert.deepEqual(
    [intToIpv4(hi!.pools[0]!.start), intToIpv4(hi!.pools[0]!.end)],
    ['198.18.0.1', '198.18.0.127'],
  );
  const p30 = deriveConfigFromInterface({ ifname: 'e', address: '198.18.0.5', prefix: 30 }).config.subnets[0];
  assert.deepEqual(
    [intToIpv4(p30!.pools[0]!.start), intToIpv4(p30!.pools[0]!.end)],
    ['198.18.0.5', '198.18.0.6'],
  );
});

test('a /31 or a bad address is refused with a ConfigError', () => {
  assert.throws(
    () => deriveConfigFromInterface({ ifname: 'e', address: '198.18.0.1', prefix: 31 }),
    ConfigError,
  );
  assert.throws(
    () => deriveConfigFromInterface({ ifname: 'e', address: '198.18.0', prefix: 24 }),
    ConfigError,
  );
});
