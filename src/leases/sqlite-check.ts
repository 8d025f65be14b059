import { execFile, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type Database from 'better-sqlite3';
import { sqliteDriver } from './sqlite-sql.ts';
import { LeaseStoreDamagedError } from './errors.ts';
import { APPLICATION_ID, SCHEMA_VERSION } from './sqlite-schema.ts';
import { scanWalForLoss } from './sqlite-wal-scan.ts';

/** Problems `quick_check` lists in the error message, at most. */
const PROBLEMS_SHOWN = 3;

/** What the check at open found in a file it did not refuse. */
export interface FileCheck {
  readonly checkMs: number;
  readonly warnings: readonly string[];
}

/**
 * Checks an existing lease file before anything writes to it: first its WAL (committed transactions SQLite
 * would drop without a word), then `PRAGMA quick_check` on a read-only connection, which never checkpoints
 * nor rewrites the file. Throws `LeaseStoreDamagedError`, whose message says how to recover. Returns null
 * when there is no file yet (or it is not an SQLite file: opening reports that).
 *
 * One dropped transaction at the end of the WAL is what a power loss during its commit leaves (its commit
 * frame reached the disk, an earlier frame did not): with `synchronous: 'full'` it was never acknowledged, so
 * it is reported, not refused. So is any loss under `synchronous: 'normal'`, which accepts losing the last
 * transactions on power loss.
 */
export function checkLeaseFile(path: string, synchronous: 'full' | 'normal' = 'full'): FileCheck | null {
  if (path === ':memory:' || !nonEmpty(path)) return null;
  const began = performance.now();
  const warnings = scanWal(path, synchronous);
  const problems = quickCheckProblems(path, runQuickCheck(path));
  if (problems === null) return null;
  return { checkMs: performance.now() - began, warnings };
}

/**
 * `checkLeaseFile` with `quick_check` (most of its time: about 0.2-0.5 s with a million leases) run in a child
 * process, so that the caller can read the file on its own read-only connection meanwhile; rejects as
 * `checkLeaseFile` throws. The WAL scan runs first, on this thread, before this returns: a WAL that would lose
 * transactions is refused before anything reads the file.
 */
export function startLeaseFileCheck(
  path: string,
  synchronous: 'full' | 'normal' = 'full',
): Promise<FileCheck | null> {
  if (path === ':memory:' || !nonEmpty(path)) return Promise.resolve(null);
  const began = performance.now();
  const warnings = scanWal(path, synchronous);
  const scanMs = performance.now() - began;
  return quickCheckAside(path).then(({ outcome, ms }) => {
    const problems = quickCheckProblems(path, outcome);
    // The check's own time: this thread may see the child's answer only after a long load.
    return problems === null ? null : { checkMs: scanMs + ms, warnings };
  });
}

/** What `quick_check` answered: its rows, the driver's error, or no readable SQLite file to check. */
type QuickCheckOutcome =
  | { readonly kind: 'rows'; readonly rows: readonly { quick_check: string }[] }
  | { readonly kind: 'error'; readonly code: unknown; readonly message: string }
  | { readonly kind: 'unopenable' };

/** The WAL's warnings; throws when it would lose committed transactions that were acknowledged. */
function scanWal(path: string, synchronous: 'full' | 'normal'): string[] {
  const warnings: string[] = [];
  const loss = scanWalForLoss(`${path}-wal`);
  if (loss !== null) {
    const what =
      `its WAL (${path}-wal) is damaged at frame ${loss.firstBadFrame} of ${loss.frames}; ` +
      `SQLite drops ${loss.lostCommits} committed transactions after it`;
    if (loss.lostCommits > 1 && synchronous === 'full') {
      throw new LeaseStoreDamagedError(
        `lease database ${path}: ${what}, so the file was not opened and nothing was written. ${recovery(path)}`,
      );
    }
    warnings.push(`lease database ${path}: ${what} (a power loss during a commit leaves this too)`);
  }
  return warnings;
}

function runQuickCheck(path: string): QuickCheckOutcome {
  let db: Database.Database;
  try {
    db = new (sqliteDriver())(path, { readonly: true, fileMustExist: true });
  } catch {
    return { kind: 'unopenable' };
  }
  try {
    return { kind: 'rows', rows: db.pragma(`quick_check(${PROBLEMS_SHOWN})`) as { quick_check: string }[] };
  } catch (error) {
    return {
      kind: 'error',
      code: (error as { code?: unknown } | null)?.code,
      message: error instanceof Error ? error.message : String(error),
    };
  } finally {
    db.close();
  }
}

/**
 * `runQuickCheck` in a child process (node running the text below, the same from the sources and from the
 * build): a process, not a worker thread, because a thread's isolate leaves about 16 MiB in the server's RSS
 * after it exits, and a process gives everything back. A child that cannot run it (it failed to start, died,
 * answered nothing readable) leaves the check to this thread.
 */
function quickCheckAside(path: string): Promise<{ outcome: QuickCheckOutcome; ms: number }> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  return new Promise((resolve) => {
    let settled = false;
    const onThisThread = (): void => {
      if (settled) return;
      settled = true;
      const began = performance.now();
      const outcome = runQuickCheck(path);
      resolve({ outcome, ms: performance.now() - began });
    };
    let child: ChildProcess;
    try {
      child = execFile(
        process.execPath,
        ['-e', QUICK_CHECK_PROCESS, driver, path, String(PROBLEMS_SHOWN)],
        { env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 1 << 20, windowsHide: true },
        (error, stdout) => {
          if (settled) return;
          const answer = error === null ? parseAnswer(stdout) : null;
          if (answer === null) return onThisThread();
          settled = true;
          resolve(answer);
        },
      );
    } catch {
      onThisThread();
      return;
    }
    child.once('error', onThisThread);
  });
}

