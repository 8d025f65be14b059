import { LeaseStoreError } from './errors.ts';
import type { LeaseChange } from './store.ts';

/** What one queued operation did inside the batch transaction: its answer and the changes to announce. */
export interface Outcome<T> {
  readonly value: T;
  readonly changes: readonly LeaseChange[];
}

interface Pending {
  run(): Outcome<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export interface SyncTransaction {
  /** Runs `body` inside one transaction and commits it durably; throws (after rolling back) on failure. */
  transact(body: () => void): void;
  /** Turns a driver error into the store's named error. */
  wrapError(error: unknown): Error;
  /** Called with each change after the commit, before the operation's promise resolves. */
  announce(change: LeaseChange): void;
}

/**
 * Group commit for a synchronous driver: operations submitted in the same turn of the event loop run in order in
 * ONE transaction at the next `setImmediate`, and every promise settles only after that transaction committed.
 * One durable sync (fsync) then covers the whole batch.
 *
 * An operation that throws a `LeaseStoreError` (bad row, bad argument) fails alone; any other error (the driver:
 * busy, I/O, disk full) rolls the whole batch back and rejects every operation in it.
 */
export class GroupCommit {
  readonly #tx: SyncTransaction;
  #queue: Pending[] = [];
  #scheduled: NodeJS.Immediate | null = null;
  #lastBatchSize = 0;

  constructor(tx: SyncTransaction) {
    this.#tx = tx;
  }

  /** Size of the last flushed batch (for benchmarks and tests). */
  get lastBatchSize(): number {
    return this.#lastBatchSize;
  }

  get pending(): number {
    return this.#queue.length;
  }

  submit<T>(run: () => Outcome<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
      this.#scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Runs everything queued now, synchronously. */
  flush(): void {
    if (this.#scheduled !== null) {
      clearImmediate(this.#scheduled);
      this.#scheduled = null;
    }
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    this.#lastBatchSize = batch.length;
    const settled: ({ ok: true; outcome: Outcome<unknown> } | { ok: false; error: unknown })[] = [];
    try {
      this.#tx.transact(() => {
        for (const op of batch) {
          try {
            settled.push({ ok: true, outcome: op.run() });
          } catch (error) {
            if (!(error instanceof LeaseStoreError)) throw error;
            settled.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      const wrapped = this.#tx.wrapError(error);
      for (const op of batch) op.reject(wrapped);
      return;
    }
    batch.forEach((op, i) => {
      const result = settled[i];
      if (result === undefined) return;
      if (!result.ok) {
        op.reject(result.error);
        return;
      }
      for (const change of result.outcome.changes) this.#tx.announce(change);
      op.resolve(result.outcome.value);
    });
  }
}
