import { Worker } from 'node:worker_threads';
import { GroupCommit } from './batch.ts';
import { LeaseStoreError, LeaseStoreIoError, LeaseStoreOpenError } from './errors.ts';
import type { ConnectionOptions, Db, Statements, WriteOp } from './sqlite-sql.ts';
import { runWriteOp, wrapDriverError } from './sqlite-sql.ts';
import { recordCleanClose } from './sqlite-meta.ts';
import { WalSpaceGuard } from './sqlite-space.ts';
import { fromWire } from './sqlite-writer-protocol.ts';
import type { FromWriter, OpResult, ToWriter, WriterData } from './sqlite-writer-protocol.ts';
import type { LeaseChange } from './store.ts';

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
  readonly #writes: GroupCommit;
  readonly #db: Db;

  constructor(db: Db, stmt: Statements, hooks: WriterHooks) {
    const transaction = db.transaction((body: () => void) => body());
    const space = new WalSpaceGuard(db, db.name);
    this.#writes = new GroupCommit({
      transact: (body) => {
        try {
          transaction.immediate(body);
        } catch (error) {
          space.afterFailure(error);
          throw error;
        }
        space.afterCommit();
      },
      wrapError: (error) => wrapDriverError('write', error, db.name),
      announce: hooks.announce,
    });
    this.submit = (op) => this.#writes.submit(() => runWriteOp(stmt, op, hooks.wantRemoved()));
    this.#db = db;
  }

  readonly submit: (op: WriteOp) => Promise<unknown>;

  get lastBatchSize(): number {
    return this.#writes.lastBatchSize;
  }

  async close(): Promise<void> {
    this.#writes.flush();
    recordCleanClose(this.#db, Date.now());
  }
}

/** The compiled thread beside the compiled store, or the tsx bootstrap when running from the sources. */
function writerThreadEntry(): URL {
  const fromSources = import.meta.url.endsWith('.ts');
  return new URL(
    fromSources ? './sqlite-writer-thread-tsx.js' : './sqlite-writer-thread.js',
    import.meta.url,
  );
}

interface Pending {
  readonly op: WriteOp;
  resolve(value: unknown): void;
  reject(error: unknown): void;
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
  #queue: Pending[] = [];
  #inFlight: Pending[] | null = null;
  #nextId = 0;
  #scheduled: NodeJS.Immediate | null = null;
  /** The next batch, held until `#intervalMs` after the previous one started. */
  #held: NodeJS.Timeout | null = null;
  readonly #intervalMs: number;
  readonly #holdPerWriteMs: number;
  #batchStartedAt = -Infinity;
  #lastBatchSize = 0;
  #lost: LeaseStoreError | null = null;
  #closing = false;
  #idle: (() => void)[] = [];
  readonly #exited: Promise<void>;

