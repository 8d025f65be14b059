import { existsSync } from 'node:fs';
import { ipv4ToNumber } from './address.ts';
import { ChangeHub } from './changes.ts';
import { LeaseStoreError, LeaseStoreOpenError } from './errors.ts';
import type { Lease } from './lease.ts';
import * as args from './arguments.ts';
import type { CheckedCommit } from './arguments.ts';
import { foldStateRows, subnetSet, type StateCountRow } from './query.ts';
import { rowToLease } from './row.ts';
import { checkLeaseFile, startLeaseFileCheck, type FileCheck } from './sqlite-check.ts';
import { APPLICATION_ID, SCHEMA_VERSION } from './sqlite-schema.ts';
import { takeCloseRecord } from './sqlite-meta.ts';
import { one, openConnection, prepare, sqliteDriver, wrapDriverError } from './sqlite-sql.ts';
import type { Db, Statements, WriteOp } from './sqlite-sql.ts';
import { InlineWriter, WorkerWriter } from './sqlite-writer.ts';
import type { Writer, WriterHooks } from './sqlite-writer.ts';
import type { CheckpointTesting } from './sqlite-checkpoint-worker.ts';
import type { WriterData } from './sqlite-writer-protocol.ts';
import type {
  ClientQuery,
  CommitResult,
  LeaseStore,
  LeaseStoreOpenReport,
  SubnetFilter,
  SubnetLeaseStats,
} from './store.ts';
import { LeaseStoreBase } from './store-base.ts';
import type { LeaseStoreWarning } from './health.ts';

export interface SqliteLeaseStoreOptions {
  /** Database file; created with the schema when missing. */
  readonly path: string;
  /** The clock used when a call passes no `now`. */
  readonly clock?: () => number;
  /**
   * `full` (default): every committed batch is fsynced, so it survives power loss. `normal` survives a crash of
   * the process (the WAL is in the OS page cache) but may lose the last batches on power loss or kernel panic.
   */
  readonly synchronous?: 'full' | 'normal';
  /** How long to wait for another process holding the write lock (ms). Default 5000. */
  readonly busyTimeoutMs?: number;
  /**
   * Where the group-commit transactions run. `inline` (default): on the calling thread, so each batch's fsync
   * blocks the event loop. `worker`: in a worker thread that owns the write connection; the event loop keeps
   * serving (and queues the next batch) while a batch is synced. Reads stay on the calling thread either way.
   */
  readonly writer?: 'worker' | 'inline';
  /**
   * `worker` only: while writes keep arriving, a transaction starts up to this many ms after the previous
   * one started (default 4), so each fsync covers more writes and the writer thread wakes less often. The hold
   * is 0.25 ms per write the previous transaction carried, up to this: under light load a write waits about
   * one commit. A write that arrives when the thread is idle is committed at once.
   */
  readonly batchIntervalMs?: number;
  /** `worker` only: the hold per write of the previous transaction (default 0.25 ms; Infinity: always the interval). */
  readonly batchHoldPerWriteMs?: number;
  /**
   * `worker` only: whatever the hold, a transaction starts at most this many ms after the oldest write it
   * carries arrived, once the one before it is durable (default 1; Infinity: no bound).
   */
  readonly batchMaxWaitMs?: number;
  /**
   * `worker` only: whether the server is saturated now (the runtime's load signal). While it says so and
   * `batchMaxWaitMs` is not set, the bound is 4 ms instead of 1: fewer, larger transactions, less CPU per write.
   */
  readonly batchSaturated?: () => boolean;
  /**
   * `worker` only: a committed transaction's writes are settled this many per event-loop task (default 32), so
   * that after the writer thread stalled, the replies of hundreds of writes do not hold up the requests that
   * arrived meanwhile (Infinity: all in one task).
   */
  readonly batchSettleSlice?: number;
  /**
   * Opens an existing file of the current schema for reading at once and runs its check (`quick_check`) in a
   * child process meanwhile: `serve` loads the leases while the file is checked. Writes wait for the check and
   * then for the write connection, which is opened only once the check passed; `whenChecked` settles then, and
   * rejects with the check's error when it failed (writes reject with it too). Any other file (new, of an
   * older schema, not a lease file) is checked and opened before `open` resolves, as without this option.
   */
  readonly checkWhileReading?: boolean;
  /**
   * `worker` only: called on the calling thread with the writer thread's checkpoint warnings (its checkpoint
   * thread stalled or failing, the writer checkpointing the WAL itself), at most one per 5 s with the count of
   * events it stands for. Default: `process.emitWarning(message, 'LeaseStoreWarning')`, seen by
   * `process.on('warning')`. `serve` logs them.
   */
  readonly onWarning?: (warning: LeaseStoreWarning) => void;
  /** @internal Tests of the `worker` writer's checkpoints: their schedule, and a gate that holds them. */
  readonly checkpointForTesting?: CheckpointTesting;
}

