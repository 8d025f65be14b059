import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from '../../src/config/index.ts';
import { HostMerger, type DatabaseHost } from '../../src/hosts/index.ts';
import { MessageType } from '../../src/protocol/index.ts';
import { Lab, msg } from '../server/harness.ts';

const config = {
  Dhcp4: {
    'interfaces-config': { interfaces: ['eth0'] },
    subnet4: [
      {
        id: 1,
        subnet: '198.18.0.0/24',
        pools: [{ pool: '198.18.0.10 - 198.18.0.20' }],
        reservations: [{ 'hw-address': '02:00:00:00:00:01', 'ip-address': '198.18.0.100' }],
      },
    ],
  },
};

const host = (hostId: number, subnetId: number, json: DatabaseHost['host']): DatabaseHost => ({
  hostId,
  subnetId,
  host: json,
});

test("database hosts come after the configuration's and earlier databases', as Kea's HostMgr consults them", async () => {
  const compiled = compileConfig(config);
  const first = [
    host(1, 1, { 'hw-address': '02:00:00:00:00:01', 'ip-address': '198.18.0.101' }), // the config's MAC
    host(2, 1, { 'hw-address': '02:00:00:00:00:02', 'ip-address': '198.18.0.102', hostname: 'first' }),
    host(3, 1, { 'hw-address': '02:00:00:00:00:03', 'ip-address': '198.18.0.100' }), // the config's address
    host(4, 9, { 'hw-address': '02:00:00:00:00:04' }), // no subnet 9
    host(5, 1, { 'hw-address': '02:00:00:00:00:05', 'ip-address': '203.0.113.1' }), // outside the subnet
    host(6, 1, { 'hw-address': '02:00:00:00:00:06', 'client-classes': ['vip'] }),
  ];
  const second = [
    host(1, 1, { 'hw-address': '02:00:00:00:00:02', 'ip-address': '198.18.0.112', hostname: 'second' }),
  ];
  const merger = new HostMerger();
  await merger.prepare(compiled, [first, second]);
  const out = merger.merge(compiled, [first, second]);
  assert.equal(out.served, 2);
  assert.equal(out.shadowed, 3);
  assert.equal(out.unknownSubnet, 1);
  assert.equal(out.rejected.length, 1);
  assert.match(
    out.rejected[0]!,
    /^host_id 5 \(subnet 1\): .*203\.0\.113\.1 is outside subnet 198\.18\.0\.0\/24/,
  );
  assert.equal(out.config.classifies, true, 'a host naming classes turns classification on');
  assert.equal(out.config.recordsClasses, true, 'and its classes are recorded in leases and logs');
  assert.equal(compiled.subnets[0]!.reservations.length, 1, 'the configuration itself is untouched');

  const lab = new Lab(config);
  lab.engine.setConfig(out.config);
  assert.equal((await lab.dora('02:00:00:00:00:01')).message.yiaddr, '198.18.0.100', 'configuration first');
  const second2 = await lab.dora('02:00:00:00:00:02', { options: { 'dhcp-parameter-request-list': [12] } });
  assert.equal(second2.message.yiaddr, '198.18.0.102', 'the first database before the second');
  assert.equal(second2.message.options.get('host-name'), 'first');
  const other = await lab.one(msg(MessageType.DISCOVER, '02:00:00:00:00:09'));
  assert.notEqual(other.message.yiaddr, '198.18.0.102', 'a reserved address is not handed to another client');

  // Unchanged hosts are not compiled again: the cached reservation object is reused.
  const again = merger.merge(compiled, [first, second]);
  assert.equal(again.config.subnets[0]!.reservations[1], out.config.subnets[0]!.reservations[1]);
  assert.equal(
    merger.merge(compiled, [[], []]).config,
    compiled,
    'no database hosts: the configuration as is',
  );
});
