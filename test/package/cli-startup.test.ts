// `leasekeeper --help` and `--version` answer without loading any command (and so without pg, the
// SQLite driver or the server): the commands load when one runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NOT_FOR_HELP, runRecorded } from './loads.ts';
import { shebangNodeFlags } from '../../bench/daemon-flags.ts';

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

// The daemon's node flags ride on the CLI's shebang (npm links the bin to the file, so `leasekeeper`,
// `npx leasekeeper` and the systemd unit's ExecStart all get them); every other way this package starts the
// CLI passes the same ones.
const SHEBANG = /^#!(.*)\n/.exec(readFileSync(MAIN, 'utf8'))?.[1] ?? '';
// One V8 helper thread and no concurrent marking: V8's background marking no longer takes the cores the event
// loop and the SQLite writer wait for (docs/scaling.md, "V8's helper threads and the scheduler (round 10)").
const DAEMON_FLAGS: readonly string[] = ['--v8-pool-size=1', '--no-concurrent-marking'];

test("the CLI's shebang starts node with the daemon's chosen flags, and this system's env runs that line", () => {
  const flags = shebangNodeFlags(`#!${SHEBANG}`);
  assert.deepEqual(flags, DAEMON_FLAGS, SHEBANG);
  // A script with the same first line, run the way npm's bin link runs the CLI: the kernel hands the line
  // to env, env -S splits it, node takes the flags.
  const dir = mkdtempSync(join(tmpdir(), 'lk-shebang-'));
  try {
    const script = join(dir, 'probe.mjs');
    writeFileSync(script, `#!${SHEBANG}\nconsole.log(JSON.stringify(process.execArgv));\n`, { mode: 0o755 });
    const env = {
      ...process.env,
      NODE_OPTIONS: '',
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
    };
    assert.deepEqual(JSON.parse(execFileSync(script, [], { encoding: 'utf8', env })), flags);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the dev CLI, `npm start`, `npm run serve` and the container start node with the same flags', () => {
  const flags = shebangNodeFlags(`#!${SHEBANG}`);
  const node = ['node', ...flags].join(' ');
  assert.equal(/^#!(.*)\n/.exec(readFileSync(join(ROOT, 'bin/leasekeeper.js'), 'utf8'))?.[1], SHEBANG);
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  assert.ok(scripts['start']?.startsWith(`${node} `), scripts['start']);
  assert.ok(scripts['serve']?.startsWith(`${node} `), scripts['serve']);
  const container = readFileSync(join(ROOT, 'contrib/container/Containerfile'), 'utf8');
  const entry = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(container)?.[1] ?? '[]') as string[];
  assert.deepEqual(entry.slice(0, 1 + flags.length), ['node', ...flags]);
  assert.ok(entry[1 + flags.length]?.endsWith('/dist/cli/main.js'), container);
});
