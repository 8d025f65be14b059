import { LeaseStoreError } from './errors.ts';
import type { Db, Statements, WriteOp } from './sqlite-sql.ts';
import { runWriteOp, wrapDriverError } from './sqlite-sql.ts';
import { WalSpaceGuard } from './sqlite-space.ts';
import type { LeaseChange } from './store.ts';

/** What one operation of a committed batch came to: its answer and the changes to announce, or its own error. */
export type BatchResult =
  | { readonly ok: true; readonly value: unknown; readonly changes: readonly LeaseChange[] }
  | { readonly ok: false; readonly error: LeaseStoreError };

/**
 * One batch of writes in ONE `BEGIN IMMEDIATE` transaction on a write connection (the inline writer's or the
 * writer thread's): one fsync for all of them. An operation that throws a `LeaseStoreError` (a corrupt row, a bad
 * argument) fails alone; any other error (the driver: busy, I/O, disk full) rolls the whole batch back.
 */
export class SqliteWriteBatch {
  readonly #transaction: (body: () => void) => void;
  readonly #stmt: Statements;
  readonly #space: WalSpaceGuard;
  readonly #path: string;

  constructor(db: Db, stmt: Statements, path: string) {
    const transaction = db.transaction((body: () => void) => body());
    this.#transaction = (body) => transaction.immediate(body);
    this.#stmt = stmt;
    this.#space = new WalSpaceGuard(db, path);
    this.#path = path;
  }

  /** Each operation's result, once the transaction is durable; throws the batch's error (a `LeaseStoreError`). */
  run(ops: readonly WriteOp[], wantRemoved: boolean): BatchResult[] {
    const results: BatchResult[] = [];
    try {
      this.#transaction(() => {
        for (const op of ops) {
          try {
            const outcome = runWriteOp(this.#stmt, op, wantRemoved);
            results.push({ ok: true, value: outcome.value, changes: outcome.changes });
          } catch (error) {
            if (!(error instanceof LeaseStoreError)) throw error;
            results.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      this.#space.afterFailure(error);
      throw wrapDriverError('write', error, this.#path);
    }
    this.#space.afterCommit();
    return results;
  }
}
