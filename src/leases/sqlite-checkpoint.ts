import type { Db } from './sqlite-sql.ts';

/** What one checkpoint did: the WAL's frames then, how many were copied into the database, how long it took. */
export interface CheckpointReport {
  readonly walFrames: number;
  readonly checkpointedFrames: number;
  /** A reader or writer kept part of the WAL from being copied (it is copied next time). */
  readonly busy: boolean;
  readonly ms: number;
  /** Run by the writer on its own connection (no batch commits meanwhile), not by the checkpoint thread. */
  readonly inWriter?: boolean;
}

/**
 * The frames a checkpoint aims to copy: SQLite's own automatic threshold (about 4 MiB), so the pages copied (each
 * once per checkpoint, however often it changed) are as many as before; only where it runs moved.
 */
export const CHECKPOINT_TARGET_FRAMES = 1000;
/** Frames one write is assumed to add before the first checkpoint measured it. */
const INITIAL_FRAMES_PER_WRITE = 4;

/**
 * Turns SQLite's automatic checkpoint off on a write connection. The automatic one runs inside the COMMIT of
 * whichever transaction pushes the WAL past 1,000 pages: it copies about 4 MiB into the database file and
 * syncs it before that COMMIT returns, so every write of that batch (and of the batch collecting behind it)
 * waits for it. `CheckpointSchedule` has the checkpoint thread do it instead.
 */
export function disableAutoCheckpoint(db: Db): void {
  db.pragma('wal_autocheckpoint = 0');
}

/**
 * Checkpoints the WAL of a connection (the checkpoint thread's; the writer's between batches when it must,
 * see `CheckpointSchedule`), never inside a transaction: after a batch's
 * transaction committed (and its outcome was reported), `due()` says whether the WAL holds about
 * `targetFrames` frames, and `run()` copies them into the database with a PASSIVE checkpoint (it never waits
 * for a lock). Small, frequent checkpoints keep each one short and the WAL bounded: once a checkpoint copied
 * every frame, the next transaction starts the WAL over from its beginning.
 *
 * SQLite does not say how many frames a transaction appended, so the rate is learnt: a checkpoint reports the
 * WAL's frames, which (the WAL having restarted after the last complete checkpoint) were written by the writes
 * since then.
 */
export class WalCheckpointer {
  readonly #checkpoint: () => readonly [busy: number, log: number, checkpointed: number];
  readonly #now: () => number;
  readonly #targetFrames: number;
  #writesSince = 0;
  #framesPerWrite = INITIAL_FRAMES_PER_WRITE;

  constructor(
    checkpoint: () => readonly [busy: number, log: number, checkpointed: number],
    options: { readonly targetFrames?: number; readonly now?: () => number } = {},
  ) {
    this.#checkpoint = checkpoint;
    this.#targetFrames = Math.max(1, options.targetFrames ?? CHECKPOINT_TARGET_FRAMES);
    this.#now = options.now ?? (() => performance.now());
  }

  /** A PASSIVE checkpoint on `db`. */
  static on(db: Db, options?: { readonly targetFrames?: number }): WalCheckpointer {
    const stmt = db.prepare('PRAGMA wal_checkpoint(PASSIVE)').raw(true);
    return new WalCheckpointer(() => stmt.get() as [number, number, number], options);
  }

  /** A transaction of `writes` operations committed. */
  committed(writes: number): void {
    this.#writesSince += writes;
  }

  /** Whether the WAL has grown by about the target since the last checkpoint. */
  due(): boolean {
    return this.#writesSince > 0 && this.#writesSince * this.#framesPerWrite >= this.#targetFrames;
  }

  /** Checkpoints now. Throws what SQLite throws (the caller decides; the next one tries again). */
  run(): CheckpointReport {
    const started = this.#now();
    const writes = this.#writesSince;
    this.#writesSince = 0;
    const [busy, log, checkpointed] = this.#checkpoint();
    if (writes > 0 && log > 0) this.#framesPerWrite = Math.max(log / writes, 1 / this.#targetFrames);
    return { walFrames: log, checkpointedFrames: checkpointed, busy: busy !== 0, ms: this.#now() - started };
  }
}
