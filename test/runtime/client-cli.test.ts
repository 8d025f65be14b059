/** udhcpc's flags as `leasekeeper client` parses them, and the log lines it prints. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runClientCtl } from '../../src/cli/client-ctl.ts';
import { parseClientFlags } from '../../src/cli/client-flags.ts';
import { logLine } from '../../src/cli/client-log.ts';
import { UsageError } from '../../src/cli/command.ts';

test("defaults are udhcpc's: eth0, -t 3 -T 3 -A 20, MAC client id, foreground off, ARP probe on", () => {
  const f = parseClientFlags([]);
  assert.equal(f.interface, 'eth0');
  assert.deepEqual(f.client.retransmit, { kind: 'udhcpc', retries: 3, timeoutMs: 3000, tryAgainMs: 20000 });
  assert.equal('clientId' in f.client, false);
  assert.equal(f.foreground, false);
  assert.equal(f.client.arpProbe, true);
  assert.equal(f.defaultRoute, true);
  assert.equal(f.controlSocket, undefined);
});

test('grouped short flags, attached values, long names and repeats', () => {
  const f = parseClientFlags([
    '-fqR',
    '-t5',
    '-T',
    '2',
    '-A3',
    '--interface=eth1',
    '-x',
    'hostname:box',
    '-x',
    '0x3d:0100beef',
    '-O',
    'ntpsrv',
    '-O',
    '42',
    '-V',
    'vend',
    '-r',
    '198.18.0.9',
    '-p',
    '/tmp/x.pid',
    '-s',
    '/bin/true',
    '--control-socket',
    '/tmp/c.sock',
    '--lease-file',
    '/tmp/l.json',
    '--no-route',
    '--no-arp',
  ]);
  assert.equal(f.foreground && f.quit && f.releaseOnExit, true);
  assert.equal(f.interface, 'eth1');
  assert.deepEqual(f.client.retransmit, { kind: 'udhcpc', retries: 5, timeoutMs: 2000, tryAgainMs: 3000 });
  assert.deepEqual(
    f.client.extraOptions?.map((o) => o.code),
    [12, 61],
  );
  assert.deepEqual(f.client.requestOptions, [42, 42]);
  assert.equal(f.client.vendorClass, 'vend');
  assert.equal(f.client.requestedAddress, '198.18.0.9');
  assert.equal(f.client.releaseOnStop, true);
  assert.equal(f.client.arpProbe, false);
  assert.equal(f.pidfile, '/tmp/x.pid');
  assert.equal(f.script, '/bin/true');
  assert.equal(f.controlSocket, '/tmp/c.sock');
  assert.equal(f.leaseFile, '/tmp/l.json');
  assert.equal(f.defaultRoute, false);
});

test('-h and -H name the host; -c sends the string, -C none; -o empties the request list', () => {
  assert.equal(parseClientFlags(['-h', 'box']).client.hostname, 'box');
  assert.equal(parseClientFlags(['-H', 'box2']).client.hostname, 'box2');
  assert.deepEqual(parseClientFlags(['-c', 'abc']).client.clientId, new TextEncoder().encode('abc'));
  assert.equal(parseClientFlags(['-C']).client.clientId, null);
  assert.deepEqual(parseClientFlags(['-o', '-O', 'router']).client.parameterRequestList, []);
  assert.equal(parseClientFlags(['--halp']).help, true);
  assert.equal(parseClientFlags(['-b', '-n', '-S', '-a', '-B']).background, true);
});

test('bad input is a UsageError', () => {
  for (const argv of [
    ['-r', '300.1.1.1'],
    ['-t', '0'],
    ['-T', 'x'],
    ['--bogus'],
    ['extra'],
    ['-x', 'nocolon'],
    ['-O', 'nosuchoption'],
    ['--arp-timeout', '-5'],
  ]) {
    assert.throws(() => parseClientFlags(argv), UsageError, argv.join(' '));
  }
});

test("log lines read like udhcpc's", () => {
  assert.equal(
    logLine({
      type: 'sent',
      message: 'DHCPDISCOVER',
      to: '255.255.255.255',
      from: '0.0.0.0',
      via: 'raw',
      time: 0,
    }),
    'sending discover to 255.255.255.255',
  );
  assert.equal(logLine({ type: 'leasefail', retryAt: 1, time: 0 }), 'no lease, trying again later');
  assert.equal(logLine({ type: 'script', event: 'bound', exitCode: 0, time: 0 }), null);
  assert.equal(
    logLine({ type: 'error', code: 'ERR_TRANSPORT_SEND_FAILED', message: 'ENETDOWN', time: 0 }),
    'error ERR_TRANSPORT_SEND_FAILED: ENETDOWN',
  );
});

test('client ctl: a verb is needed, a socket is needed, a dead socket is exit 1', async () => {
  await assert.rejects(runClientCtl(['reboot', '--socket', '/tmp/x']), UsageError);
  await assert.rejects(runClientCtl([]), UsageError);
  const saved = process.env['LEASEKEEPER_CLIENT_SOCKET'];
  delete process.env['LEASEKEEPER_CLIENT_SOCKET'];
  try {
    await assert.rejects(runClientCtl(['status']), UsageError);
  } finally {
    if (saved !== undefined) process.env['LEASEKEEPER_CLIENT_SOCKET'] = saved;
  }
  await assert.rejects(runClientCtl(['events', '--socket', '/tmp/x', '--count', '0']), UsageError);
  const dir = mkdtempSync(join(tmpdir(), 'lk-ctl-'));
  try {
    assert.equal(await runClientCtl(['status', '--socket', join(dir, 'none.sock')]), 1);
    assert.equal(await runClientCtl(['events', '--socket', join(dir, 'none.sock')]), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('client ctl events --count N prints N events, even when more arrive after it has had them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-ctl-'));
  const path = join(dir, 'ctl.sock');
  // A client daemon that keeps talking: the answer and two events at once, a third as the reader leaves.
  const server = createServer({ allowHalfOpen: true }, (conn) => {
    conn.once('data', () => conn.write('{"result":0}\n{"type":"a","time":1}\n{"type":"b","time":2}\n'));
    conn.on('end', () => conn.end('{"type":"c","time":3}\n'));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const printed: unknown[] = [];
  t.mock.method(console, 'log', (line: unknown) => void printed.push(line));
  try {
    assert.equal(await runClientCtl(['events', '--socket', path, '--count', '2']), 0);
    assert.deepEqual(printed, ['{"type":"a","time":1}', '{"type":"b","time":2}']);
  } finally {
    t.mock.restoreAll();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('-a[MSEC] sets the probe length; -F sends option 81 as udhcpc does', () => {
  const f = parseClientFlags(['-a500', '-F', 'box.lab']);
  assert.equal(f.arpProbeMs, 500);
  assert.equal(f.client.arpProbe, true);
  assert.deepEqual(parseClientFlags(['-a']).arpProbeMs, 2000);
  const fqdn = f.client.extraOptions?.find((o) => o.code === 81);
  assert.deepEqual(fqdn?.data, Uint8Array.from([1, 0, 0, ...new TextEncoder().encode('box.lab')]));
});
