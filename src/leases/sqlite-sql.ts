import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { decideCommit, declinedLease, reclaimedLease } from './decide.ts';
import { LeaseCorruptError, LeaseStoreError, LeaseStoreIoError, LeaseStoreOpenError } from './errors.ts';
import { LEASE_STATE_CODES, type Lease } from './lease.ts';
import { LEASE_COLUMNS, rowToLease, type LeaseRow } from './row.ts';
import type { BatchRows } from './sqlite-batch-rows.ts';
import { ensureSchema } from './sqlite-schema.ts';
import { removeEmptyNewDatabase } from './sqlite-space.ts';
import type { CommitMode, CommitResult, LeaseChange } from './store.ts';

/** The SQL shared by the inline writer, the writer thread and the read connection. */

/** What one write did inside its batch's transaction: its answer and the changes to announce. */
export interface Outcome<T> {
  readonly value: T;
  readonly changes: readonly LeaseChange[];
}

export type Db = BetterSqlite3.Database;
type Stmt = BetterSqlite3.Statement<unknown[], unknown>;

export interface ConnectionOptions {
  readonly path: string;
  readonly synchronous?: 'full' | 'normal';
  readonly busyTimeoutMs?: number;
}

// better-sqlite3 is loaded on the first open, so that importing the library does not load a native driver
// that a memory or PostgreSQL store never uses.
let driver: typeof BetterSqlite3 | undefined;
export function sqliteDriver(): typeof BetterSqlite3 {
  driver ??= createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  return driver;
}

const SELECT = `SELECT ${LEASE_COLUMNS} FROM lease4`;
const IN_SUBNETS = 'subnet_id IN (SELECT value FROM json_each(?))';

/** Opens one connection in WAL mode with the store's pragmas; `schema` creates or checks the schema. */
export function openConnection(options: ConnectionOptions, schema: boolean): Db {
  let db: Db | null = null;
  const existed = options.path === ':memory:' || existsSync(options.path);
  try {
    db = new (sqliteDriver())(options.path);
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal' && options.path !== ':memory:') {
      throw new LeaseStoreOpenError(`${options.path}: cannot use WAL journal mode (got ${String(mode)})`);
    }
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    if (schema) ensureSchema(db);
    return db;
  } catch (error) {
    db?.close();
    if (!existed) removeEmptyNewDatabase(options.path);
    if (error instanceof LeaseStoreOpenError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new LeaseStoreOpenError(`cannot open lease database ${options.path}: ${detail}`, {
      cause: error,
    });
  }
}

/**
 * One write as plain data, so it can be run inline or posted to the writer thread. Everything that does not
 * depend on the stored row (validation, `now`, the address key) is worked out before.
 */
export type WriteOp =
  | {
      readonly op: 'commit';
      readonly key: number;
      readonly lease: Lease;
      readonly mode: CommitMode;
      readonly now: number;
      readonly matchClientId: boolean;
    }
  | { readonly op: 'decline'; readonly key: number; readonly probationSeconds: number; readonly now: number }
  | { readonly op: 'reclaim'; readonly key: number; readonly remove: boolean; readonly now: number }
  | { readonly op: 'remove'; readonly key: number }
  | { readonly op: 'removeReclaimed'; readonly expiredBefore: number; readonly limit: number }
  | { readonly op: 'wipe'; readonly subnets: string | null };

/**
 * Runs one write inside the caller's transaction: the read of the row, the decision (the claim check) and the
 * write happen in that one transaction, so they are atomic against every other connection.
 * `wantRemoved`: whether `wipe` should list what it removed (only when somebody listens for changes).
 */
