// `leasekeeper --help` and `--version` answer without loading any command (and so without pg, the
// SQLite driver or the server): the commands load when one runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NOT_FOR_HELP, runRecorded } from './loads.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');

test('--help lists every command without loading any of them, pg or the SQLite driver', () => {
  const { stdout, loaded } = runRecorded(['--import', 'tsx', MAIN], ['--help']);
  for (const name of ['serve', 'client', 'ctl', 'decode', 'demo'])
    assert.match(stdout, new RegExp(`^  ${name} `, 'm'));
  assert.ok(
    loaded.some((m) => m.endsWith('/src/cli/registry.ts')),
    'the recorder sees the CLI modules',
  );
  assert.deepEqual(
    loaded.filter((m) => NOT_FOR_HELP.test(m)),
    [],
  );
});

test('a command loads when it runs: `decode --help` loads decode, not serve', () => {
  const { stdout, loaded } = runRecorded(['--import', 'tsx', MAIN], ['decode', '--help']);
  assert.match(stdout, /Usage: leasekeeper decode/);
  assert.ok(loaded.some((m) => m.endsWith('/src/cli/decode.ts')));
  assert.ok(!loaded.some((m) => m.endsWith('/src/cli/serve.ts')));
});

test('--version prints the version from package.json', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const out = execFileSync(process.execPath, ['--import', 'tsx', MAIN, '--version'], { encoding: 'utf8' });
  assert.equal(out, `${pkg.version}\n`);
});
