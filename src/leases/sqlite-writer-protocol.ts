import { closeSync, openSync, readSync } from 'node:fs';
import type { ErrorCode } from '../errors.ts';
import {
  InvalidLeaseError,
  LeaseCorruptError,
  LeaseQueryError,
  LeaseStoreError,
  LeaseStoreIoError,
  LeaseStoreOpenError,
} from './errors.ts';
import type { LeaseStoreWarning } from './health.ts';
import type { Lease } from './lease.ts';
import type { CommitResult, LeaseChange } from './store.ts';
import type { BatchResult } from './sqlite-batch.ts';
import type { CheckpointReport } from './sqlite-checkpoint.ts';
import type { CheckpointTesting } from './sqlite-checkpoint-worker.ts';
import { sqliteDriver, type ConnectionOptions, type WriteOp } from './sqlite-sql.ts';
import { decodeCommits, decodePosted, type PostedReport, type WriterEncoder } from './sqlite-writer-codec.ts';

/** The messages between the store (main thread) and its writer thread. */

/** The connection, and for tests how its checkpoints are scheduled. */
export type WriterData = ConnectionOptions & { readonly checkpoint?: CheckpointTesting };

export type ToWriter = BatchMessage | { readonly type: 'close' };

/**
 * A batch to commit: its operations as structured-clone objects, or, when every one is a commit (the server's
 * grants and renewals), as `WriterEncoder.encodeCommits` wrote them (sqlite-writer-codec.ts).
 */
export type BatchMessage = (
  | {
      readonly type: 'batch';
      readonly id: number;
      readonly ops: readonly WriteOp[];
      readonly wantRemoved: boolean;
    }
  | {
      readonly type: 'batch';
      readonly id: number;
      readonly commits: string;
      readonly wantRemoved: boolean;
    }
) & {
  /** Set only while somebody traces the writer: when the main thread posted it (`traceClock`); asks for `hops`. */
  readonly postedAt?: number;
};

/**
 * The clock of the round trip's timestamps, ms: the same on both threads of a process (a worker shares the
 * process's time origin, and `performance.now()` reads the one monotonic clock).
 */
export const traceClock = (): number => performance.timeOrigin + performance.now();

/** This thread's /proc/thread-self/schedstat, opened at the first `threadRunDelayMs` (a file is per thread). */
let schedstat: number | null | undefined;
const schedstatBytes = Buffer.alloc(96);

/**
 * How long the calling thread has waited, runnable, for a CPU since it started, ms (the scheduler's `run_delay`,
 * Linux's /proc/thread-self/schedstat, read again through one descriptor: a `pread`, about 2 us); NaN where that
 * is not to be read. Traces only.
 */
export function threadRunDelayMs(): number {
  try {
    // null: it could not be read once, and is not tried again (a kernel without schedstats).
    if (schedstat === null) return Number.NaN;
    schedstat ??= openSync('/proc/thread-self/schedstat', 'r');
    const n = readSync(schedstat, schedstatBytes, 0, schedstatBytes.length, 0);
    return Number(schedstatBytes.toString('latin1', 0, n).split(' ')[1]) / 1e6;
  } catch {
    schedstat = null;
    return Number.NaN;
  }
}

/** Closes this thread's descriptor of `threadRunDelayMs` (a thread that ends: descriptors are the process's). */
export function closeThreadRunDelay(): void {
  if (typeof schedstat === 'number') closeSync(schedstat);
  schedstat = undefined;
}

/** A garbage collection of the writer thread's isolate: when it started (`traceClock`) and how long it took. */
export interface ThreadGc {
  readonly at: number;
  readonly ms: number;
}

/** Where the thread's side of one batch's round trip went, in `traceClock` times (traces only). */
export interface BatchHops {
  /** When the thread's message handler got the batch. */
  readonly receivedAt: number;
  /** When its transaction began (after decoding the batch's bytes). */
  readonly txStartAt: number;
  /** When the thread posted its report (the transaction, the checkpoint report and its encoding done). */
  readonly reportAt: number;
  /**
   * When the thread finished its work after the previous report (the checkpoint scheduling, a checkpoint of its
   * own as the fallback): a batch posted before this waited for it.
   */
  readonly previousDoneAt: number;
  /** The thread's own garbage collections it learned of since its previous report (at most a few). */
  readonly gc: readonly ThreadGc[];
  /** How long the thread waited, runnable, for a CPU from its previous report to receiving this batch (its wake-up). */
  readonly cpuWaitBeforeMs: number;
  /** How long it waited for a CPU from receiving the batch to posting its report. */
  readonly cpuWaitInMs: number;
}

/** The batch's operations, in the thread; throws `LeaseStoreIoError` for bytes it cannot read (refused whole). */
export function batchOps(message: BatchMessage): readonly WriteOp[] {
  return 'commits' in message ? decodeCommits(message.commits) : message.ops;
}

export type OpResult =
  | { readonly ok: true; readonly value: unknown; readonly changes: readonly LeaseChange[] }
  | CommittedPosted
  | { readonly ok: false; readonly error: WireError };

/**
 * A `commit` that wrote the lease the main thread posted: its answer and its one change hold that lease, which
 * the main thread already has, so only what it does not know crosses back (no copy of the lease to clone).
 */
export type CommittedPosted = PostedReport;

