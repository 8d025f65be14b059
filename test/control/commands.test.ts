import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './helpers.ts';
import { CommandRegistry } from '../../src/control/registry.ts';
import { FAKE_NOW, FakeTarget } from './fake-target.ts';
import { keaTimestamp } from '../../src/control/kea-time.ts';

const REQUIRED = [
  'list-commands',
  'shutdown',
  'leases-reclaim',
  'status-get',
  'version-get',
  'build-report',
  'config-get',
  'config-set',
  'config-test',
  'config-write',
  'config-reload',
  'config-hash-get',
  'dhcp-enable',
  'dhcp-disable',
  'statistic-get',
  'statistic-get-all',
  'statistic-reset',
  'statistic-reset-all',
  'statistic-remove',
  'statistic-remove-all',
  'lease4-add',
  'lease4-get',
  'lease4-get-all',
  'lease4-get-page',
  'lease4-get-by-hw-address',
  'lease4-get-by-client-id',
  'lease4-get-by-hostname',
  'lease4-update',
  'lease4-del',
  'lease4-wipe',
  'reservation-add',
  'reservation-get',
  'reservation-get-all',
  'reservation-get-page',
  'reservation-get-by-hostname',
  'reservation-get-by-id',
  'reservation-del',
  'stat-lease4-get',
  'class-add',
  'class-get',
  'class-list',
  'class-update',
  'class-del',
  'subnet4-list',
  'network4-list',
];

test('list-commands comes from the registry and names every required command, sorted', async () => {
  const h = harness();
  const a = await h.call('list-commands');
  assert.equal(a.result, 0);
  assert.deepEqual(a.arguments, [...REQUIRED].sort());
});

test('envelope errors use Kea wording; unknown commands are result 2', async () => {
  const h = harness();
  const ctx = { target: h.target, via: 'internal' as const, agent: false, now: () => FAKE_NOW };
  assert.deepEqual(await h.registry.dispatch([1], ctx), {
    result: 1,
    text: 'Error during command processing: Invalid command Element specified, expected map',
  });
  assert.equal((await h.registry.dispatch({ comand: 'x' }, ctx)).result, 1);
  assert.match((await h.registry.dispatch({ command: 5 }, ctx)).text ?? '', /is not a string/);
  assert.deepEqual(await h.call('foo'), { result: 2, text: "'foo' command not supported." });
});

test('a handler that throws becomes result 1 with its message and is counted', async () => {
  const registry = new CommandRegistry({
    logger: { warn: () => {}, error: (obj) => logged.push(obj) },
  });
  const logged: object[] = [];
  registry.register('boom', async () => {
    throw new Error('kaput');
  });
  const ctx = { target: new FakeTarget(), via: 'internal' as const, agent: false, now: () => 0 };
  assert.deepEqual(await registry.dispatch({ command: 'boom' }, ctx), { result: 1, text: 'kaput' });
  assert.equal(registry.faults, 1);
  assert.equal(logged.length, 1);
  assert.throws(() => registry.register('boom', async () => ({ result: 0 })), {
    name: 'TypeError',
    message: "control command 'boom' registered twice",
  });
});

test('leases-reclaim checks its mandatory boolean with Kea wording', async () => {
  const h = harness();
  assert.deepEqual(await h.call('leases-reclaim'), {
    result: 1,
    text: "Missing mandatory 'remove' parameter.",
  });
  assert.deepEqual(await h.call('leases-reclaim', { remove: 1 }), {
    result: 1,
    text: "'remove' parameter expected to be a boolean.",
  });
  assert.deepEqual(await h.call('leases-reclaim', { remove: true }), {
    result: 0,
    text: 'Reclamation of expired leases is complete.',
  });
  assert.deepEqual(h.target.calls, ['reclaim true']);
});

test('shutdown, status-get, version-get, build-report', async () => {
  const h = harness();
  assert.equal((await h.call('shutdown', { 'exit-value': 'x' })).result, 1);
  assert.deepEqual(await h.call('shutdown', { 'exit-value': 3 }), { result: 0, text: 'Shutting down.' });
  assert.deepEqual(h.target.calls, ['shutdown 3']);
  const status = await h.call('status-get');
  assert.equal(status.result, 0);
  assert.deepEqual(status.arguments, {
    'dhcp-state': {
      'disabled-by-db-connection': false,
      'disabled-by-local-command': [],
      'disabled-by-remote-command': [],
      'disabled-by-user': false,
      'globally-disabled': false,
    },
    'multi-threading-enabled': false,
    pid: 4242,
    reload: 5,
    sockets: { status: 'ready' },
    uptime: 7,
  });
  assert.deepEqual(await h.call('version-get'), {
    arguments: { extended: '0.1.0\nleasekeeper\nNode.js v20' },
    result: 0,
    text: '0.1.0',
  });
  assert.deepEqual(await h.call('build-report'), { result: 0, text: 'leasekeeper 0.1.0' });
});

