/**
 * The SQLite writer thread: owns the write connection and runs each batch the store posts in ONE
 * `BEGIN IMMEDIATE` transaction (one sync of the WAL, see `SqliteWriteBatch`), then reports every operation's
 * outcome, only once it is durable. Built, it runs as
 * compiled JavaScript; from the sources, through `sqlite-writer-thread-tsx.js`, which registers tsx first.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { LeaseStoreError } from './errors.ts';
import { openConnection, prepare, wrapDriverError } from './sqlite-sql.ts';
import { SqliteWriteBatch } from './sqlite-batch.ts';
import type { Db, WriteOp } from './sqlite-sql.ts';
import { disableAutoCheckpoint, WalCheckpointer } from './sqlite-checkpoint.ts';
import { CheckpointSchedule } from './sqlite-checkpoint-schedule.ts';
import { CheckpointThread } from './sqlite-checkpoint-worker.ts';
import { WriterLoop } from './sqlite-writer-loop.ts';
import { recordCleanClose } from './sqlite-meta.ts';
import { batchOps, compactReport, toWire, toWireResult } from './sqlite-writer-protocol.ts';
import { WriterEncoder } from './sqlite-writer-codec.ts';
import { closeThreadRunDelay, threadRunDelayMs, traceClock } from './sqlite-writer-protocol.ts';
import type { FromWriter, ThreadGc, ToWriter, WriterData } from './sqlite-writer-protocol.ts';

const port = parentPort;
if (port === null)
  throw new LeaseStoreError('ERR_LEASE_WRITER_THREAD', 'sqlite-writer-thread must run in a worker thread');
const options = workerData as WriterData;
const reports = new WriterEncoder();
const post = (message: FromWriter): void => port.postMessage(compactReport(message, reports));
/** At most this many of the thread's garbage collections travel with one traced report (the latest). */
const MAX_GC_PER_REPORT = 8;

/**
 * The thread's garbage collections, watched from the first traced batch on (an observer costs nothing before):
 * `take` returns those seen since its previous call.
 */
class GcWatch {
  #seen: ThreadGc[] = [];
  #observer: PerformanceObserver | null = null;

  start(): void {
    if (this.#observer !== null) return;
    this.#observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.#seen.push({ at: performance.timeOrigin + e.startTime, ms: e.duration });
        if (this.#seen.length > MAX_GC_PER_REPORT) this.#seen.shift();
      }
    });
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  take(): readonly ThreadGc[] {
    const seen = this.#seen;
    if (seen.length > 0) this.#seen = [];
    return seen;
  }

  stop(): void {
    this.#observer?.disconnect();
  }
}

/** How long a TRUNCATE checkpoint (recovery, full disk) waits for the checkpoint thread's to end. */
const OTHER_CHECKPOINT_WAIT_MS = 1000;

let db: Db | null = null;
try {
  // The store's read connection already created or checked the schema.
  db = openConnection(options, false);
} catch (error) {
  const wrapped = error instanceof LeaseStoreError ? error : wrapDriverError('write', error, options.path);
  post({ type: 'open-failed', error: toWire(wrapped) });
  port.close();
}

if (db !== null) {
  const conn = db;
  // Checkpoints run on the checkpoint thread (CheckpointSchedule), never inside a COMMIT; set before the batch's
  // space guard reads it, so that the guard comes back to this after a full disk.
  disableAutoCheckpoint(conn);
  const testing = options.checkpoint ?? {};
  const { path, synchronous, busyTimeoutMs } = options;
  const background = conn.memory
    ? null
    : new CheckpointThread(
        {
          path,
          ...(synchronous === undefined ? {} : { synchronous }),
          ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }),
        },
        testing.gate,
      );
  const batch = new SqliteWriteBatch(conn, prepare(conn), path, {
    awaitOtherCheckpoint: () => background?.waitIdle(OTHER_CHECKPOINT_WAIT_MS),
  });
  const inline = WalCheckpointer.on(conn);
  const checkpoints = new CheckpointSchedule(() => inline.run(), background, {
    ...(testing.targetFrames === undefined ? {} : { targetFrames: testing.targetFrames }),
    ...(testing.hardFrames === undefined ? {} : { hardFrames: testing.hardFrames }),
    ...(testing.stallWaitMs === undefined ? {} : { stallWaitMs: testing.stallWaitMs }),
    // To the main thread, which hands it to whoever runs the store (`SqliteLeaseStoreOptions.onWarning`).
    warn: (message, count) => post({ type: 'warning', message: `lease database ${path}: ${message}`, count }),
  });
  background?.onFinished((outcome) => checkpoints.finished(outcome));
  const asStoreError = (error: unknown): LeaseStoreError =>
    error instanceof LeaseStoreError ? error : wrapDriverError('write', error, options.path);
  const loop = new WriterLoop({
    run: (ops, wantRemoved) => {
      const writes = ops as readonly WriteOp[];
      return batch.run(writes, wantRemoved).map((r, i) => toWireResult(writes[i]!, r));
    },
    toWire: (error) => toWire(asStoreError(error)),
    post,
    checkpointer: checkpoints,
    now: traceClock,
    takeGc: () => gcWatch.take(),
    runDelay: threadRunDelayMs,
  });
  const gcWatch = new GcWatch();
  let closing = false;
  port.on('message', (message: ToWriter) => {
    const received =
      message.type === 'batch' && message.postedAt !== undefined
        ? { at: traceClock(), runDelayMs: threadRunDelayMs() }
        : undefined;
    if (closing) return;
    if (message.type === 'close') {
      closing = true;
      // The checkpoint thread first: its connection closes once a checkpoint in progress is done.
      void (background?.close() ?? Promise.resolve()).finally(() => {
        checkpoints.flush();
        recordCleanClose(conn, Date.now());
        gcWatch.stop();
        closeThreadRunDelay();
        batch.close();
        conn.close();
        post({ type: 'closed' });
        port.close();
      });
      return;
    }
    let ops: readonly WriteOp[];
    try {
      ops = batchOps(message);
    } catch (error) {
      post({ type: 'failed', id: message.id, error: toWire(asStoreError(error)) });
      return;
    }
    if (received !== undefined) gcWatch.start();
    loop.batch(message.id, ops, message.wantRemoved, received);
  });
  post({ type: 'ready' });
}
