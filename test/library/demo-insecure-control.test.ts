// `leasekeeper demo --insecure-control`, as `serve` has it: the demo's control API on a non-loopback address
// without authentication is refused unless asked for. Run in a network namespace of its own, so the wildcard
// address reaches nothing but that namespace's loopback.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createLab } from '../lab/netns.ts';
import { requiring } from '../lab/needs.ts';

const { test } = requiring('root', 'ip');
const CLI = fileURLToPath(new URL('../../bin/leasekeeper.js', import.meta.url));

test('demo refuses --http on a non-loopback address without auth, and serves it with --insecure-control', async () => {
  const lab = await createLab('dmo');
  try {
    const ns = await lab.namespace('demo');
    const demo = (extra: readonly string[]) =>
      ns.run(
        process.execPath,
        [CLI, 'demo', '--clients', '1', '--http', '0.0.0.0:0', '--duration', '1', ...extra],
        { timeoutMs: 60_000 },
      );
    const refused = await demo([]);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /not on a loopback address and has no authentication.*--insecure-control/);
    const served = await demo(['--insecure-control']);
    assert.equal(served.code, 0, served.stdout + served.stderr);
    assert.match(served.stdout, /dashboard: http:\/\/\S+:\d+\//);
  } finally {
    await lab.close();
  }
});
