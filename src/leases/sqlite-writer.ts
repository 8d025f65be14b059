import { channel } from 'node:diagnostics_channel';
import { Worker } from 'node:worker_threads';
import { GroupCommit, type Queued } from './group-commit.ts';
import { SqliteWriteBatch, type BatchResult } from './sqlite-batch.ts';
import { LeaseStoreIoError, LeaseStoreOpenError } from './errors.ts';
import type { Db, Statements, WriteOp } from './sqlite-sql.ts';
import { threadEntry } from './sqlite-thread-entry.ts';
import { recordCleanClose } from './sqlite-meta.ts';
import { fromCommittedPosted, fromWire, readWarning, reportResults } from './sqlite-writer-protocol.ts';
import type { LeaseStoreWarning } from './health.ts';
import { threadRunDelayMs, traceClock } from './sqlite-writer-protocol.ts';
import type { BatchHops, FromWriter, OpResult, ToWriter, WriterData } from './sqlite-writer-protocol.ts';
import type { LeaseChange } from './store.ts';
import type { CheckpointReport } from './sqlite-checkpoint.ts';
import { DEFAULT_SETTLE_SLICE, SettleSlices } from './settle-slices.ts';
import { allCommits, WriterEncoder } from './sqlite-writer-codec.ts';

/**
 * Each batch the writer thread committed, for traces (`bench/latency-trace.ts` subscribes): published only
 * while somebody listens.
 */
export const WRITER_BATCH_CHANNEL = 'leasekeeper:sqlite-writer:batch';

/**
 * The same as `WRITER_BATCH_CHANNEL` with each round trip's `hops`: while somebody subscribes here, each batch
 * carries timestamps to the writer thread and asks for its own (a few microseconds a batch in each thread), so
 * that a subscriber of the batch channel alone (counting batches) costs nothing more.
 */
export const WRITER_HOPS_CHANNEL = 'leasekeeper:sqlite-writer:hops';

/** What `WRITER_BATCH_CHANNEL` publishes per batch; times in ms. */
export interface WriterBatchTrace {
  readonly writes: number;
  /** How long its oldest write waited before the batch was posted to the thread (the hold, the batch before). */
  readonly waitedMs: number;
  /** From posting the batch to its report arriving on the main thread. */
  readonly roundTripMs: number;
  /** The transaction in the thread, fsync included. */
  readonly txMs: number;
  /** The checkpoint that ran in the thread between the previous batch and this one, if any. */
  readonly checkpoint?: CheckpointReport;
  /**
   * Each hop of the round trip, in `traceClock` times (ms): on `WRITER_HOPS_CHANNEL` only, for a batch posted
   * while somebody subscribed to it.
   */
  readonly hops?: RoundTripHops;
}

/** The round trip's timestamps: the main thread's, around the thread's own (`BatchHops`). */
export interface RoundTripHops extends BatchHops {
  /** When the group commit handed the batch over (`roundTripMs` starts here). */
  readonly startedAt: number;
  /** When the main thread posted it to the thread, its bytes encoded. */
  readonly postedAt: number;
  /** When the main thread's message handler got the report (`roundTripMs` ends here). */
  readonly reportReceivedAt: number;
  /** How long the main thread waited, runnable, for a CPU from posting the batch to getting its report. */
  readonly mainCpuWaitMs: number;
}

const batchChannel = channel(WRITER_BATCH_CHANNEL);
const hopsChannel = channel(WRITER_HOPS_CHANNEL);

/** The report's `BatchHops` from the thread (plain data, read field by field) with the main thread's times. */
function roundTripHops(
  startedAt: number,
  sent: { readonly at: number; readonly runDelayMs: number },
  thread: BatchHops,
  reportReceivedAt: number,
): RoundTripHops {
  const { receivedAt, txStartAt, reportAt, previousDoneAt, gc, cpuWaitBeforeMs, cpuWaitInMs } = thread;
  return {
    startedAt,
    postedAt: sent.at,
    receivedAt,
    txStartAt,
    reportAt,
    previousDoneAt,
    gc,
    cpuWaitBeforeMs,
    cpuWaitInMs,
    reportReceivedAt,
    mainCpuWaitMs: threadRunDelayMs() - sent.runDelayMs,
  };
}

