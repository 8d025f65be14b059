import { statSync } from 'node:fs';
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
  let db: Database.Database;
  try {
    db = new (sqliteDriver())(path, { readonly: true, fileMustExist: true });
  } catch {
    return null;
  }
  let problems: string[];
  try {
    const rows = db.pragma(`quick_check(${PROBLEMS_SHOWN})`) as { quick_check: string }[];
    problems = rows.map((r) => r.quick_check.replace(/\s+/g, ' ')).filter((p) => p !== 'ok');
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== 'SQLITE_CORRUPT') return null;
    problems = [error instanceof Error ? error.message : String(error)];
  } finally {
    db.close();
  }
  if (problems.length > 0) {
    throw new LeaseStoreDamagedError(
      `lease database ${path} is damaged (quick_check: ${problems.join('; ')}); it was not opened and nothing ` +
        `was written. ${recovery(path)}`,
    );
  }
  return { checkMs: performance.now() - began, warnings };
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