/**
 * The embedded default: one SQLite file in WAL mode. Writes are group-committed: all writes of one event-loop
 * turn share one transaction and one fsync, and resolve once it is on disk. The transactions run on the calling
 * thread (`writer: 'inline'`, see `InlineWriter`) or in a worker thread that owns the write connection
 * (`writer: 'worker'`, see `WorkerWriter`); reads always use this thread's own connection. Several store
 * instances, in one process or several, may share one file: writes take SQLite's write lock (BEGIN IMMEDIATE), so
 * the claim check and the write are atomic across them.
 */
export class SqliteLeaseStore extends LeaseStoreBase implements LeaseStore {
  readonly backend = 'sqlite';
  #db: Db;
  /** Until the file check passed (`checkWhileReading`): null, and `#opening` opens the write side. */
  #writer: Writer | null;
  #stmt: Statements;
  #opening: Promise<void> | null = null;
  #openReport: LeaseStoreOpenReport = { warnings: [] };

  private constructor(
    db: Db,
    stmt: Statements,
    changes: ChangeHub,
    writer: Writer | null,
    clock: () => number,
  ) {
    super(changes, clock);
    this.#db = db;
    this.#stmt = stmt;
    this.#writer = writer;
  }

  /** Opens (creating if needed) the database file. Rejects with `LeaseStoreOpenError` when it cannot be used. */
  static async open(options: SqliteLeaseStoreOptions): Promise<SqliteLeaseStore> {
    if (options.checkWhileReading === true && isCurrentLeaseFile(options.path)) {
      return SqliteLeaseStore.#openWhileChecking(options);
    }
    // Before any connection that could write: a damaged file is refused as it is, never rewritten.
    const check = checkLeaseFile(options.path, options.synchronous);
    const changes = new ChangeHub();
    const side = await openWriteSide(options, check, changes);
    const store = new SqliteLeaseStore(side.db, side.stmt, changes, side.writer, options.clock ?? Date.now);
    store.#openReport = side.report;
    return store;
  }