/** Reclaiming expired leases: nobody waits on these, so they go after the writes that answer a client. */
function isBackgroundWrite(op: WriteOp): boolean {
  return op.op === 'reclaim' || op.op === 'removeReclaimed';
}

/**
 * Where a SQLite store runs its group-commit transactions.
 * @internal
 */
export interface Writer {
  /** Resolves with the operation's value once its batch is durable, after its changes were announced. */
  submit(op: WriteOp): Promise<unknown>;
  readonly lastBatchSize: number;
  /** Commits everything submitted so far, then stops. */
  close(): Promise<void>;
}

export interface WriterHooks {
  announce(change: LeaseChange): void;
  /** Whether a `wipe` should list what it removed (somebody listens). */
  wantRemoved(): boolean;
  /** A warning of the writer thread's checkpoints (already rate-limited there). */
  warn?(warning: LeaseStoreWarning): void;
}

/** The writer thread stopped (crashed, was terminated, ran out of memory) while the store was open. */
export class LeaseWriterLostError extends LeaseStoreIoError {
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super(
      `lease database ${path}: the writer thread stopped (${detail}); the write was not committed`,
      options,
    );
    this.name = 'LeaseWriterLostError';
  }
}

/**
 * Transactions on the main thread, on the store's one connection: each batch's fsync blocks the event loop.
 * @internal
 */
export class InlineWriter implements Writer {
  readonly #writes: GroupCommit<WriteOp>;
  readonly #db: Db;
  readonly #batch: SqliteWriteBatch;

  constructor(db: Db, stmt: Statements, hooks: WriterHooks) {
    const transaction = new SqliteWriteBatch(db, stmt, db.name);
    this.#batch = transaction;
    this.#writes = new GroupCommit<WriteOp>({
      commit: (batch) => {
        let results: BatchResult[];
        try {
          results = transaction.run(
            batch.map((entry) => entry.op),
            hooks.wantRemoved(),
          );
        } catch (error) {
          for (const entry of batch) entry.reject(error);
          return;
        }
        batch.forEach((entry, i) => {
          const result = results[i];
          if (result === undefined) return;
          if (!result.ok) {
            entry.reject(result.error);
            return;
          }
          for (const change of result.changes) hooks.announce(change);
          entry.resolve(result.value);
        });
      },
    });
    this.#db = db;
  }

  submit(op: WriteOp): Promise<unknown> {
    return this.#writes.submit(op);
  }

  get lastBatchSize(): number {
    return this.#writes.lastBatchSize;
  }

  async close(): Promise<void> {
    this.#writes.flush();
    recordCleanClose(this.#db, Date.now());
    this.#batch.close();
  }
}

/**
 * Transactions in a worker thread that owns the write connection. Operations submitted in one event-loop turn
 * form a batch; while the thread commits batch N (its fsync), the main thread keeps serving and queues batch
 * N+1, posted the moment N is reported. A promise settles only after the thread reported its batch durable, so a
 * read on the main thread's connection afterwards sees the write.
 * @internal
 */