function parseAnswer(stdout: string): { outcome: QuickCheckOutcome; ms: number } | null {
  try {
    const answer = JSON.parse(stdout) as { outcome?: { kind?: unknown }; ms?: unknown };
    const kind = answer.outcome?.kind;
    if (typeof answer.ms !== 'number' || (kind !== 'rows' && kind !== 'error' && kind !== 'unopenable')) {
      return null;
    }
    return answer as { outcome: QuickCheckOutcome; ms: number };
  } catch {
    return null;
  }
}

/** The child's program: the same steps as `runQuickCheck`, its outcome as JSON on stdout. */
const QUICK_CHECK_PROCESS = `
const began = performance.now();
const [driver, path, shown] = process.argv.slice(1);
const answer = (outcome) => process.stdout.write(JSON.stringify({ outcome, ms: performance.now() - began }));
const Database = require(driver);
let db;
try {
  db = new Database(path, { readonly: true, fileMustExist: true });
} catch {
  answer({ kind: 'unopenable' });
}
if (db !== undefined) {
  try {
    answer({ kind: 'rows', rows: db.pragma('quick_check(' + Number(shown) + ')') });
  } catch (error) {
    answer({
      kind: 'error',
      code: error && error.code,
      message: error instanceof Error ? error.message : String(error),
    });
  } finally {
    db.close();
  }
}
`;

/** The problems `quick_check` found; throws `LeaseStoreDamagedError` when there are any; null: not checked. */
function quickCheckProblems(path: string, outcome: QuickCheckOutcome): readonly string[] | null {
  let problems: string[];
  if (outcome.kind === 'unopenable') return null;
  if (outcome.kind === 'error') {
    if (outcome.code !== 'SQLITE_CORRUPT') return null;
    problems = [outcome.message];
  } else problems = outcome.rows.map((r) => r.quick_check.replace(/\s+/g, ' ')).filter((p) => p !== 'ok');
  if (problems.length > 0) {
    throw new LeaseStoreDamagedError(
      `lease database ${path} is damaged (quick_check: ${problems.join('; ')}); it was not opened and nothing ` +
        `was written. ${recovery(path)}`,
    );
  }
  return problems;
}

/** How an operator gets a server going again from a damaged file, without losing what can be read from it. */
function recovery(path: string): string {
  const aside = `${path}.damaged`;
  return (
    `To recover: stop every server using it, move it aside with its WAL (mv ${path} ${aside}; ` +
    `mv ${path}-wal ${aside}-wal; rm -f ${path}-shm), then either rebuild it from what is readable: ` +
    `{ echo 'PRAGMA application_id=${APPLICATION_ID}; PRAGMA user_version=${SCHEMA_VERSION};'; sqlite3 ${aside} .dump; } ` +
    `| sqlite3 ${path} ; or start without it: leases are granted anew as clients renew or rebind.`
  );
}

function nonEmpty(path: string): boolean {
  try {
    return statSync(path).size > 0;
  } catch {
    return false;
  }
}