export function runWriteOp(rows: BatchRows, w: WriteOp, wantRemoved: boolean): Outcome<unknown> {
  const { stmt } = rows;
  switch (w.op) {
    case 'commit': {
      const stored = storedRow(rows, w.key);
      const decision = decideCommit(leaseOf(stored), w.lease, w.mode, w.now, w.matchClientId);
      if (!decision.write) return { value: decision.result, changes: [] };
      writeLease(rows, w.lease, w.key, stored);
      const value: CommitResult = {
        ok: true,
        kind: decision.kind,
        lease: w.lease,
        previous: decision.previous,
      };
      return {
        value,
        changes: [{ kind: decision.kind, lease: w.lease, previous: decision.previous, origin: 'local' }],
      };
    }
    case 'decline': {
      const stored = storedRow(rows, w.key);
      const previous = leaseOf(stored);
      if (previous === null) return { value: null, changes: [] };
      const lease = declinedLease(previous, w.probationSeconds, w.now);
      writeLease(rows, lease, w.key, stored);
      return { value: lease, changes: [{ kind: 'updated', lease, previous, origin: 'local' }] };
    }
    case 'reclaim': {
      const stored = storedRow(rows, w.key);
      const previous = leaseOf(stored);
      if (previous === null || previous.state === 'expired-reclaimed' || previous.expiresAt > w.now) {
        return { value: null, changes: [] };
      }
      let change: LeaseChange;
      if (w.remove) {
        stmt.remove.run(w.key);
        change = { kind: 'removed', lease: previous, previous, origin: 'local' };
      } else {
        const lease = reclaimedLease(previous);
        writeLease(rows, lease, w.key, stored);
        change = { kind: 'updated', lease, previous, origin: 'local' };
      }
      return { value: previous, changes: [change] };
    }
    case 'remove': {
      const row = rows.read(w.key);
      if (row === undefined) return { value: null, changes: [] };
      // A corrupt row is removed all the same (that is how an operator gets rid of it); it has no lease to report.
      const previous = tryRowToLease(row);
      stmt.remove.run(w.key);
      if (previous === null) return { value: null, changes: [] };
      return { value: previous, changes: [{ kind: 'removed', lease: previous, previous, origin: 'local' }] };
    }
    case 'removeReclaimed': {
      rows.flush();
      const removed: Lease[] = [];
      for (const row of stmt.reclaimedBefore.all(w.expiredBefore, w.limit)) {
        // A corrupt row in that state is removed all the same (it is garbage either way); it has no lease to report.
        stmt.remove.run((row as { address: number }).address);
        const lease = tryRowToLease(row);
        if (lease !== null) removed.push(lease);
      }
      return {
        value: removed,
        changes: removed.map((lease) => ({ kind: 'removed', lease, previous: lease, origin: 'local' })),
      };
    }
    case 'wipe': {
      rows.flush();
      const changes: LeaseChange[] = [];
      if (wantRemoved) {
        const wiped = w.subnets === null ? stmt.all.all() : stmt.allInSubnets.all(w.subnets);
        for (const row of wiped) {
          const lease = tryRowToLease(row);
          if (lease !== null) changes.push({ kind: 'removed', lease, previous: lease, origin: 'local' });
        }
      }
      const result = w.subnets === null ? stmt.wipeAll.run() : stmt.wipeSubnets.run(w.subnets);
      return { value: result.changes, changes };
    }
  }
}

/**
 * Writes `lease` at `key`, where this transaction read the row `stored`: an INSERT when there was no row (with
 * the batch's other new rows, `BatchRows`); else an UPDATE that leaves out `subnet_id` when the subnet is the same
 * (a renewal, a decline, a reclaim), so SQLite does not rewrite the lease's `lease4_subnet` entry (one random
 * index page, one WAL frame, less per lease), and only the times and the state when every other column already
 * holds exactly what would be written (a client's renewal): fewer values to bind and copy. Values are bound by
 * position, which better-sqlite3 does with less work than by name.
 */
function writeLease(rows: BatchRows, lease: Lease, key: number, stored: LeaseRow | undefined): void {
  const { stmt } = rows;
  const userContext = lease.userContext === null ? null : JSON.stringify(lease.userContext);
  const fwd = lease.fqdnFwd === true ? 1 : 0;
  const rev = lease.fqdnRev === true ? 1 : 0;
  const state = LEASE_STATE_CODES[lease.state];
  const { hwAddress, clientId, validLifetime, cltt, expiresAt, hostname } = lease;
  if (stored === undefined) {
    rows.insert(key, lease, state, userContext, fwd, rev);
  } else if (
    stored.subnet_id === lease.subnetId &&
    stored.hw_address === hwAddress &&
    stored.client_id === clientId &&
    stored.hostname === hostname &&
    stored.user_context === userContext &&
    stored.fqdn_fwd === fwd &&
    stored.fqdn_rev === rev
  ) {
    stmt.updateTimes.run(validLifetime, cltt, expiresAt, state, key);
  } else if (stored.subnet_id === lease.subnetId) {
    stmt.updateInSubnet.run(
      hwAddress,
      clientId,
      validLifetime,
      cltt,
      expiresAt,
      hostname,
      state,
      userContext,
      fwd,
      rev,
      key,
    );
  } else {
    stmt.update.run(
      hwAddress,
      clientId,
      lease.subnetId,
      validLifetime,
      cltt,
      expiresAt,
      hostname,
      state,
      userContext,
      fwd,
      rev,
      key,
    );
  }
}

