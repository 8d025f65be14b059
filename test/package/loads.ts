import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RECORD = join(ROOT, 'test/package/record-loads.mjs');

/** Runs node with `entry` and `args` (record-loads imported first); its stdout and every module it loaded. */
export function runRecorded(
  entry: string[],
  args: string[],
  cwd = ROOT,
): { stdout: string; loaded: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'lk-loads-'));
  try {
    const log = join(dir, 'loaded.log');
    const stdout = execFileSync(process.execPath, ['--import', RECORD, ...entry, ...args], {
      cwd,
      env: { ...process.env, LK_LOADED_LOG: log },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { stdout, loaded: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The modules a `--help` run must not load: every command, the server, the stores' drivers. */
export const NOT_FOR_HELP =
  /\/cli\/(serve|client|ctl|decode|demo)\.|\/runtime\/|\/leases\/|\/node_modules\/(pg|better-sqlite3|pino|ws)\//;