/** Whether every answer of a batch is a `CommittedPosted`, so that the report can travel as bytes. */
export function allPosted(results: readonly OpResult[]): results is readonly CommittedPosted[] {
  for (let i = 0; i < results.length; i++) if (!('wrote' in results[i]!)) return false;
  return true;
}

/**
 * The thread's report for the main thread: a batch whose every commit wrote its lease (the server's grants and
 * renewals) goes as `WriterEncoder.encodePosted` wrote it, with no results.
 */
export function compactReport(message: FromWriter, encoder: WriterEncoder): FromWriter {
  if (message.type !== 'committed' || message.posted !== undefined || !allPosted(message.results))
    return message;
  return { ...message, results: [], posted: encoder.encodePosted(message.results) };
}

/** Each operation's answer of a `committed` report; throws `LeaseStoreIoError` for bytes it cannot read. */
export function reportResults(message: Extract<FromWriter, { type: 'committed' }>): readonly OpResult[] {
  return message.posted === undefined ? message.results : decodePosted(message.posted);
}

/** The thread's answer for one operation. */
export function toWireResult(op: WriteOp, result: BatchResult): OpResult {
  if (!result.ok) return { ok: false, error: toWire(result.error) };
  if (op.op !== 'commit') return result;
  const value = result.value as CommitResult;
  return value.ok ? { ok: true, wrote: value.kind, previous: value.previous } : result;
}

/** What `runWriteOp` answered for a commit of `lease` that wrote it (see `CommittedPosted`). */
export function fromCommittedPosted(
  lease: Lease,
  result: CommittedPosted,
): { readonly value: CommitResult; readonly change: LeaseChange } {
  const { wrote: kind, previous } = result;
  return {
    value: { ok: true, kind, lease, previous },
    change: { kind, lease, previous, origin: 'local' },
  };
}

export type FromWriter =
  | { readonly type: 'ready' }
  | { readonly type: 'open-failed'; readonly error: WireError }
  | {
      readonly type: 'committed';
      readonly id: number;
      readonly results: readonly OpResult[];
      /** Instead of `results`, when every answer is a `CommittedPosted` (see `compactReport`). */
      readonly posted?: string;
      /** How long the batch's transaction took in the thread, ms (traces). */
      readonly txMs: number;
      /** The checkpoint that ran after the previous batch, if one did (traces). */
      readonly checkpoint?: CheckpointReport;
      /** Only for a batch that carried `postedAt`: the thread's timestamps (traces). */
      readonly hops?: BatchHops;
    }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError }
  /** A rate-limited warning of the thread's checkpoints (`LeaseStoreWarning`). */
  | { readonly type: 'warning'; readonly message: string; readonly count: number }
  | { readonly type: 'closed' };

/** A warning longer than this is cut: it is the thread's own text, but still crosses into logs and status. */
export const MAX_WARNING_CHARS = 2000;

/** The thread's `warning` as the store reports it; null when it is malformed (no type, count or text). */
export function readWarning(message: Extract<FromWriter, { type: 'warning' }>): LeaseStoreWarning | null {
  const { message: text, count } = message as { message?: unknown; count?: unknown };
  if (typeof text !== 'string' || typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1)
    return null;
  return { message: text.length > MAX_WARNING_CHARS ? `${text.slice(0, MAX_WARNING_CHARS)}…` : text, count };
}

/** A store error as plain data: structured clone keeps neither the class nor `code`. */
export interface WireError {
  readonly name: string;
  readonly code: ErrorCode;
  readonly message: string;
  readonly key?: string;
  readonly field?: string;
  /** The driver error the store error wraps (its `cause`): SQLite's error code and message. */
  readonly sqlite?: { readonly code: string; readonly message: string };
}

export function toWire(error: LeaseStoreError): WireError {
  const sqlite = sqliteErrorOf(error.cause);
  return {
    name: error.name,
    code: error.code,
    message: error.message,
    ...(error instanceof LeaseCorruptError ? { key: error.key } : {}),
    ...(error instanceof InvalidLeaseError ? { field: error.field } : {}),
    ...(sqlite === null ? {} : { sqlite }),
  };
}

function sqliteErrorOf(cause: unknown): WireError['sqlite'] | null {
  if (!(cause instanceof sqliteDriver().SqliteError)) return null;
  return { code: cause.code, message: cause.message };
}

/**
 * The same named error class, code and message as the writer thread had, and as its `cause` the same driver
 * error (better-sqlite3's `SqliteError` with SQLite's code, e.g. `SQLITE_FULL`), as the inline writer's errors.
 */
export function fromWire(wire: WireError): LeaseStoreError {
  const options =
    wire.sqlite === undefined
      ? undefined
      : { cause: new (sqliteDriver().SqliteError)(wire.sqlite.message, wire.sqlite.code) };
  let error: LeaseStoreError;
  switch (wire.name) {
    case 'LeaseCorruptError':
      error = new LeaseCorruptError(wire.key ?? '?', '', options);
      break;
    case 'InvalidLeaseError':
      error = new InvalidLeaseError(wire.field ?? 'lease', '');
      break;
    case 'LeaseStoreIoError':
      error = new LeaseStoreIoError('', options);
      break;
    case 'LeaseStoreOpenError':
      error = new LeaseStoreOpenError('', options);
      break;
    case 'LeaseQueryError':
      error = new LeaseQueryError('');
      break;
    default:
      error = new LeaseStoreError(wire.code, '', options);
      error.name = wire.name;
  }
  error.message = wire.message;
  return error;
}
