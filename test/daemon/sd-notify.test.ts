/**
 * The notifier's protocol details: nothing without NOTIFY_SOCKET, watchdog pings when systemd asks for them,
 * one-line STATUS values, a failing socket reported once, and the systemd-notify fallback for a missing addon.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requiring } from '../lab/needs.ts';
import { SystemdNotifier } from '../../src/runtime/sd-notify.ts';
import { listenDatagrams } from './datagram-listener.ts';

// The AF_UNIX datagram listener these tests read from is a python3 one-liner (Node has none).
const { test } = requiring('python3');

function recorder(): { warnings: string[]; logger: { info(m: string): void; warn(m: string): void } } {
  const warnings: string[] = [];
  return { warnings, logger: { info: () => undefined, warn: (m) => void warnings.push(m) } };
}

test('without NOTIFY_SOCKET there is no notifier; a relative NOTIFY_SOCKET is refused with a warning', () => {
  const { warnings, logger } = recorder();
  assert.equal(
    SystemdNotifier.fromEnvironment({}, logger, () => 0),
    undefined,
  );
  assert.equal(
    SystemdNotifier.fromEnvironment({ NOTIFY_SOCKET: 'relative' }, logger, () => 0),
    undefined,
  );
  assert.match(warnings[0] ?? '', /neither a path nor an abstract name/);
});

test('READY=1 carries a one-line STATUS; WATCHDOG=1 follows when WATCHDOG_USEC is set for this PID', async () => {
  const sent: string[] = [];
  let pinged!: () => void;
  const watchdog = new Promise<void>((resolve) => (pinged = resolve));
  const { logger } = recorder();
  const n = SystemdNotifier.fromEnvironment(
    { NOTIFY_SOCKET: '@lk-test', WATCHDOG_USEC: '20000', WATCHDOG_PID: String(process.pid) },
    logger,
    (path, data) => {
      assert.equal(path, '@lk-test');
      const text = Buffer.from(data).toString();
      sent.push(text);
      if (text === 'WATCHDOG=1') pinged();
      return data.length;
    },
  );
  assert.ok(n);
  n.ready('serving\n2 subnets');
  assert.equal(sent[0], 'READY=1\nSTATUS=serving 2 subnets');
  // The watchdog timer is unref'd (it must not keep a stopping server alive): hold the loop open meanwhile.
  const hold = setTimeout(() => assert.fail('no WATCHDOG=1 within 30 s'), 30_000);
  await watchdog;
  clearTimeout(hold);
  n.stopping('SIGTERM: stopping');
  assert.equal(sent.at(-1), 'STOPPING=1\nSTATUS=SIGTERM: stopping');
});

test('a failing socket is reported once, never thrown', () => {
  const { warnings, logger } = recorder();
  const n = SystemdNotifier.fromEnvironment({ NOTIFY_SOCKET: '/run/nothing' }, logger, () => -111);
  n?.ready('a');
  n?.status('b');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /cannot notify systemd at \/run\/nothing: ECONNREFUSED/);
});

test('without the addon, systemd-notify carries the message (and the log says NotifyAccess=all is needed)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-notify-'));
  const listener = await listenDatagrams(join(dir, 'notify'));
  try {
    const { warnings, logger } = recorder();
    const n = SystemdNotifier.fromEnvironment({ NOTIFY_SOCKET: join(dir, 'notify') }, logger, null);
    assert.ok(n);
    assert.match(warnings[0] ?? '', /NotifyAccess=all/);
    n.ready('fallback works');
    const got = await listener.waitFor(/READY=1/, 30_000);
    assert.match(got.text, /STATUS=fallback works/);
  } finally {
    listener.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the native addon sends to an abstract NOTIFY_SOCKET (@name) from this process', async () => {
  const name = `@lk-notify-${process.pid}`;
  const listener = await listenDatagrams(name);
  try {
    const { warnings, logger } = recorder();
    const n = SystemdNotifier.fromEnvironment({ NOTIFY_SOCKET: name }, logger);
    assert.ok(n);
    assert.deepEqual(warnings, [], 'the addon is built here');
    n.status('abstract');
    const got = await listener.waitFor(/^STATUS=abstract$/, 30_000);
    assert.equal(got.pid, process.pid);
  } finally {
    listener.close();
  }
});