export class WorkerWriter implements Writer {
  readonly #worker: Worker;
  readonly #hooks: WriterHooks;
  readonly #path: string;
  readonly #writes: GroupCommit<WriteOp>;
  /** The batch the thread commits now, and how to tell the group commit it is done. */
  #inFlight: {
    readonly batch: readonly Queued<WriteOp>[];
    readonly done: () => void;
    readonly postedAt: number;
    readonly waitedMs: number;
    /** When its message went to the thread, for a traced batch (`RoundTripHops.postedAt`), and `threadRunDelayMs`. */
    sent?: { readonly at: number; readonly runDelayMs: number };
  } | null = null;
  /** Reports are settled a slice at a time, so a large one does not hold the event loop (settle-slices.ts). */
  readonly #settling: SettleSlices;
  /** Batches of commits cross to the thread as bytes (sqlite-writer-codec.ts). */
  readonly #encoder = new WriterEncoder();
  #nextId = 0;
  #lost = false;
  #closing = false;
  readonly #exited: Promise<void>;

  private constructor(worker: Worker, path: string, hooks: WriterHooks, hold: WriterHold) {
    this.#worker = worker;
    this.#settling = new SettleSlices({ slice: hold.settleSlice });
    this.#path = path;
    this.#hooks = hooks;
    this.#writes = new GroupCommit<WriteOp>({
      oneAtATime: true,
      minIntervalMs: hold.intervalMs,
      holdPerWriteMs: hold.perWriteMs,
      maxWaitMs: hold.maxWaitMs,
      ...(hold.saturated === undefined ? {} : { saturated: hold.saturated }),
      saturatedMaxWaitMs: hold.saturatedMaxWaitMs,
      isBackground: isBackgroundWrite,
      commit: (batch) => this.#post(batch),
    });
    worker.on('message', (message: FromWriter) => this.#onMessage(message));
    worker.on('error', (error) => this.#fail(error.message, error));
    this.#exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        this.#fail(`exit code ${code}`);
        resolve();
      }),
    );
    // Only a batch in flight keeps the process alive, as with the inline writer.
    worker.unref();
  }

  /**
   * Starts the thread and waits until its connection is open. Rejects with `LeaseStoreOpenError`.
   * `batchIntervalMs`: while operations keep arriving, a batch starts at least this long after the previous
   * one, so one transaction and one fsync carry more of them; `holdPerWriteMs` per write of the previous batch,
   * up to that interval, and never past `maxWaitMs` after a batch's oldest write (`saturatedMaxWaitMs` while
   * `saturated` says so; see `SqliteLeaseStoreOptions`).
   */
  static async start(
    options: WriterData,
    hooks: WriterHooks,
    hold: Partial<WriterHold> = {},
  ): Promise<WorkerWriter> {
    const data: WriterData = {
      path: options.path,
      ...(options.synchronous === undefined ? {} : { synchronous: options.synchronous }),
      ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
      ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
    };
    // execArgv [] : from the sources, the bootstrap registers tsx itself whether or not the parent runs under
    // `--import tsx`; built, the thread is plain JavaScript.
    const worker = new Worker(threadEntry('sqlite-writer-thread'), {
      workerData: data,
      execArgv: [],
    });
    let onMessage: (message: FromWriter) => void = () => undefined;
    let onError: (error: unknown) => void = () => undefined;
    let onExit: (code: number) => void = () => undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        onMessage = (message) => {
          if (message.type === 'ready') resolve();
          else if (message.type === 'open-failed') reject(fromWire(message.error));
        };
        onError = reject;
        onExit = (code) => reject(new Error(`the writer thread exited with code ${code}`));
        worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      });
    } catch (error) {
      await worker.terminate();
      if (error instanceof LeaseStoreOpenError) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      throw new LeaseStoreOpenError(`cannot open lease database ${options.path}: ${detail}`, {
        cause: error,
      });
    } finally {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    }
    return new WorkerWriter(worker, options.path, hooks, writerHold(hold));
  }

  get lastBatchSize(): number {
    return this.#writes.lastBatchSize;
  }

  submit(op: WriteOp): Promise<unknown> {
    return this.#writes.submit(op);
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#worker.ref();
    await this.#writes.drain();
    await this.#settling.idle();
    if (!this.#lost) this.#worker.postMessage({ type: 'close' } satisfies ToWriter);
    await this.#exited;
  }

  /** Stops the thread abruptly, as a crash would (tests). */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }

  #post(batch: readonly Queued<WriteOp>[]): Promise<void> {
    return new Promise<void>((done) => {
      this.#inFlight = { batch, done, postedAt: traceClock(), waitedMs: this.#writes.lastBatchWaitMs };
      this.#worker.ref();
      const id = this.#nextId++;
      const wantRemoved = this.#hooks.wantRemoved();
      const ops = batch.map((entry) => entry.op);
      const commits = allCommits(ops) ? this.#encodeCommits(ops) : null;
      const message: ToWriter =
        commits === null
          ? { type: 'batch', id, ops, wantRemoved }
          : { type: 'batch', id, commits, wantRemoved };
      if (!hopsChannel.hasSubscribers) {
        this.#worker.postMessage(message);
        return;
      }
      // Only a traced batch carries a timestamp, which asks the thread for its own (`BatchHops`).
      const sent = { at: traceClock(), runDelayMs: threadRunDelayMs() };
      if (this.#inFlight !== null) this.#inFlight.sent = sent;
      this.#worker.postMessage({ ...message, postedAt: sent.at } satisfies ToWriter);
    });
  }

  /** The batch as bytes; null (sent as objects) if a lease cannot be encoded, its user context say. */
  #encodeCommits(ops: Parameters<WriterEncoder['encodeCommits']>[0]): string | null {
    try {
      return this.#encoder.encodeCommits(ops);
    } catch {
      return null;
    }
  }

  #onMessage(message: FromWriter): void {
    const receivedAt = traceClock();
    if (message.type === 'warning') {
      const warning = readWarning(message);
      if (warning !== null) this.#hooks.warn?.(warning);
      return;
    }
    if (message.type !== 'committed' && message.type !== 'failed') return;
    const inFlight = this.#inFlight;
    if (inFlight === null) return;
    this.#inFlight = null;
    if (!this.#closing) this.#worker.unref();
    if (message.type === 'committed' && (batchChannel.hasSubscribers || hopsChannel.hasSubscribers)) {
      const trace: WriterBatchTrace = {
        writes: inFlight.batch.length,
        waitedMs: inFlight.waitedMs,
        roundTripMs: receivedAt - inFlight.postedAt,
        txMs: message.txMs,
        ...(message.checkpoint === undefined ? {} : { checkpoint: message.checkpoint }),
      };
      if (batchChannel.hasSubscribers) batchChannel.publish(trace);
      if (hopsChannel.hasSubscribers)
        hopsChannel.publish(
          message.hops === undefined || inFlight.sent === undefined
            ? trace
            : ({
                ...trace,
                hops: roundTripHops(inFlight.postedAt, inFlight.sent, message.hops, receivedAt),
              } satisfies WriterBatchTrace),
        );
    }
    // Free the group commit before settling this batch, so the thread's next fsync starts without waiting for
    // the settling; under load it waits out the batch interval first (closing never waits).
    inFlight.done();
    if (message.type === 'failed') {
      const error = fromWire(message.error);
      this.#settling.add(inFlight.batch, (entry) => entry.reject(error), rejectEntry);
    } else {
      let results: readonly OpResult[];
      try {
        results = reportResults(message);
      } catch (error) {
        this.#settling.add(inFlight.batch, (entry) => entry.reject(error), rejectEntry);
        return;
      }
      this.#settling.add(inFlight.batch, (entry, i) => this.#settle(entry, results[i]), rejectEntry);
    }
  }

  #settle(entry: Queued<WriteOp>, result: OpResult | undefined): void {
    if (result === undefined) {
      entry.reject(new LeaseStoreIoError(`lease database ${this.#path}: the writer thread sent no result`));
      return;
    }
    if (!result.ok) {
      entry.reject(fromWire(result.error));
      return;
    }
    if ('wrote' in result) {
      if (entry.op.op !== 'commit') {
        entry.reject(
          new LeaseStoreIoError(`lease database ${this.#path}: the writer thread answered another write`),
        );
        return;
      }
      freezeLeases(result.previous);
      const { value, change } = fromCommittedPosted(entry.op.lease, result);
      this.#hooks.announce(change);
      entry.resolve(value);
      return;
    }
    for (const change of result.changes) {
      freezeLeases(change);
      this.#hooks.announce(change);
    }
    freezeLeases(result.value);
    entry.resolve(result.value);
  }

  #fail(detail: string, cause?: unknown): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#inFlight = null;
    this.#writes.fail(
      new LeaseWriterLostError(this.#path, detail, cause === undefined ? undefined : { cause }),
    );
  }
}