  /** `checkWhileReading`: reads on a read-only connection now, the write side once the check passed. */
  static #openWhileChecking(options: SqliteLeaseStoreOptions): SqliteLeaseStore {
    // The WAL scan runs before this returns (and throws as `checkLeaseFile` does); quick_check in a child process.
    const checked = startLeaseFileCheck(options.path, options.synchronous);
    let reader: Db;
    try {
      reader = new (sqliteDriver())(options.path, { readonly: true, fileMustExist: true });
    } catch (error) {
      checked.catch(() => undefined);
      throw new LeaseStoreOpenError(`cannot open lease database ${options.path}: ${String(error)}`, {
        cause: error,
      });
    }
    const changes = new ChangeHub();
    const store = new SqliteLeaseStore(reader, prepare(reader), changes, null, options.clock ?? Date.now);
    store.#opening = checked
      .then((check) => openWriteSide(options, check, changes))
      .then((side) => {
        // Reads move to the connection they would have used without this option.
        store.#db = side.db;
        store.#stmt = side.stmt;
        store.#writer = side.writer;
        store.#openReport = side.report;
        store.#opening = null;
        reader.close();
      });
    // Settled by whoever awaits it (`whenChecked`, a write, `close`); not an unhandled rejection meanwhile.
    store.#opening.catch(() => undefined);
    return store;
  }

  /**
   * Resolves once the file check passed and the write side is open (at once unless the store was opened with
   * `checkWhileReading`); rejects with the check's `LeaseStoreDamagedError` when it failed.
   */
  async whenChecked(): Promise<void> {
    await this.#opening;
  }

  /** How long the integrity check at open took, and leases missing since the last clean close. */
  get openReport(): LeaseStoreOpenReport {
    return this.#openReport;
  }

  /** `worker` or `inline`: where this store's write transactions run. */
  get writer(): 'worker' | 'inline' {
    return this.#writer instanceof WorkerWriter ? 'worker' : 'inline';
  }

  /** How many operations the last group commit carried. */
  get lastBatchSize(): number {
    return this.#writer?.lastBatchSize ?? 0;
  }

  protected async commitChecked(commit: CheckedCommit): Promise<CommitResult> {
    return this.#submit<CommitResult>({ op: 'commit', ...commit });
  }

  async get(address: string): Promise<Lease | null> {
    this.assertOpen();
    const key = ipv4ToNumber(address);
    return this.#read(() => this.#one(key));
  }

  async findByClient(query: ClientQuery): Promise<Lease | null> {
    this.assertOpen();
    return this.#read(() => {
      if (query.clientId !== null) {
        const row = this.#stmt.latestByClientId.get(query.clientId.toLowerCase(), query.subnetId);
        if (row !== undefined) return rowToLease(row);
      }
      const row = this.#stmt.latestByHwAddress.get(query.hwAddress.toLowerCase(), query.subnetId);
      return row === undefined ? null : rowToLease(row);
    });
  }

  async getByHwAddress(hwAddress: string, subnetId?: number): Promise<Lease[]> {
    this.assertOpen();
    return this.#byIdentifier('byHwAddress', 'byHwAddressInSubnet', hwAddress, subnetId);
  }

  async getByClientId(clientId: string, subnetId?: number): Promise<Lease[]> {
    this.assertOpen();
    return this.#byIdentifier('byClientId', 'byClientIdInSubnet', clientId, subnetId);
  }

  /** Leases by a hardware address or client id (stored lower-case), optionally in one subnet. */
  #byIdentifier(
    anywhere: 'byHwAddress' | 'byClientId',
    inSubnet: 'byHwAddressInSubnet' | 'byClientIdInSubnet',
    identifier: string,
    subnetId: number | undefined,
  ): Lease[] {
    const id = identifier.toLowerCase();
    return this.#many(() =>
      subnetId === undefined ? this.#stmt[anywhere].all(id) : this.#stmt[inSubnet].all(id, subnetId),
    );
  }

  async getByHostname(hostname: string): Promise<Lease[]> {
    this.assertOpen();
    return this.#many(() => this.#stmt.byHostname.all(hostname));
  }

  async getAll(filter?: SubnetFilter): Promise<Lease[]> {
    this.assertOpen();
    const subnets = subnetSet(filter);
    return this.#many(() =>
      subnets === null ? this.#stmt.all.all() : this.#stmt.allInSubnets.all(JSON.stringify([...subnets])),
    );
  }

  async getPage(from: string, limit: number): Promise<Lease[]> {
    this.assertOpen();
    const page = args.page(from, limit);
    return this.#many(() => this.#stmt.page.all(page.lowest, page.limit));
  }

  async listExpired(now: number, limit?: number): Promise<Lease[]> {
    this.assertOpen();
    args.expired(now, limit);
    return this.#many(() => this.#stmt.expired.all(now, limit ?? -1));
  }

  protected async declineAt(key: number, probationSeconds: number, now: number): Promise<Lease | null> {
    return this.#submit<Lease | null>({ op: 'decline', key, probationSeconds, now });
  }

  protected async reclaimAt(key: number, remove: boolean, now: number): Promise<Lease | null> {
    return this.#submit<Lease | null>({ op: 'reclaim', key, remove, now });
  }

  async removeReclaimed(expiredBefore: number, limit: number): Promise<Lease[]> {
    this.assertOpen();
    args.reclaimedBefore(expiredBefore, limit);
    return this.#submit<Lease[]>({ op: 'removeReclaimed', expiredBefore, limit });
  }

  async remove(address: string): Promise<Lease | null> {
    this.assertOpen();
    const key = ipv4ToNumber(address);
    return this.#submit<Lease | null>({ op: 'remove', key });
  }

  async wipe(filter?: SubnetFilter): Promise<number> {
    this.assertOpen();
    const subnets = subnetSet(filter);
    const json = subnets === null ? null : JSON.stringify([...subnets]);
    return this.#submit<number>({ op: 'wipe', subnets: json });
  }

  async stats(filter?: SubnetFilter): Promise<SubnetLeaseStats[]> {
    this.assertOpen();
    const subnets = subnetSet(filter);
    const rows = this.#read(
      () =>
        (subnets === null
          ? this.#stmt.stats.all()
          : this.#stmt.statsInSubnets.all(JSON.stringify([...subnets]))) as StateCountRow[],
    );
    return foldStateRows(rows);
  }

  protected async release(): Promise<void> {
    await this.#opening?.catch(() => undefined);
    try {
      await this.#writer?.close();
    } finally {
      this.#db.close();
    }
  }

  /** Stops the writer thread abruptly, as a crash would (tests of the `worker` writer). */
  async crashWriterForTesting(): Promise<void> {
    if (this.#writer instanceof WorkerWriter) await this.#writer.terminate();
  }

  #submit<T>(op: WriteOp): Promise<T> {
    if (this.#writer === null) return this.#afterCheck(op) as Promise<T>;
    return this.#writer.submit(op) as Promise<T>;
  }

  async #afterCheck(op: WriteOp): Promise<unknown> {
    await this.#opening;
    return this.#writer!.submit(op);
  }

  #one(key: number): Lease | null {
    return one(this.#stmt, key);
  }

  #read<T>(body: () => T): T {
    try {
      return body();
    } catch (error) {
      if (error instanceof LeaseStoreError) throw error;
      throw wrapDriverError('read', error, this.#db.name);
    }
  }

  #many(rows: () => unknown[]): Lease[] {
    return this.#read(() => rows().map(rowToLease));
  }
}