test('config commands', async () => {
  const h = harness();
  const got = await h.call('config-get');
  assert.deepEqual(got, { arguments: h.target.configJson, result: 0 });
  assert.deepEqual(await h.call('config-test'), {
    result: 1,
    text: "Missing mandatory 'arguments' parameter.",
  });
  assert.deepEqual(await h.call('config-test', {}), {
    result: 1,
    text: "Missing mandatory 'Dhcp4' parameter.",
  });
  assert.equal(
    (await h.call('config-test', { Dhcp4: { bogus: 1 } })).text,
    "unsupported parameter 'bogus' (<string>:1:1)",
  );
  assert.equal((await h.call('config-test', { Dhcp4: {} })).result, 0);
  const before = (await h.call('config-hash-get')).arguments as { hash: string };
  assert.match(before.hash, /^[0-9A-F]{64}$/);
  assert.deepEqual(await h.call('config-set', { Dhcp4: { 'valid-lifetime': 10 } }), {
    result: 0,
    text: 'Configuration successful.',
  });
  const after = (await h.call('config-hash-get')).arguments as { hash: string };
  assert.notEqual(after.hash, before.hash);
  assert.deepEqual(await h.call('config-write', { filename: 1 }), {
    result: 1,
    text: "passed parameter 'filename' is not a string",
  });
  const written = await h.call('config-write', { filename: '/tmp/x.json' });
  assert.equal(written.text, 'Configuration written to /tmp/x.json successful');
  assert.deepEqual(Object.keys(written.arguments as object), ['filename', 'size']);
  assert.deepEqual(await h.call('config-reload'), { result: 0, text: 'Configuration successful.' });
});

test('dhcp-disable and dhcp-enable', async () => {
  const h = harness();
  assert.deepEqual(await h.call('dhcp-disable', { 'max-period': 'x' }), {
    result: 1,
    text: "'max-period' argument must be a number",
  });
  assert.equal((await h.call('dhcp-disable', { 'max-period': -1 })).result, 1);
  assert.deepEqual(await h.call('dhcp-enable', { origin: 'x' }), {
    result: 1,
    text: "invalid value used for 'origin' parameter: x",
  });
  assert.deepEqual(await h.call('dhcp-disable', { 'max-period': 5 }), {
    result: 0,
    text: 'DHCPv4 service disabled for 5 seconds',
  });
  assert.equal(h.target.enabled, false);
  const status = (await h.call('status-get')).arguments as { 'dhcp-state': { 'globally-disabled': boolean } };
  assert.equal(status['dhcp-state']['globally-disabled'], true);
  assert.deepEqual(await h.call('dhcp-enable'), { result: 0, text: 'DHCP service successfully enabled' });
  assert.equal(h.target.enabled, true);
});

test('statistics in Kea form', async () => {
  const h = harness();
  const ts = keaTimestamp(FAKE_NOW);
  assert.match(ts, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  assert.deepEqual(await h.call('statistic-get', { name: 'pkt4-received' }), {
    arguments: { 'pkt4-received': [[3, ts]] },
    result: 0,
  });
  assert.deepEqual(await h.call('statistic-get', { name: 'nope' }), { arguments: {}, result: 0 });
  assert.deepEqual(await h.call('statistic-get', {}), {
    result: 1,
    text: "Missing mandatory 'name' parameter.",
  });
  assert.deepEqual(await h.call('statistic-get', { name: 1 }), {
    result: 1,
    text: "'name' parameter expected to be a string.",
  });
  const all = await h.call('statistic-get-all');
  assert.deepEqual(Object.keys(all.arguments as object), ['pkt4-received', 'subnet[1].total-addresses']);
  assert.deepEqual(await h.call('statistic-reset', { name: 'pkt4-received' }), {
    result: 0,
    text: "Statistic 'pkt4-received' reset.",
  });
  assert.equal(h.target.stats.get('pkt4-received')?.[0]?.value, 0);
  assert.deepEqual(await h.call('statistic-reset', { name: 'nope' }), {
    result: 1,
    text: "No 'nope' statistic found",
  });
  assert.equal((await h.call('statistic-reset-all')).result, 0);
  assert.deepEqual(await h.call('statistic-remove', { name: 'pkt4-received' }), {
    result: 0,
    text: "Statistic 'pkt4-received' removed.",
  });
  assert.equal((await h.call('statistic-remove', { name: 'pkt4-received' })).result, 1);
  assert.equal((await h.call('statistic-remove-all')).result, 0);
  assert.deepEqual(await h.call('statistic-get-all'), { arguments: {}, result: 0 });
});

test('every answered command is published on the leasekeeper:control:command channel', async () => {
  const { subscribe, unsubscribe } = await import('node:diagnostics_channel');
  const seen: unknown[] = [];
  const listener = (message: unknown): void => {
    seen.push(message);
  };
  subscribe('leasekeeper:control:command', listener);
  try {
    const h = harness();
    await h.call('version-get');
    await h.call('nope');
  } finally {
    unsubscribe('leasekeeper:control:command', listener);
  }
  assert.deepEqual(seen, [
    { command: 'version-get', result: 0, via: 'internal' },
    { command: 'nope', result: 2, via: 'internal' },
  ]);
});
