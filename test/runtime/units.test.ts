// The runtime's small pure parts: reply destinations per transport capability, lease-database mapping,
// interface resolution, the text log line, statistics over engine counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMessage } from '../../src/protocol/index.ts';
import type { OutgoingReply, ReplyDestination } from '../../src/server/types.ts';
import { outbound } from '../../src/runtime/destination.ts';
import { chooseLeaseStore, DEFAULT_LEASE_FILE } from '../../src/runtime/lease-database.ts';
import { resolveInterfaces } from '../../src/runtime/interfaces.ts';
import { formatText } from '../../src/runtime/logger.ts';
import { EngineStatistics } from '../../src/runtime/statistics.ts';
import type { TransportCapabilities } from '../../src/transport/types.ts';

const LINUX: TransportCapabilities = {
  linkLayerUnicast: true,
  interfaceAware: true,
  broadcastWithoutRoute: true,
};
const UDP: TransportCapabilities = {
  linkLayerUnicast: false,
  interfaceAware: false,
  broadcastWithoutRoute: false,
};
const ADDRS = [{ address: '198.18.0.1', prefixLength: 24 }];
const DATA = new Uint8Array([1]);

function reply(destination: ReplyDestination, yiaddr = '198.18.0.10'): OutgoingReply {
  return { message: createMessage({ yiaddr }), destination, interface: 'eth0', maxSize: 576 };
}

test('reply destinations on a link-layer capable transport (RFC 2131 §4.1)', () => {
  const d = (dest: ReplyDestination) => {
    const o = outbound(reply(dest), DATA, LINUX, ADDRS);
    return [o.ip, o.port, o.mac, o.interface];
  };
  assert.deepEqual(d({ kind: 'relay', address: '198.18.1.1', port: 67 }), [
    '198.18.1.1',
    67,
    undefined,
    'eth0',
  ]);
  assert.deepEqual(d({ kind: 'unicast', address: '198.18.0.9', port: 68 }), [
    '198.18.0.9',
    68,
    undefined,
    'eth0',
  ]);
  assert.deepEqual(d({ kind: 'broadcast', address: '255.255.255.255', port: 68 }), [
    '255.255.255.255',
    68,
    undefined,
    'eth0',
  ]);
  assert.deepEqual(d({ kind: 'link-unicast', address: '198.18.0.10', mac: '02:00:00:00:00:01', port: 68 }), [
    '198.18.0.10',
    68,
    '02:00:00:00:00:01',
    'eth0',
  ]);
});

test('a plain UDP transport broadcasts instead of link-unicast, to the subnet broadcast address', () => {
  const o = outbound(
    reply({ kind: 'link-unicast', address: '198.18.0.10', mac: '02:00:00:00:00:01', port: 68 }),
    DATA,
    UDP,
    ADDRS,
  );
  assert.deepEqual([o.ip, o.port, o.mac, o.interface], ['198.18.0.255', 68, undefined, undefined]);
  const other = outbound(
    reply({ kind: 'broadcast', address: '255.255.255.255', port: 68 }, '198.18.5.7'),
    DATA,
    UDP,
    [...ADDRS, { address: '198.18.4.1', prefixLength: 22 }],
  );
  assert.equal(other.ip, '198.18.7.255');
  assert.equal(
    outbound(reply({ kind: 'relay', address: '198.18.1.1', port: 67 }), DATA, UDP, ADDRS).ip,
    '198.18.1.1',
  );
});

test('a relayed or unicast reply may be zero-padded up to what the client accepts, less the IP and UDP headers', () => {
  const relayed = { kind: 'relay', address: '198.18.1.1', port: 67 } as const;
  assert.equal(outbound(reply(relayed), DATA, LINUX, ADDRS).padUpTo, 548);
  assert.equal(outbound({ ...reply(relayed), maxSize: 1500 }, DATA, UDP, ADDRS).padUpTo, 1472);
  const unicast = { kind: 'unicast', address: '198.18.0.9', port: 68 } as const;
  assert.equal(outbound(reply(unicast), DATA, LINUX, ADDRS).padUpTo, 548);
});