export function one(stmt: Statements, key: number): Lease | null {
  const row = stmt.one.get(key);
  return row === undefined ? null : rowToLease(row);
}

/** The row at `key` inside a batch's transaction, seeing the batch's earlier writes. */
function storedRow(rows: BatchRows, key: number): LeaseRow | undefined {
  return rows.read(key) as LeaseRow | undefined;
}

const leaseOf = (row: LeaseRow | undefined): Lease | null => (row === undefined ? null : rowToLease(row));

/** Every column but the address and the subnet, as `SET` assignments in `LEASE_COLUMNS`' order. */
const IN_SUBNET_COLUMNS = `hw_address = ?, client_id = ?, valid_lifetime = ?, cltt = ?, expires_at = ?, hostname = ?,
     state = ?, user_context = ?, fqdn_fwd = ?, fqdn_rev = ?`;

const STATEMENTS = {
  one: `${SELECT} WHERE address = ?`,
  insert: `INSERT INTO lease4 (${LEASE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  updateInSubnet: `UPDATE lease4 SET ${IN_SUBNET_COLUMNS} WHERE address = ?`,
  updateTimes: 'UPDATE lease4 SET valid_lifetime = ?, cltt = ?, expires_at = ?, state = ? WHERE address = ?',
  update: `UPDATE lease4 SET hw_address = ?, client_id = ?, subnet_id = ?, valid_lifetime = ?, cltt = ?,
     expires_at = ?, hostname = ?, state = ?, user_context = ?, fqdn_fwd = ?, fqdn_rev = ? WHERE address = ?`,
  remove: 'DELETE FROM lease4 WHERE address = ?',
  latestByClientId: `${SELECT} WHERE client_id = ? AND subnet_id = ? ORDER BY cltt DESC, address LIMIT 1`,
  latestByHwAddress: `${SELECT} WHERE hw_address = ? AND subnet_id = ? AND client_id IS NULL ORDER BY cltt DESC, address LIMIT 1`,
  byHwAddress: `${SELECT} WHERE hw_address = ? ORDER BY address`,
  byHwAddressInSubnet: `${SELECT} WHERE hw_address = ? AND subnet_id = ? ORDER BY address`,
  byClientId: `${SELECT} WHERE client_id = ? ORDER BY address`,
  byClientIdInSubnet: `${SELECT} WHERE client_id = ? AND subnet_id = ? ORDER BY address`,
  byHostname: `${SELECT} WHERE hostname = ? ORDER BY address`,
  all: `${SELECT} ORDER BY address`,
  allInSubnets: `${SELECT} WHERE ${IN_SUBNETS} ORDER BY address`,
  page: `${SELECT} WHERE address >= ? ORDER BY address LIMIT ?`,
  expired: `${SELECT} WHERE expires_at <= ? AND state <> 2 ORDER BY expires_at, address LIMIT ?`,
  reclaimedBefore: `${SELECT} WHERE state = 2 AND expires_at < ? ORDER BY expires_at, address LIMIT ?`,
  wipeAll: 'DELETE FROM lease4',
  wipeSubnets: `DELETE FROM lease4 WHERE ${IN_SUBNETS}`,
  stats: 'SELECT subnet_id, state, count(*) AS n FROM lease4 GROUP BY subnet_id, state ORDER BY subnet_id',
  statsInSubnets: `SELECT subnet_id, state, count(*) AS n FROM lease4 WHERE ${IN_SUBNETS} GROUP BY subnet_id, state ORDER BY subnet_id`,
} as const;

export type Statements = { readonly [K in keyof typeof STATEMENTS]: Stmt };

export function prepare(db: Db): Statements {
  const prepared = Object.entries(STATEMENTS).map(([name, sql]) => [name, db.prepare(sql)]);
  return Object.fromEntries(prepared) as Statements;
}

export function tryRowToLease(row: unknown): Lease | null {
  try {
    return rowToLease(row);
  } catch {
    return null;
  }
}

export function wrapDriverError(what: 'read' | 'write', error: unknown, path: string): LeaseStoreError {
  if (error instanceof LeaseStoreError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new LeaseCorruptError(path, `the database file is damaged: ${detail}`, { cause: error });
  }
  return new LeaseStoreIoError(`lease database ${path}: ${what} failed: ${detail}`, { cause: error });
}
