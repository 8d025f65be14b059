import { LeaseStoreError, LeaseStoreIoError } from './errors.ts';
import type { Db, Statements, WriteOp } from './sqlite-sql.ts';
import { runWriteOp, wrapDriverError } from './sqlite-sql.ts';
import { BatchRows } from './sqlite-batch-rows.ts';
import { WalSpaceGuard } from './sqlite-space.ts';
import { WalSync, type WalFiles } from './sqlite-wal-sync.ts';
import type { LeaseChange } from './store.ts';

/** What one operation of a committed batch came to: its answer and the changes to announce, or its own error. */
export type BatchResult =
  | { readonly ok: true; readonly value: unknown; readonly changes: readonly LeaseChange[] }
  | { readonly ok: false; readonly error: LeaseStoreError };

/** SQLite's `PRAGMA synchronous` values. */
const SYNCHRONOUS_NORMAL = 1;
const SYNCHRONOUS_FULL = 2;

export interface WriteBatchOptions {
  /** For tests: the WAL's file calls. */
  readonly walFiles?: WalFiles;
  /**
   * Called before a TRUNCATE checkpoint (after a failed sync, after a full disk): waits for a checkpoint another
   * connection runs (the writer thread's checkpoint thread), which would make it fail busy.
   */
  readonly awaitOtherCheckpoint?: () => void;
}

/**
 * One batch of writes in ONE `BEGIN IMMEDIATE` transaction on a write connection (the inline writer's or the
 * writer thread's): one sync for all of them. An operation that throws a `LeaseStoreError` (a corrupt row, a bad
 * argument) fails alone; any other error (the driver: busy, I/O, disk full) rolls the whole batch back.
 *
 * On a connection opened with `synchronous=FULL` (the store's default), the batch takes the commit's sync over:
 * the connection runs with NORMAL and, after each transaction that changed a row, `WalSync` fdatasyncs the WAL
 * before `run` returns, so no result leaves before its data is durable. A store opened with
 * `synchronous: 'normal'` keeps SQLite's NORMAL, without a sync per commit.
 *
 * A failed sync fails the batch: its transaction is committed in the file but may not be on disk, and a later
 * successful sync does not say otherwise (Linux reports a writeback error once and may drop the pages), nor does
 * it cover a hole the lost frames leave in the WAL, behind which a recovery would drop every later transaction.
 * So before the next batch, a `wal_checkpoint(TRUNCATE)` copies every committed frame into the database, syncs it
 * and empties the WAL; until one succeeds every batch fails unrun, as with any store failure (no ACK, the client
 * retries, service resumes with the first write that succeeds).
 */
export class SqliteWriteBatch {
  readonly #db: Db;
  readonly #transaction: (body: () => void) => void;
  readonly #rows: BatchRows;
  readonly #space: WalSpaceGuard;
  readonly #path: string;
  readonly #walSync: WalSync | null;
  readonly #totalChanges: () => number;
  readonly #awaitOtherCheckpoint: () => void;
  /** A sync failed: nothing more is written until a checkpoint has made every committed frame durable. */
  #unsynced = false;

  constructor(db: Db, stmt: Statements, path: string, options: WriteBatchOptions = {}) {
    const transaction = db.transaction((body: () => void) => body());
    this.#db = db;
    this.#transaction = (body) => transaction.immediate(body);
    this.#rows = new BatchRows(db, stmt);
    this.#awaitOtherCheckpoint = options.awaitOtherCheckpoint ?? (() => undefined);
    this.#space = new WalSpaceGuard(db, path, this.#awaitOtherCheckpoint);
    this.#path = path;
    const takeOverSync = !db.memory && Number(db.pragma('synchronous', { simple: true })) >= SYNCHRONOUS_FULL;
    if (takeOverSync) db.pragma(`synchronous = ${SYNCHRONOUS_NORMAL}`);
    this.#walSync = takeOverSync ? new WalSync(`${path}-wal`, options.walFiles) : null;
    const changes = db.prepare('SELECT total_changes()').pluck();
    this.#totalChanges = () => Number(changes.get());
  }

  /** Each operation's result, once the transaction is durable; throws the batch's error (a `LeaseStoreError`). */
  run(ops: readonly WriteOp[], wantRemoved: boolean): BatchResult[] {
    if (this.#unsynced) this.#recover();
    const changesBefore = this.#walSync === null ? 0 : this.#totalChanges();
    const results: BatchResult[] = [];
    try {
      this.#transaction(() => {
        this.#rows.discard();
        for (const op of ops) {
          try {
            const outcome = runWriteOp(this.#rows, op, wantRemoved);
            results.push({ ok: true, value: outcome.value, changes: outcome.changes });
          } catch (error) {
            if (!(error instanceof LeaseStoreError)) throw error;
            results.push({ ok: false, error });
          }
        }
        this.#rows.flush();
      });
    } catch (error) {
      this.#space.afterFailure(error);
      throw wrapDriverError('write', error, this.#path);
    }
    if (this.#walSync !== null && this.#totalChanges() !== changesBefore) {
      try {
        this.#walSync.sync();
      } catch (error) {
        this.#unsynced = true;
        throw error;
      }
    }
    this.#space.afterCommit();
    return results;
  }

  /** Makes what was written durable (a write outside `run`, e.g. the clean-close record), then lets the WAL go. */
  close(): void {
    try {
      this.#walSync?.sync();
    } catch {
      // The record is a hint for the next start; SQLite checkpoints and syncs when the last connection closes.
    }
    this.#walSync?.close();
  }

  /** After a failed sync: checkpoint everything committed into the database (synced), WAL emptied. */
  #recover(): void {
    let busy = true;
    let detail = 'a reader or another checkpoint kept the WAL';
    try {
      this.#awaitOtherCheckpoint();
      const [row] = this.#db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      busy = row?.busy !== 0;
    } catch (error) {
      detail = error instanceof Error ? error.message : String(error);
    }
    if (!busy) {
      this.#unsynced = false;
      return;
    }
    throw new LeaseStoreIoError(
      `lease database ${this.#path}: writes are refused until the transactions committed before a failed sync ` +
        `are durable; the checkpoint that makes them so failed (${detail})`,
    );
  }
}
