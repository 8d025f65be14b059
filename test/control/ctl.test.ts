import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCommandRegistry } from '../../src/control/commands/index.ts';
import { startControlListeners } from '../../src/control/listeners.ts';
import { FakeTarget } from './fake-target.ts';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');

function ctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, 'ctl', ...args], (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

test('leasekeeper ctl talks to both transports, prints JSON, exits non-zero when result is not 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-ctl-'));
  const path = join(dir, 'c.sock');
  const listeners = await startControlListeners(
    {
      unix: [{ path }],
      http: [{ host: '127.0.0.1', port: 0, auth: { realm: 'r', clients: [{ user: 'a', password: 'b' }] } }],
    },
    { registry: createCommandRegistry(), target: new FakeTarget() },
  );
  try {
    const url = listeners.http[0]?.url ?? '';
    const asUserA = ['--http', url, '--user', 'a', '--password', 'b'];
    const list = await ctl(['list-commands', '--socket', path]);
    assert.equal(list.code, 0);
    assert.ok((JSON.parse(list.stdout) as { arguments: string[] }).arguments.includes('lease4-add'));

    const bad = await ctl(['leases-reclaim', '--socket', path, '--args', '{"remove": 1}']);
    assert.equal(bad.code, 1);
    assert.equal(JSON.parse(bad.stdout).text, "'remove' parameter expected to be a boolean.");

    const http = await ctl(['leases-reclaim', ...asUserA, '--args', '{"remove": true}']);
    assert.equal(http.code, 0);
    assert.deepEqual(JSON.parse(http.stdout), [
      { result: 0, text: 'Reclamation of expired leases is complete.' },
    ]);

    const unauthorized = await ctl(['version-get', '--http', url]);
    assert.equal(unauthorized.code, 1);
    assert.match(unauthorized.stderr, /HTTP 401/);

    const agent = await ctl(['lease4-get-all', ...asUserA, '--service', '']);
    assert.equal(agent.code, 1);
    assert.equal(JSON.parse(agent.stdout)[0].result, 2);

    assert.equal((await ctl(['version-get'])).code, 2);
    assert.equal((await ctl(['version-get', '--socket', path, '--args', '{'])).code, 2);
    const gone = await ctl(['version-get', '--socket', join(dir, 'missing.sock')]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /cannot talk to/);
  } finally {
    await listeners.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
