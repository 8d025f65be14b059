import { existsSync, statfsSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Db } from './sqlite-sql.ts';

/** While space is short, the WAL is checkpointed (and its frames reused) every this many pages. */
const LOW_SPACE_AUTOCHECKPOINT_PAGES = 16;
/** Space is no longer short once the file system has this much free again. */
const ROOMY_BYTES = 64 * 1024 * 1024;
/** How often, at most, free space is looked up while it is short. */
const STATFS_INTERVAL_MS = 10_000;

/** Whether a driver error means the file system is full. */
export function isOutOfSpace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL';
}

/**
 * Keeps a full disk from blocking the writer after some space came back. The WAL grows with every
 * transaction until a checkpoint (automatic at 1,000 pages, about 4 MiB; for the writer thread, about as
 * often on its checkpoint thread: `CheckpointSchedule`) lets SQLite reuse it, so without this
 * a server that hit a full disk needed about 4 MiB free before it could commit again. After a write that
 * failed for lack of space, the WAL is checkpointed into the database and truncated (`wal_checkpoint(TRUNCATE)`:
 * SQLite syncs the database before it empties the WAL, so nothing committed is at risk), which gives its space
 * back, and then checkpointed every 16 pages (automatically, inside the commits: a full disk is no time to
 * save milliseconds) so it stays small, until the file system has room again, when the connection's own
 * setting comes back.
 */
export class WalSpaceGuard {
  readonly #db: Db;
  readonly #dir: string;
  /** The connection's own automatic checkpoint, restored once space is back (0 on the writer thread's). */
  readonly #usualAutocheckpoint: number;
  /** Waits for a checkpoint on another connection, which would make the TRUNCATE one fail busy. */
  readonly #awaitOtherCheckpoint: () => void;
  #short = false;
  #checkedAt = 0;

  constructor(db: Db, path: string, awaitOtherCheckpoint: () => void = () => undefined) {
    this.#db = db;
    this.#awaitOtherCheckpoint = awaitOtherCheckpoint;
    this.#dir = dirname(path);
    this.#usualAutocheckpoint = Number(db.pragma('wal_autocheckpoint', { simple: true }));
  }

  /** After a write transaction failed (and was rolled back). Never throws. */
  afterFailure(error: unknown): void {
    if (!isOutOfSpace(error)) return;
    try {
      if (!this.#short) this.#db.pragma(`wal_autocheckpoint = ${LOW_SPACE_AUTOCHECKPOINT_PAGES}`);
      this.#short = true;
      this.#checkedAt = Date.now();
      this.#awaitOtherCheckpoint();
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Not even the checkpoint fits: the next failed write tries again.
    }
  }

  /** After a committed transaction: ends the short-space mode once there is room. Never throws. */
  afterCommit(): void {
    if (!this.#short) return;
    const now = Date.now();
    if (now - this.#checkedAt < STATFS_INTERVAL_MS) return;
    this.#checkedAt = now;
    try {
      const fs = statfsSync(this.#dir);
      if (fs.bavail * fs.bsize < ROOMY_BYTES) return;
      this.#db.pragma(`wal_autocheckpoint = ${this.#usualAutocheckpoint}`);
      this.#short = false;
    } catch {
      // statfs unsupported here: stay careful.
    }
  }
}

/**
 * Removes what a failed first open left behind: SQLite creates the file before it writes the schema, so a
 * start on a full disk would leave an empty file (and its WAL) for the next start to trip over. Only files
 * this open created and that are still empty go (and the WAL index with them).
 */
export function removeEmptyNewDatabase(path: string): void {
  try {
    if (statSync(path).size !== 0) return;
    unlinkSync(path);
    const wal = `${path}-wal`;
    if (existsSync(wal) && statSync(wal).size === 0) unlinkSync(wal);
    // The shared-memory index is rebuilt from the WAL by whoever opens the file next.
    if (!existsSync(wal) && existsSync(`${path}-shm`)) unlinkSync(`${path}-shm`);
  } catch {
    // Gone already, or not ours to remove.
  }
}