test('lease-database: persisting memfile becomes SQLite, persist false memory, --lease-file wins', () => {
  assert.deepEqual(chooseLeaseStore({ type: 'memfile' }, undefined).spec, {
    type: 'sqlite',
    path: DEFAULT_LEASE_FILE,
  });
  assert.deepEqual(chooseLeaseStore({ type: 'memfile', persist: false }, undefined).spec, { type: 'memory' });
  assert.deepEqual(chooseLeaseStore({ type: 'memfile', name: '/var/lib/kea/leases4.csv' }, undefined).spec, {
    type: 'sqlite',
    path: '/var/lib/kea/leases4.sqlite',
  });
  assert.deepEqual(chooseLeaseStore({ type: 'sqlite', name: '/x.db' }, undefined).spec, {
    type: 'sqlite',
    path: '/x.db',
  });
  assert.deepEqual(chooseLeaseStore({ type: 'memfile', persist: false }, '/y.sqlite').spec, {
    type: 'sqlite',
    path: '/y.sqlite',
  });
  const pg = chooseLeaseStore(
    { type: 'postgresql', name: 'leases', host: '/run/postgresql', user: 'kea' },
    undefined,
  );
  assert.equal(pg.spec.type, 'postgresql');
  assert.throws(() => chooseLeaseStore({ type: 'postgresql', name: 'leases', port: 0 }, undefined), {
    code: 'ERR_LEASE_DATABASE_CONFIG',
    path: 'Dhcp4.lease-database.port',
  });
});

test('interfaces-config: names, name/address and *', () => {
  const list = () => [
    {
      name: 'lo',
      index: 1,
      mac: '00:00:00:00:00:00',
      addresses: [{ ip: '127.0.0.1', prefix: 8 }],
      up: true,
      carrier: true,
    },
    {
      name: 'eth0',
      index: 2,
      mac: '02:00:00:00:00:01',
      addresses: [
        { ip: '198.18.0.1', prefix: 24 },
        { ip: '198.18.9.1', prefix: 24 },
      ],
      up: true,
      carrier: true,
    },
    { name: 'eth1', index: 3, mac: '02:00:00:00:00:02', addresses: [], up: true, carrier: true },
    {
      name: 'eth2',
      index: 4,
      mac: '02:00:00:00:00:03',
      addresses: [{ ip: '198.18.2.1', prefix: 24 }],
      up: false,
      carrier: false,
    },
  ];
  assert.deepEqual(resolveInterfaces(['eth0/198.18.9.1'], list), [
    { name: 'eth0', addresses: [{ address: '198.18.9.1', prefixLength: 24 }] },
  ]);
  assert.deepEqual(
    resolveInterfaces(['*'], list).map((i) => i.name),
    ['eth0'],
  );
  assert.equal(resolveInterfaces(['eth0'], list)[0]?.addresses.length, 2);
  assert.throws(() => resolveInterfaces(['eth0', 'wlan0'], list), {
    code: 'ERR_SERVER_INTERFACE',
    path: 'Dhcp4.interfaces-config.interfaces[1]',
  });
  assert.throws(() => resolveInterfaces(['eth0/198.18.3.3'], list), { code: 'ERR_SERVER_INTERFACE' });
});

test('text log lines: time and message for info, level and fields otherwise', () => {
  const t = Date.UTC(2026, 0, 1, 12, 0, 1, 123);
  assert.equal(
    formatText(
      JSON.stringify({
        level: 30,
        time: t,
        msg: 'DHCPDISCOVER from aa:bb -> DHCPOFFER 198.18.0.10',
        exchange: { a: 1 },
      }),
    ),
    '12:00:01.123 DHCPDISCOVER from aa:bb -> DHCPOFFER 198.18.0.10\n',
  );
  assert.equal(
    formatText(
      JSON.stringify({
        level: 40,
        time: t,
        msg: 'reply not sent',
        to: '198.18.0.9',
        err: { message: 'no route' },
      }),
    ),
    '12:00:01.123 WARN reply not sent to=198.18.0.9 err="no route"\n',
  );
});

test('statistics follow the engine counters; reset keeps an offset, remove hides until the next change', () => {
  let counters: Record<string, number> = { 'pkt4-received': 5 };
  let now = 1000;
  const s = new EngineStatistics(
    () => counters,
    () => now,
  );
  assert.deepEqual(s.get('pkt4-received'), [{ value: 5, at: 1000 }]);
  now = 2000;
  counters = { 'pkt4-received': 7 };
  s.sample();
  assert.deepEqual(s.get('pkt4-received'), [
    { value: 7, at: 2000 },
    { value: 5, at: 1000 },
  ]);
  assert.equal(s.reset('pkt4-received'), true);
  counters = { 'pkt4-received': 9 };
  assert.equal(s.value('pkt4-received'), 2);
  assert.equal(s.remove('pkt4-received'), true);
  assert.equal(s.get('pkt4-received'), undefined);
  assert.deepEqual(s.names(), []);
  counters = { 'pkt4-received': 10 };
  assert.equal(s.value('pkt4-received'), 10);
  assert.equal(s.reset('no-such-statistic'), false);
});