  private constructor(
    worker: Worker,
    path: string,
    hooks: WriterHooks,
    intervalMs: number,
    holdPerWriteMs: number,
  ) {
    this.#worker = worker;
    this.#intervalMs = intervalMs;
    this.#holdPerWriteMs = holdPerWriteMs;
    this.#path = path;
    this.#hooks = hooks;
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
   * up to that interval (see `SqliteLeaseStoreOptions`).
   */
  static async start(
    options: ConnectionOptions,
    hooks: WriterHooks,
    batchIntervalMs = DEFAULT_BATCH_INTERVAL_MS,
    holdPerWriteMs = HOLD_PER_OPERATION_MS,
  ): Promise<WorkerWriter> {
    const data: WriterData = {
      path: options.path,
      ...(options.synchronous === undefined ? {} : { synchronous: options.synchronous }),
      ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
    };
    // execArgv [] : from the sources, the bootstrap registers tsx itself whether or not the parent runs under
    // `--import tsx`; built, the thread is plain JavaScript.
    const worker = new Worker(writerThreadEntry(), {
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
    return new WorkerWriter(
      worker,
      options.path,
      hooks,
      Math.max(0, batchIntervalMs),
      Math.max(0, holdPerWriteMs),
    );
  }

  get lastBatchSize(): number {
    return this.#lastBatchSize;
  }

  submit(op: WriteOp): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.#lost !== null) {
        reject(this.#lost);
        return;
      }
      this.#queue.push({ op, resolve, reject });
      if (this.#inFlight === null && this.#held === null)
        this.#scheduled ??= setImmediate(() => this.#send());
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#worker.ref();
    if (this.#inFlight === null) this.#send();
    while (this.#lost === null && (this.#inFlight !== null || this.#queue.length > 0)) {
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
    if (this.#lost === null) this.#post({ type: 'close' });
    await this.#exited;
  }

  /** Stops the thread abruptly, as a crash would (tests). */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }

  #post(message: ToWriter): void {
    this.#worker.postMessage(message);
  }

  #send(): void {
    if (this.#scheduled !== null) {
      clearImmediate(this.#scheduled);
      this.#scheduled = null;
    }
    if (this.#held !== null) {
      clearTimeout(this.#held);
      this.#held = null;
    }
    if (this.#lost !== null || this.#inFlight !== null || this.#queue.length === 0) return;
    this.#batchStartedAt = performance.now();
    const batch = this.#queue;
    this.#queue = [];
    this.#inFlight = batch;
    this.#lastBatchSize = batch.length;
    this.#worker.ref();
    this.#post({
      type: 'batch',
      id: this.#nextId++,
      ops: batch.map((p) => p.op),
      wantRemoved: this.#hooks.wantRemoved(),
    });
  }

  #onMessage(message: FromWriter): void {
    if (message.type !== 'committed' && message.type !== 'failed') return;
    const batch = this.#inFlight;
    if (batch === null) return;
    this.#inFlight = null;
    if (!this.#closing) this.#worker.unref();
    // Post the next batch before settling this one, so the thread's next fsync starts without waiting for
    // the settling; under load it waits out the batch interval first (closing never waits).
    const hold = Math.min(this.#intervalMs, batch.length * this.#holdPerWriteMs);
    const wait = this.#batchStartedAt + hold - performance.now();
    if (wait > 0 && !this.#closing && this.#queue.length > 0) {
      this.#held ??= setTimeout(() => this.#send(), wait);
    } else {
      this.#send();
    }
    if (message.type === 'failed') {
      const error = fromWire(message.error);
      for (const op of batch) op.reject(error);
    } else {
      batch.forEach((op, i) => this.#settle(op, message.results[i]));
    }
    this.#wake();
  }

  #settle(op: Pending, result: OpResult | undefined): void {
    if (result === undefined) {
      op.reject(new LeaseStoreIoError(`lease database ${this.#path}: the writer thread sent no result`));
      return;
    }
    if (!result.ok) {
      op.reject(fromWire(result.error));
      return;
    }
    for (const change of result.changes) {
      freezeLeases(change);
      this.#hooks.announce(change);
    }
    freezeLeases(result.value);
    op.resolve(result.value);
  }

  #fail(detail: string, cause?: unknown): void {
    if (this.#lost !== null) return;
    this.#lost = new LeaseWriterLostError(this.#path, detail, cause === undefined ? undefined : { cause });
    if (this.#scheduled !== null) clearImmediate(this.#scheduled);
    if (this.#held !== null) clearTimeout(this.#held);
    const pending = [...(this.#inFlight ?? []), ...this.#queue];
    this.#inFlight = null;
    this.#queue = [];
    for (const op of pending) op.reject(this.#lost);
    this.#wake();
  }

  #wake(): void {
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
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

/** Leases from the thread are structured-clone copies; freeze them like the ones an inline store returns. */
function freezeLeases(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  const record = value as Record<string, unknown>;
  for (const key of ['lease', 'previous', 'holder']) freezeLeases(record[key]);
  if (typeof record['address'] === 'string') Object.freeze(value);
  else if (Array.isArray(value)) for (const item of value) freezeLeases(item);
}