/** What `open` builds once the file passed its check: the write connection, its statements and the writer. */
interface WriteSide {
  readonly db: Db;
  readonly stmt: Statements;
  readonly writer: Writer;
  readonly report: LeaseStoreOpenReport;
}

function emitStoreWarning(warning: LeaseStoreWarning): void {
  process.emitWarning(warning.message, 'LeaseStoreWarning');
}

async function openWriteSide(
  options: SqliteLeaseStoreOptions,
  check: FileCheck | null,
  changes: ChangeHub,
): Promise<WriteSide> {
  const db = openConnection(options, true);
  try {
    const warnings: string[] = [...(check?.warnings ?? [])];
    try {
      const missing = takeCloseRecord(db);
      if (missing !== null) warnings.push(missing);
    } catch {
      // A full disk at start: the comparison is skipped, the leases are served all the same.
    }
    const stmt = prepare(db);
    const hooks: WriterHooks = {
      announce: (change) => changes.emit(change),
      wantRemoved: () => changes.size > 0,
      warn: options.onWarning ?? emitStoreWarning,
    };
    const writer =
      options.writer === 'worker'
        ? await WorkerWriter.start(withCheckpointTesting(options), hooks, {
            ...(options.batchIntervalMs === undefined ? {} : { intervalMs: options.batchIntervalMs }),
            ...(options.batchHoldPerWriteMs === undefined ? {} : { perWriteMs: options.batchHoldPerWriteMs }),
            ...(options.batchMaxWaitMs === undefined ? {} : { maxWaitMs: options.batchMaxWaitMs }),
            ...(options.batchSaturated === undefined ? {} : { saturated: options.batchSaturated }),
            ...(options.batchSettleSlice === undefined ? {} : { settleSlice: options.batchSettleSlice }),
          })
        : new InlineWriter(db, stmt, hooks);
    return { db, stmt, writer, report: { ...(check === null ? {} : { checkMs: check.checkMs }), warnings } };
  } catch (error) {
    db.close();
    if (error instanceof LeaseStoreError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new LeaseStoreOpenError(`cannot open lease database ${options.path}: ${detail}`, {
      cause: error,
    });
  }
}

/** The writer thread's connection options (the store's), with the checkpoint schedule tests ask for. */
function withCheckpointTesting(options: SqliteLeaseStoreOptions): WriterData {
  const testing = options.checkpointForTesting;
  return testing === undefined ? options : { ...options, checkpoint: testing };
}

/**
 * Whether `path` is a lease file of this code's schema, which reads can use as it is; false for a missing or
 * empty file, another database, an older schema (migrated by the write connection first), or any error.
 */
function isCurrentLeaseFile(path: string): boolean {
  if (path === ':memory:' || !existsSync(path)) return false;
  let db: Db | null = null;
  try {
    db = new (sqliteDriver())(path, { readonly: true, fileMustExist: true });
    return (
      db.pragma('application_id', { simple: true }) === APPLICATION_ID &&
      db.pragma('user_version', { simple: true }) === SCHEMA_VERSION
    );
  } catch {
    return false;
  } finally {
    db?.close();
  }
}
