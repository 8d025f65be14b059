// The examples run as written (they import 'leasekeeper', the package's own export) and print what the
// docs say they print.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function run(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', file],
      { cwd: ROOT, timeout: 60_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${file}: ${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

test('examples/quickstart.ts: offer, bind, the client sees the options, release', async () => {
  const out = (await run('examples/quickstart.ts')).trim().split('\n');
  assert.deepEqual(out, [
    'offered 192.168.1.100 to 02:00:00:00:00:01',
    'bound 192.168.1.100 to 02:00:00:00:00:01 (laptop)',
    'laptop has 192.168.1.100/24 router 192.168.1.1 dns 192.168.1.1 domain lan',
    'leases: 192.168.1.100=02:00:00:00:00:01',
    'released 192.168.1.100',
  ]);
});

test('examples/userspace-stack.ts: a tcpip.js-shaped stack serves and is served, renewal by unicast', async () => {
  const out = (await run('examples/userspace-stack.ts')).trim().split('\n');
  assert.equal(out[0], 'vm stack configured with 10.0.0.50/24, gateway 10.0.0.1');
  assert.match(out[1] ?? '', /^renewed 10\.0\.0\.50 until \d{4}-/);
  assert.equal(out[2], 'server leases: 10.0.0.50');
});

for (const file of ['docs/library.md', 'README.md']) {
  test(`the quickstart in ${file} is examples/quickstart.ts, word for word`, () => {
    const doc = readFileSync(`${ROOT}${file}`, 'utf8');
    const block = /```ts\n(import \{ createDhcp[\s\S]*?)```/.exec(doc)?.[1];
    const example = readFileSync(`${ROOT}examples/quickstart.ts`, 'utf8')
      .split('\n')
      .filter((line, i) => !(i < 2 && line.startsWith('//')))
      .join('\n');
    assert.equal(block, example);
  });
}
