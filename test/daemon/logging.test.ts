/**
 * Kea's `loggers` section honoured: syslog datagrams (to a socket the test binds in place of /dev/log),
 * size-rotated files with `maxsize`/`maxver`, severities, and the errors that name a bad entry's path.
 */
import assert from 'node:assert/strict';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requiring } from '../lab/needs.ts';
import { isJournalStream, syslogSeverity } from '../../src/runtime/log-outputs.ts';
import { readLogSettings } from '../../src/runtime/log-settings.ts';
import { createLoggerWithSink } from '../../src/runtime/logger.ts';
import { listenDatagrams } from './datagram-listener.ts';

// The AF_UNIX datagram listener these tests read from is a python3 one-liner (Node has none).
const { test } = requiring('python3');

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'lk-logging-'));
}

test('loggers: Kea severities, both output-options spellings, syslog facilities and child loggers', () => {
  const s = readLogSettings([
    {
      name: 'kea-dhcp4',
      severity: 'DEBUG',
      debuglevel: 55,
      output_options: [{ output: 'syslog:daemon' }, { output: '/var/log/kea.log', maxsize: 2048, maxver: 3 }],
    },
    { name: 'kea-dhcp4.packets', severity: 'INFO' },
  ]);
  assert.equal(s.level, 'trace');
  assert.deepEqual(s.outputs, [
    { kind: 'syslog', facility: 'daemon' },
    { kind: 'file', path: '/var/log/kea.log', maxSize: 2048, maxVersions: 3 },
  ]);
  assert.match(s.notes[0] ?? '', /Dhcp4\.loggers\[1\]: logger "kea-dhcp4\.packets" has no counterpart/);
  assert.equal(readLogSettings([{ name: 'kea-dhcp4', severity: 'DEBUG' }]).level, 'debug');
  assert.deepEqual(
    readLogSettings([{ name: 'kea-dhcp4', 'output-options': [{ output: 'stdout', pattern: '%m\n' }] }]).notes,
    ["Dhcp4.loggers[0].output-options[0].pattern: not applied (leasekeeper's own line format)"],
  );
  assert.equal(
    readLogSettings([{ name: 'kea-dhcp4', 'output-options': [{ output: 'syslog' }] }]).outputs[0]?.kind,
    'syslog',
  );
  assert.deepEqual(readLogSettings(undefined).outputs, [{ kind: 'stdout' }]);
  assert.throws(
    () => readLogSettings([{ name: 'kea-dhcp4', 'output-options': [{ output: 'syslog:nosuch' }] }]),
    /unknown syslog facility "nosuch"/,
  );
  assert.throws(
    () => readLogSettings([{ name: 'kea-dhcp4', 'output-options': [{ output: 'relative.log' }] }]),
    (err: Error & { path?: string }) => err.path === 'Dhcp4.loggers[0].output-options[0].output',
  );
});

test('syslog output: RFC 3164 datagrams with facility and severity, control characters escaped', async () => {
  const dir = tempDir();
  const listener = await listenDatagrams(join(dir, 'log'));
  try {
    const { logger, sink } = createLoggerWithSink({
      outputs: [{ kind: 'syslog', facility: 'local3' }],
      syslogSocket: join(dir, 'log'),
    });
    logger.info('hostname "evil\nline" served');
    logger.error({ code: 'E1' }, 'broken');
    const info = await listener.waitFor(/served/, 10_000);
    // local3 (19) * 8 + info (6) = 158; the sender is this process.
    assert.match(
      info.text,
      /^<158>\w{3} [ \d]\d \d\d:\d\d:\d\d leasekeeper\[\d+\]: hostname "evil\\x0aline" served$/,
    );
    assert.equal(info.pid, process.pid);
    const error = await listener.waitFor(/broken/, 10_000);
    assert.match(error.text, /^<155>.*: ERROR broken code=E1$/);
    sink.close();
  } finally {
    listener.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file output rotates at maxsize and keeps maxver old files', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'dhcp4.log');
    const { logger, sink } = createLoggerWithSink({
      outputs: [{ kind: 'file', path, maxSize: 300, maxVersions: 2 }],
    });
    for (let i = 0; i < 40; i++) logger.info(`line ${String(i).padStart(3, '0')} of the rotation test`);
    sink.close();
    assert.deepEqual(readdirSync(dir).sort(), ['dhcp4.log', 'dhcp4.log.1', 'dhcp4.log.2']);
    const current = readFileSync(path, 'utf8');
    assert.ok(Buffer.byteLength(current) <= 300);
    assert.match(current, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z line 0\d\d of the rotation test$/m);
    assert.match(current, /line 039/);
    assert.match(readFileSync(`${path}.1`, 'utf8'), /line 0\d\d/);
    assert.doesNotMatch(readFileSync(`${path}.2`, 'utf8') + readFileSync(`${path}.1`, 'utf8'), /line 000/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reconfigured outputs and level take effect at once (a reloaded loggers section)', () => {
  const dir = tempDir();
  try {
    const first = join(dir, 'a.log');
    const second = join(dir, 'b.log');
    const { logger, sink } = createLoggerWithSink({
      outputs: [{ kind: 'file', path: first, maxSize: 0, maxVersions: 1 }],
    });
    logger.debug('hidden at info');
    logger.info('to a');
    sink.configure([{ kind: 'file', path: second, maxSize: 0, maxVersions: 1 }]);
    logger.level = 'debug';
    logger.debug('to b at debug');
    sink.close();
    assert.match(readFileSync(first, 'utf8'), /to a/);
    assert.doesNotMatch(readFileSync(first, 'utf8'), /hidden|to b/);
    assert.match(readFileSync(second, 'utf8'), /DEBUG to b at debug/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stdout that is the journal stream (JOURNAL_STREAM) gets <N> priority prefixes instead of a time', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'journal');
    const fd = openSync(path, 'w');
    const st = fstatSync(fd);
    assert.equal(isJournalStream(fd, { JOURNAL_STREAM: `${st.dev}:${st.ino}` }), true);
    assert.equal(isJournalStream(fd, { JOURNAL_STREAM: `${st.dev}:${st.ino + 1}` }), false);
    assert.equal(isJournalStream(fd, {}), false);
    closeSync(fd);
    assert.equal(syslogSeverity(50), 3);
    assert.equal(syslogSeverity(40), 4);
    assert.equal(syslogSeverity(30), 6);
    assert.equal(syslogSeverity(20), 7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
