/**
 * `leasekeeper serve` as a daemon: `--test` checks a configuration without opening anything, SIGHUP
 * reloads the file (a bad one keeps the running configuration), and systemd hears READY=1, RELOADING=1 and
 * STOPPING=1 on NOTIFY_SOCKET from the server's own PID (what NotifyAccess=main accepts).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requiring } from '../lab/needs.ts';
import { fileURLToPath } from 'node:url';
import { sendUnix } from '../../src/control/client.ts';
import { listenDatagrams } from './datagram-listener.ts';

// The AF_UNIX datagram listener these tests read from is a python3 one-liner (Node has none).
const { test } = requiring('python3');

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function withDir<T>(f: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'lk-daemon-'));
  return Promise.resolve()
    .then(() => f(dir))
    .finally(() => rmSync(dir, { recursive: true, force: true }));
}

function serveTest(file: string): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--config', file, '--test'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function dhcp4(dir: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    Dhcp4: {
      'interfaces-config': { interfaces: ['lo'] },
      'lease-database': { type: 'sqlite', name: join(dir, 'state', 'leases4.sqlite') },
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.20' }] }],
      ...extra,
    },
  });
}

test('serve --test: a good file exits 0 and opens nothing; an absent interface is a warning', async () => {
  await withDir((dir) => {
    const file = join(dir, 'dhcp4.json');
    writeFileSync(
      file,
      `// a comment, as Kea allows\n${dhcp4(dir, { 'interfaces-config': { interfaces: ['lo', 'lk-absent0'] } })}`,
    );
    const r = serveTest(file);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /configuration OK \(1 subnet, 1 warning\(s\)\)/);
    assert.match(r.err, /warning: Dhcp4\.interfaces-config\.interfaces\[1\]: no interface "lk-absent0"/);
    assert.equal(existsSync(join(dir, 'state')), false, 'the lease database was not created');
  });
});

test('serve --test: semantic errors, unusable paths and bad loggers exit 1 naming what is wrong', async () => {
  await withDir((dir) => {
    const file = join(dir, 'dhcp4.json');
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.1.1 - 198.18.1.9' }] }] },
        /Dhcp4\.subnet4\[0\]\.pools\[0\]\.pool: .* is not inside/,
      ],
      [
        { 'control-socket': { 'socket-type': 'unix', 'socket-name': join(dir, 'missing', 'ctl.sock') } },
        /error: control socket .*missing\/ctl\.sock: cannot be created in .*missing \(ENOENT\)/,
      ],
      [
        { loggers: [{ name: 'kea-dhcp4', severity: 'LOUD' }] },
        /error: Dhcp4\.loggers\[0\]\.severity: unknown severity "LOUD"/,
      ],
      [
        { loggers: [{ name: 'kea-dhcp4', 'output-options': [{ output: join(dir, 'nodir', 'kea.log') }] }] },
        /error: log file .*nodir\/kea\.log: cannot be created/,
      ],
    ];
    for (const [extra, expected] of cases) {
      writeFileSync(file, dhcp4(dir, extra));
      const r = serveTest(file);
      assert.equal(r.code, 1, `${JSON.stringify(extra)}: ${r.out}`);
      assert.match(r.err, expected);
      assert.doesNotMatch(r.err, /\n\s+at /);
    }
  });
});

test('SIGHUP reloads the file, a bad file keeps the running one; systemd is notified by the server itself', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'dhcp4.json');
    const socket = join(dir, 'ctl.sock');
    const base = (lifetime: number, pool: string): string =>
      JSON.stringify({
        Dhcp4: {
          'interfaces-config': { interfaces: [] },
          'lease-database': { type: 'memfile', persist: false },
          'valid-lifetime': lifetime,
          'control-socket': { 'socket-type': 'unix', 'socket-name': socket },
          subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool }] }],
        },
      });
    writeFileSync(file, base(600, '198.18.0.10 - 198.18.0.20'));
    const notify = await listenDatagrams(join(dir, 'notify'));
    const server = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--config', file], {
      env: { ...process.env, NOTIFY_SOCKET: join(dir, 'notify') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    server.stdout.on('data', (d: Buffer) => (log += d.toString()));
    server.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    // The log comes through a pipe and the notifications through the listener: either may arrive first.
    const logged = async (pattern: RegExp): Promise<void> => {
      for (let i = 0; i < 300 && !pattern.test(log); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(log, pattern);
    };
    const lifetime = async (): Promise<unknown> => {
      const answer = (await sendUnix(socket, { command: 'config-get' })) as {
        arguments: { Dhcp4: Record<string, unknown> };
      };
      return answer.arguments.Dhcp4['valid-lifetime'];
    };
    try {
      const ready = await notify.waitFor(/^READY=1\nSTATUS=serving 1 subnet/, 60_000);
      assert.equal(ready.pid, server.pid, 'sent by the main process (NotifyAccess=main)');

      writeFileSync(file, base(900, '198.18.0.30 - 198.18.0.20'));
      let seen = notify.received.length;
      server.kill('SIGHUP');
      await notify.waitFor(/^RELOADING=1\nMONOTONIC_USEC=\d+$/, 30_000, seen);
      await notify.waitFor(/^READY=1/, 30_000, seen);
      await logged(
        /SIGHUP: .*dhcp4\.json not applied, the previous configuration keeps serving: .*pools\[0\]/,
      );
      assert.equal(await lifetime(), 600);

      writeFileSync(file, base(900, '198.18.0.10 - 198.18.0.20'));
      seen = notify.received.length;
      server.kill('SIGHUP');
      await notify.waitFor(/^READY=1/, 30_000, seen);
      await logged(/SIGHUP: configuration reloaded from .*dhcp4\.json/);
      assert.equal(await lifetime(), 900);

      seen = notify.received.length;
      server.kill('SIGTERM');
      const stopping = await notify.waitFor(/^STOPPING=1/, 30_000, seen);
      assert.equal(stopping.pid, server.pid);
      assert.equal(await exited, 0);
    } finally {
      if (server.exitCode === null) server.kill('SIGKILL');
      notify.close();
    }
  });
});

test('stdout that is the journal stream gets <N> priorities instead of times (JOURNAL_STREAM)', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'dhcp4.json');
    writeFileSync(
      file,
      JSON.stringify({
        Dhcp4: {
          'interfaces-config': { interfaces: [] },
          'lease-database': { type: 'memfile', persist: false },
          subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.20' }] }],
        },
      }),
    );
    const out = join(dir, 'journal');
    const fd = openSync(out, 'w');
    const st = fstatSync(fd);
    const server = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--config', file], {
      env: { ...process.env, JOURNAL_STREAM: `${st.dev}:${st.ino}` },
      stdio: ['ignore', fd, 'inherit'],
    });
    closeSync(fd);
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    try {
      // Bounded wait for the start-up line (polling a file: no timing is asserted).
      for (let i = 0; i < 600 && !readFileSync(out, 'utf8').includes('leasekeeper serving'); i++)
        await new Promise((r) => setTimeout(r, 100));
      server.kill('SIGTERM');
      assert.equal(await exited, 0);
      const lines = readFileSync(out, 'utf8').trim().split('\n');
      assert.ok(lines.includes(`<6>leasekeeper serving (pid ${server.pid})`), lines.join('\n'));
      assert.ok(lines.some((l) => l.startsWith('<4>WARN no interfaces configured')));
      assert.ok(lines.every((l) => /^<\d>/.test(l)));
    } finally {
      if (server.exitCode === null) server.kill('SIGKILL');
    }
  });
});
