// `leasekeeper serve` as a process: a wrong configuration is one clear message naming the JSON path and
// exit code 1, never a stack trace; bad usage is exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { sendUnix } from '../../src/control/client.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function serve(args: readonly string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'serve', ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function withConfig(text: string, f: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'lk-serve-cli-'));
  try {
    const file = join(dir, 'dhcp4.json');
    writeFileSync(file, text);
    f(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('an invalid configuration names the JSON path and exits 1 without a stack trace', () => {
  const config = {
    Dhcp4: {
      'interfaces-config': { interfaces: ['eth0'] },
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.1.1 - 198.18.1.9' }] }],
    },
  };
  withConfig(JSON.stringify(config), (file) => {
    const r = serve(['--config', file]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /Dhcp4\.subnet4\[0\]\.pools\[0\]\.pool: "198\.18\.1\.1 - 198\.18\.1\.9" is not inside/,
    );
    assert.doesNotMatch(r.err, /\n\s+at /);
  });
  withConfig(JSON.stringify({ Dhcp4: { 'valid-lifetme': 60 } }), (file) => {
    const r = serve(['--config', file]);
    assert.equal(r.code, 1);
    assert.match(r.err, /Dhcp4\.valid-lifetme: unknown or unsupported parameter/);
    assert.doesNotMatch(r.err, /\n\s+at /);
  });
});

test('a Kea file with comments and trailing commas is read as Kea reads it', () => {
  // An invalid pool, so serve stops right after reading: the message proves the file was parsed.
  const text = `// Kea allows C++ and shell comments
{ "Dhcp4": {
    # and trailing commas
    "subnet4": [ { "id": 1, "subnet": "198.18.0.0/24", /* inline */ "pools": [ { "pool": "198.18.1.1 - 198.18.1.9" }, ], }, ],
} }`;
  withConfig(text, (file) => {
    const r = serve(['--config', file]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /Dhcp4\.subnet4\[0\]\.pools\[0\]\.pool: "198\.18\.1\.1 - 198\.18\.1\.9" is not inside/,
    );
    assert.doesNotMatch(r.err, /is not JSON/);
  });
});

test('a file that is not JSON, or missing, is one message and exit 1', () => {
  withConfig('{"Dhcp4": {', (file) => {
    const r = serve(['--config', file]);
    assert.equal(r.code, 1);
    assert.match(r.err, /is not JSON/);
    assert.doesNotMatch(r.err, /\n\s+at /);
  });
  const missing = serve(['--config', '/nonexistent/leasekeeper.json']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /cannot read \/nonexistent\/leasekeeper\.json: ENOENT/);
});

test('an unknown interface in interfaces-config is reported with its path', () => {
  const config = {
    Dhcp4: {
      'interfaces-config': { interfaces: ['lk-no-such-if0'] },
      'lease-database': { type: 'memfile', persist: false },
      subnet4: [{ id: 1, subnet: '198.18.0.0/24' }],
    },
  };
  withConfig(JSON.stringify(config), (file) => {
    const r = serve(['--config', file, '--log-level', 'silent']);
    assert.equal(r.code, 1);
    assert.match(r.err, /Dhcp4\.interfaces-config\.interfaces\[0\]: no interface "lk-no-such-if0"/);
  });
});

test('a host database that cannot be reached stops the start with one line naming it', () => {
  const config = {
    Dhcp4: {
      'lease-database': { type: 'memfile', persist: false },
      'hosts-database': {
        type: 'postgresql',
        name: 'kea',
        host: '/nonexistent-leasekeeper-dir',
        user: 'kea',
      },
      subnet4: [{ id: 1, subnet: '198.18.0.0/24' }],
    },
  };
  withConfig(JSON.stringify(config), (file) => {
    const r = serve(['--config', file, '--log-level', 'silent']);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /leasekeeper serve: hosts database postgresql database "kea" at socket \/nonexistent-leasekeeper-dir\/\.s\.PGSQL\.5432 as kea: cannot connect: /,
    );
    assert.doesNotMatch(r.err, /\n\s+at /);
  });
});

test('usage errors exit 2; --help exits 0', () => {
  assert.equal(serve([]).code, 2);
  assert.equal(serve(['--config', 'a', '--interface', 'b']).code, 2);
  assert.equal(serve(['--config', 'a', '--log-format', 'xml']).code, 2);
  const delay = serve(['--config', 'a', '--max-discover-delay', 'soon']);
  assert.equal(delay.code, 2);
  assert.match(delay.err, /--max-discover-delay must be a number of milliseconds/);
  const refresh = serve(['--config', 'a', '--hosts-refresh', '0']);
  assert.equal(refresh.code, 2);
  assert.match(refresh.err, /--hosts-refresh must be a number of seconds from 1 to 3600/);
  for (const [flag, bad] of [
    ['--receive-queue', '0'],
    ['--receive-queue', '1.5'],
    ['--handle-per-turn', 'many'],
  ]) {
    const r = serve(['--config', 'a', flag!, bad!]);
    assert.equal(r.code, 2, `${flag} ${bad}`);
    assert.match(r.err, new RegExp(`${flag} must be a whole number from 1 to `));
  }
  const path = serve(['--config', 'a', '--receive-path', 'auto']);
  assert.equal(path.code, 2);
  assert.match(path.err, /--receive-path must be one of adaptive, ring, recvmmsg/);
  const help = serve(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /--receive-path P .*adaptive \(default/);
  assert.match(help.out, /--max-commit-wait MS/);
  assert.match(help.out, /--udp-gso on\|off\|auto .*UDP GSO send/);
  const gso = serve(['--config', 'a', '--udp-gso', 'maybe']);
  assert.equal(gso.code, 2);
  assert.match(gso.err, /--udp-gso must be on, off or auto/);
  assert.match(help.out, /restart to change a flag/);
  assert.match(help.out, /--lease-file PATH/);
  assert.match(help.out, /--receive-queue N .*default 8192/);
  assert.match(help.out, /--handle-per-turn N .*default 16/);
});

test('the shutdown control command stops serve with its exit-value after answering', async () => {
  const config = {
    Dhcp4: {
      'lease-database': { type: 'memfile', persist: false },
      subnet4: [{ id: 1, subnet: '198.18.0.0/24' }],
    },
  };
  const dir = mkdtempSync(join(tmpdir(), 'lk-serve-cli-'));
  const file = join(dir, 'dhcp4.json');
  const socket = join(dir, 'ctl.sock');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, 'serve', '--config', file, '--control-socket', socket],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    let answer: unknown;
    for (let i = 0; i < 200 && answer === undefined; i++) {
      answer = await sendUnix(socket, { command: 'shutdown', arguments: { 'exit-value': 3 } }, 1000).catch(
        () => new Promise((r) => setTimeout(() => r(undefined), 100)),
      );
    }
    assert.deepEqual(answer, { result: 0, text: 'Shutting down.' });
    assert.equal(await exited, 3);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