/**
 * While operations keep arriving, successive batches start at least this far apart. Measured under perfdhcp
 * at 8,000 leases/s: 300 instead of 900 transactions (and fsyncs) a second, a third less CPU in the writer
 * thread, and at most this much more time before an ACK (docs/leases.md).
 */
export const DEFAULT_BATCH_INTERVAL_MS = 4;

/**
 * The hold grows with the load: a batch starts at most this many ms per operation of the previous batch after
 * that one started, up to the batch interval. Light load makes small batches that go out as soon as the last
 * is durable (an ACK waits about one commit, not the interval); from about 1 / this many operations per ms
 * (4,000 a second) the batches grow until the full interval holds them, as before.
 */
export const HOLD_PER_OPERATION_MS = 0.25;

/**
 * However long the hold, a batch starts at most this long after its oldest write arrived (once the batch
 * before it is durable): what the hold adds to an ACK's wait stays under about a millisecond at any load,
 * where the 4 ms interval alone made the average ACK wait 2-3 ms from about 4,000 leases a second.
 */
export const DEFAULT_BATCH_MAX_WAIT_MS = 1;

/**
 * The bound while the server is saturated (`WriterHold.saturated`): its CPU, not the disk, is then the limit, and
 * transactions that each carry up to 4 ms of writes instead of 1 cost the writer thread less per write
 * (docs/scaling.md, "A longer hold at saturation"). The 4 ms interval holds them no longer than that anyway.
 */
