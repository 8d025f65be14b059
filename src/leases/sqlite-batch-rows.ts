import type BetterSqlite3 from 'better-sqlite3';
import type { Lease } from './lease.ts';
import { LEASE_COLUMNS } from './row.ts';
import type { Db, Statements } from './sqlite-sql.ts';

/** New rows per `INSERT` statement at most: a batch of the server's writes is a few dozen. */
export const INSERT_CHUNK_ROWS = 32;
/** The values of one row, in `LEASE_COLUMNS`' order. */
const LEASE_COLUMN_COUNT = 12;

/**
 * The rows one batch's transaction reads and writes. New rows (an address without a row) are not inserted one
 * statement each: they wait and go in multi-row `INSERT`s of up to `INSERT_CHUNK_ROWS`, one statement step and
 * one pass over the table's last page for all of them (a pool hands out addresses in order). A read of a row
 * whose insert waits, and `flush()` (before an operation that reads or removes many rows, and at the end of the
 * batch, inside its transaction), runs the waiting inserts first, so every read sees every earlier write of the
 * batch. A new row's insert is decided after its read found no row and nothing inserts that address meanwhile,
 * so it cannot meet a row of the same address; like any driver error, a failed `INSERT` rolls the batch back.
 */
export class BatchRows {
  readonly stmt: Statements;
  readonly #db: Db;
  /** The `INSERT` of n rows at index n, prepared the first time a batch needs it. */
  readonly #inserts: (BetterSqlite3.Statement<unknown[], unknown> | undefined)[] = [];
  readonly #values: unknown[] = [];
  readonly #keys = new Set<number>();

  constructor(db: Db, stmt: Statements) {
    this.#db = db;
    this.stmt = stmt;
    this.#inserts[1] = stmt.insert;
  }

  /** The stored row at `key` (better-sqlite3's row object), or undefined. */
  read(key: number): unknown {
    if (this.#keys.has(key)) this.flush();
    return this.stmt.one.get(key);
  }

  /** Inserts `lease` at `key`, which has no row; the columns `writeLease` works out are given as they are stored. */
  insert(
    key: number,
    lease: Lease,
    state: number,
    userContext: string | null,
    fwd: number,
    rev: number,
  ): void {
    this.#keys.add(key);
    const { hwAddress, clientId, subnetId, validLifetime, cltt, expiresAt, hostname } = lease;
    this.#values.push(key, hwAddress, clientId, subnetId, validLifetime, cltt, expiresAt, hostname);
    this.#values.push(state, userContext, fwd, rev);
    if (this.#keys.size === INSERT_CHUNK_ROWS) this.flush();
  }

  /** Forgets the inserts still waiting: the start of a batch, whose transaction's rollback dropped them. */
  discard(): void {
    this.#values.length = 0;
    this.#keys.clear();
  }

  /** Runs the waiting inserts. */
  flush(): void {
    const rows = this.#keys.size;
    if (rows === 0) return;
    try {
      this.#insertOf(rows).run(this.#values);
    } finally {
      this.discard();
    }
  }

  #insertOf(rows: number): BetterSqlite3.Statement<unknown[], unknown> {
    let insert = this.#inserts[rows];
    if (insert === undefined) {
      const row = `(${Array.from({ length: LEASE_COLUMN_COUNT }, () => '?').join(', ')})`;
      const sql = `INSERT INTO lease4 (${LEASE_COLUMNS}) VALUES ${Array.from({ length: rows }, () => row).join(', ')}`;
      insert = this.#db.prepare(sql);
      this.#inserts[rows] = insert;
    }
    return insert;
  }
}
