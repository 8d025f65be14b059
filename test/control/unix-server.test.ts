import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createCommandRegistry } from '../../src/control/commands/index.ts';
import { UnixControlServer } from '../../src/control/unix-server.ts';
import { ControlListenError } from '../../src/control/errors.ts';
import { needs } from '../lab/needs.ts';
import { FakeTarget } from './fake-target.ts';

const run = promisify(execFile);

async function withServer(
  fn: (path: string, target: FakeTarget) => Promise<void>,
  options: { maxRequestBytes?: number; idleTimeoutMs?: number } = {},
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lk-ctl-'));
  const path = join(dir, 'control.sock');
  const target = new FakeTarget();
  const server = await UnixControlServer.listen({
    path,
    registry: createCommandRegistry(),
    target,
    ...options,
  });
  try {
    await fn(path, target);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sends raw bytes, optionally half-closing, and reads until the server closes. */
function exchange(path: string, data: string | Buffer, halfClose = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const parts: Buffer[] = [];
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(parts).toString('utf8')));
    socket.write(data);
    if (halfClose) socket.end();
  });
}

async function socat(path: string, input: string): Promise<unknown> {
  const child = run('sh', ['-c', 'printf "%s" "$0" | socat -t 5 - UNIX-CONNECT:"$1"', input, path]);
  return JSON.parse((await child).stdout);
}

test('socat drives the UNIX socket; the file is mode 0600', needs('socat'), async () => {
  await withServer(async (path) => {
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const list = (await socat(path, '{"command":"list-commands"}')) as {
      result: number;
      arguments: string[];
    };
    assert.equal(list.result, 0);
    assert.ok(list.arguments.includes('lease4-get-all'));
    assert.deepEqual(await socat(path, '{"command":"leases-reclaim","arguments":{"remove":"yes"}}'), {
      result: 1,
      text: "'remove' parameter expected to be a boolean.",
    });
    assert.deepEqual(await socat(path, '{ "command": "foo" }'), {
      result: 2,
      text: "'foo' command not supported.",
    });
  });
});

test('a command split across writes, and without half-close, is answered and the connection closed', async () => {
  await withServer(async (path) => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = createConnection(path);
      let got = '';
      socket.on('data', (d: Buffer) => (got += d.toString()));
      socket.on('error', reject);
      socket.on('close', () => resolve(got));
      socket.write('{"command": "ver');
      setImmediate(() => socket.write('sion-get", "x": "}{\\"" }trailing'));
    });
    assert.equal(JSON.parse(answer).text, '0.1.0');
  });
});

test('bad input gets a clear answer and the listener keeps serving', async () => {
  await withServer(
    async (path) => {
      assert.deepEqual(JSON.parse(await exchange(path, 'garbage')), {
        result: 1,
        text: 'invalid first character g',
      });
      const malformed = JSON.parse(await exchange(path, '{"command": }'));
      assert.equal(malformed.result, 1);
      assert.match(malformed.text, /JSON/);
      const partial = JSON.parse(await exchange(path, '{"command":"list-com'));
      assert.equal(partial.result, 1);
      assert.match(partial.text, /Incomplete command/);
      const big = JSON.parse(
        await exchange(path, `{"command":"x","arguments":{"a":"${'a'.repeat(5000)}"}}`, false),
      );
      assert.deepEqual(big, { result: 1, text: 'Command too large: more than 1024 bytes.' });
      const silent = JSON.parse(await exchange(path, '', false));
      assert.deepEqual(silent, { result: 1, text: 'Connection over control channel timed out' });
      const ok = JSON.parse(await exchange(path, '{"command":"version-get"}'));
      assert.equal(ok.result, 0);
    },
    { maxRequestBytes: 1024, idleTimeoutMs: 200 },
  );
});

test(
  'a stale socket file is replaced; a regular file or a live socket is refused',
  needs('python3'),
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-ctl-'));
    try {
      const path = join(dir, 's.sock');
      const registry = createCommandRegistry();
      const target = new FakeTarget();
      const first = await UnixControlServer.listen({ path, registry, target });
      await assert.rejects(UnixControlServer.listen({ path, registry, target }), ControlListenError);
      await first.close();
      // A socket file nobody listens on, as a crashed server leaves it.
      await run('python3', [
        '-c',
        'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
        path,
      ]);
      assert.equal(statSync(path).isSocket(), true);
      const second = await UnixControlServer.listen({ path, registry, target });
      assert.equal(JSON.parse(await exchange(path, '{"command":"version-get"}')).result, 0);
      await second.close();
      const file = join(dir, 'file');
      writeFileSync(file, 'x');
      await assert.rejects(UnixControlServer.listen({ path: file, registry, target }), /not a socket/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
