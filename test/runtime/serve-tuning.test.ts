// `serve`'s receive-path and commit-wait flags: what is accepted, and bad values refused naming the flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/cli/command.ts';
import { readReceiveTuning, type ReceiveTuningFlags } from '../../src/cli/serve-tuning.ts';
import { servedStoreSpec } from '../../src/runtime/lease-database.ts';

function refused(flags: ReceiveTuningFlags, message: RegExp): void {
  assert.throws(
    () => readReceiveTuning(flags),
    (e: unknown) => e instanceof UsageError && message.test(e.message),
    JSON.stringify(flags),
  );
}

test('no flags: nothing set, the transport and store keep their defaults', () => {
  assert.deepEqual(readReceiveTuning({}), {});
});

test('each receive path, the thresholds and the commit wait are read as given', () => {
  for (const p of ['adaptive', 'ring', 'recvmmsg'] as const)
    assert.deepEqual(readReceiveTuning({ 'receive-path': p }), { receivePath: p });
  assert.deepEqual(
    readReceiveTuning({
      'ring-above': '8000',
      'ring-below': '0',
      'ring-window': '500',
      'max-commit-wait': '0.5',
    }),
    { ringThresholds: { ringAboveFps: 8000, ringBelowFps: 0, ringWindowMs: 500 }, commitMaxWaitMs: 0.5 },
  );
  assert.deepEqual(readReceiveTuning({ 'receive-path': 'adaptive', 'ring-below': '4000' }), {
    receivePath: 'adaptive',
    ringThresholds: { ringBelowFps: 4000 },
  });
});

test('bad values are usage errors naming the flag', () => {
  refused(
    { 'receive-path': 'auto' },
    /^--receive-path must be one of adaptive, ring, recvmmsg \(got "auto"\)/,
  );
  refused({ 'receive-path': '' }, /^--receive-path must be one of/);
  for (const bad of ['0', '-1', '1.5', 'fast', '', '1e9'])
    refused({ 'ring-above': bad }, /^--ring-above must be a whole number of frames a second from 1 to/);
  refused({ 'ring-below': '-1' }, /^--ring-below must be a whole number of frames a second from 0 to/);
  refused({ 'ring-window': '0' }, /^--ring-window must be a whole number of milliseconds from 1 to 60000/);
  for (const bad of ['-1', '1001', 'soon', '', 'NaN', 'Infinity'])
    refused({ 'max-commit-wait': bad }, /^--max-commit-wait must be a number of milliseconds from 0 to 1000/);
});

test('the thresholds are refused with a fixed path, and below may not exceed above', () => {
  refused(
    { 'receive-path': 'ring', 'ring-above': '100', 'ring-window': '10' },
    /^--ring-above, --ring-window: only with --receive-path adaptive \(not ring\)/,
  );
  refused(
    { 'receive-path': 'recvmmsg', 'ring-below': '10' },
    /^--ring-below: only with --receive-path adaptive/,
  );
  refused(
    { 'ring-above': '1000', 'ring-below': '2000' },
    /^--ring-below 2000 is above the threshold .*\(1000\)/,
  );
  refused({ 'ring-below': '5000' }, /^--ring-below 5000 is above .*\(4000, the default of --ring-above\)/);
});

test('--max-commit-wait reaches an SQLite spec as its batchMaxWaitMs; other stores are left as they are', () => {
  const sqlite = { type: 'sqlite', path: '/var/lib/leasekeeper/leases4.sqlite' } as const;
  assert.deepEqual(servedStoreSpec(sqlite, { commitMaxWaitMs: 0 }), {
    ...sqlite,
    checkWhileReading: true,
    batchMaxWaitMs: 0,
  });
  assert.deepEqual(servedStoreSpec(sqlite, {}), { ...sqlite, checkWhileReading: true });
  assert.deepEqual(servedStoreSpec({ type: 'memory' }, { commitMaxWaitMs: 2 }), { type: 'memory' });
});

test("the server's saturation signal reaches an SQLite spec as its batchSaturated; other stores are left as they are", () => {
  const sqlite = { type: 'sqlite', path: '/var/lib/leasekeeper/leases4.sqlite' } as const;
  const saturated = (): boolean => true;
  assert.deepEqual(servedStoreSpec(sqlite, { saturated }), {
    ...sqlite,
    checkWhileReading: true,
    batchSaturated: saturated,
  });
  assert.deepEqual(servedStoreSpec({ type: 'memory' }, { saturated }), { type: 'memory' });
});

test("the server's handler of the SQLite writer's checkpoint warnings reaches an SQLite spec as its onWarning", () => {
  const sqlite = { type: 'sqlite', path: '/var/lib/leasekeeper/leases4.sqlite' } as const;
  const onWarning = (): void => undefined;
  assert.deepEqual(servedStoreSpec(sqlite, { onWarning }), { ...sqlite, checkWhileReading: true, onWarning });
  assert.deepEqual(servedStoreSpec({ type: 'memory' }, { onWarning }), { type: 'memory' });
});

test('--udp-gso on, off or auto is read as given; anything else is a usage error', () => {
  assert.deepEqual(readReceiveTuning({ 'udp-gso': 'off' }), { udpSegmentation: false });
  assert.deepEqual(readReceiveTuning({ 'udp-gso': 'on' }), { udpSegmentation: true });
  assert.deepEqual(readReceiveTuning({ 'udp-gso': 'auto' }), { udpSegmentation: 'auto' });
  refused({ 'udp-gso': 'yes' }, /--udp-gso must be on, off or auto \(got "yes"\)/);
});