export const DEFAULT_SATURATED_MAX_WAIT_MS = 4;

/** How the worker writer holds a batch to let it grow (see `GroupCommitOptions`), and settles its report. */
export interface WriterHold {
  readonly intervalMs: number;
  readonly perWriteMs: number;
  readonly maxWaitMs: number;
  /** Whether the server is saturated now (asked as each hold is set); default never. */
  readonly saturated?: () => boolean;
  /** The bound while `saturated` says so (at least `maxWaitMs`). */
  readonly saturatedMaxWaitMs: number;
  /** Writes of a report settled per event-loop task (settle-slices.ts). */
  readonly settleSlice: number;
}

/**
 * The hold with its defaults filled in. The saturated bound defaults to `DEFAULT_SATURATED_MAX_WAIT_MS` only
 * when the bound itself is the default: a bound set explicitly (`serve --max-commit-wait`) is kept at any load.
 */
export function writerHold(hold: Partial<WriterHold>): WriterHold {
  const maxWaitMs = Math.max(0, hold.maxWaitMs ?? DEFAULT_BATCH_MAX_WAIT_MS);
  const saturatedMaxWaitMs =
    hold.saturatedMaxWaitMs ?? (hold.maxWaitMs === undefined ? DEFAULT_SATURATED_MAX_WAIT_MS : maxWaitMs);
  return {
    intervalMs: Math.max(0, hold.intervalMs ?? DEFAULT_BATCH_INTERVAL_MS),
    perWriteMs: Math.max(0, hold.perWriteMs ?? HOLD_PER_OPERATION_MS),
    maxWaitMs,
    ...(hold.saturated === undefined ? {} : { saturated: hold.saturated }),
    saturatedMaxWaitMs: Math.max(maxWaitMs, saturatedMaxWaitMs),
    settleSlice: Math.max(1, hold.settleSlice ?? DEFAULT_SETTLE_SLICE),
  };
}

/** A write whose settling threw (a result it cannot read back, say) is rejected with that error, alone. */
function rejectEntry(entry: Queued<WriteOp>, error: unknown): void {
  entry.reject(error);
}

/** Leases from the thread are structured-clone copies; freeze them like the ones an inline store returns. */
function freezeLeases(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  const record = value as Record<string, unknown>;
  for (const key of ['lease', 'previous', 'holder']) freezeLeases(record[key]);
  if (typeof record['address'] === 'string') Object.freeze(value);
  else if (Array.isArray(value)) for (const item of value) freezeLeases(item);
}
