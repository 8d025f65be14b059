import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { ipv4ToNumber } from './address.ts';
import { GroupCommit } from './batch.ts';
import type { Outcome } from './batch.ts';
import { ChangeHub } from './changes.ts';
import { decideCommit, declinedLease, reclaimedLease } from './decide.ts';
import {
  LeaseCorruptError,
  LeaseStoreClosedError,
  LeaseStoreError,
  LeaseStoreIoError,
  LeaseStoreOpenError,
} from './errors.ts';
import type { Lease, LeaseState } from './lease.ts';
import { checkLimit, checkNow, checkSeconds, emptyStateCounts, pageStart, subnetSet } from './query.ts';
import { LEASE_COLUMNS, leaseToRow, rowToLease } from './row.ts';
import { ensureSchema } from './sqlite-schema.ts';
import type {
  ClientQuery,
  CommitOptions,
  CommitResult,
  LeaseChange,
  LeaseChangeListener,
  LeaseStore,
  ReclaimOptions,
  SubnetFilter,
  SubnetLeaseStats,
  TimeOptions,
} from './store.ts';
import { normalizeLease, stateFromCode } from './validate.ts';

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
}

type Db = BetterSqlite3.Database;
type Stmt = BetterSqlite3.Statement<unknown[], unknown>;

const SELECT = `SELECT ${LEASE_COLUMNS} FROM lease4`;
const IN_SUBNETS = 'subnet_id IN (SELECT value FROM json_each(?))';

/**
 * The embedded default: one SQLite file in WAL mode. Writes are group-committed (see `GroupCommit`): all writes
 * of one event-loop turn share one transaction and one fsync, and resolve once it is on disk. Several store
 * instances, in one process or several, may share one file: writes take SQLite's write lock (BEGIN IMMEDIATE), so
 * the claim check and the write are atomic across them.
 */
export class SqliteLeaseStore implements LeaseStore {
  readonly backend = 'sqlite';
  readonly #db: Db;
  readonly #clock: () => number;
  readonly #changes = new ChangeHub();
  readonly #writes: GroupCommit;
  readonly #stmt: ReturnType<typeof prepare>;
  #closed = false;

  private constructor(db: Db, options: SqliteLeaseStoreOptions) {
    this.#db = db;
    this.#clock = options.clock ?? Date.now;
    this.#stmt = prepare(db);
    const transaction = db.transaction((body: () => void) => body());
    this.#writes = new GroupCommit({
      transact: (body) => transaction.immediate(body),
      wrapError: (error) => wrapDriverError('write', error, db.name),
      announce: (change) => this.#changes.emit(change),
    });
  }

  /** Opens (creating if needed) the database file. Rejects with `LeaseStoreOpenError` when it cannot be used. */
  static async open(options: SqliteLeaseStoreOptions): Promise<SqliteLeaseStore> {
    let db: Db | null = null;
    try {
      db = new Database(options.path);
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal' && options.path !== ':memory:') {
        throw new LeaseStoreOpenError(`${options.path}: cannot use WAL journal mode (got ${String(mode)})`);
      }
      db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      ensureSchema(db);
      return new SqliteLeaseStore(db, options);
    } catch (error) {
      db?.close();
      if (error instanceof LeaseStoreOpenError) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      throw new LeaseStoreOpenError(`cannot open lease database ${options.path}: ${detail}`, {
        cause: error,
      });
    }
  }

  /** How many operations the last group commit carried. */
  get lastBatchSize(): number {
    return this.#writes.lastBatchSize;
  }

  async commit(input: Lease, options: CommitOptions = {}): Promise<CommitResult> {
    this.#open();
    const lease = normalizeLease(input);
    const now = checkNow(options.now ?? this.#clock());
    const key = ipv4ToNumber(lease.address);
    const mode = options.mode ?? 'claim';
    const matchClientId = options.matchClientId ?? true;
    return this.#writes.submit((): Outcome<CommitResult> => {
      const decision = decideCommit(this.#one(key), lease, mode, now, matchClientId);
      if (!decision.write) return { value: decision.result, changes: [] };
      this.#stmt.upsert.run(leaseToRow(lease, key));
      return {
        value: { ok: true, kind: decision.kind, lease, previous: decision.previous },
        changes: [{ kind: decision.kind, lease, previous: decision.previous, origin: 'local' }],
      };
    });
  }

  async get(address: string): Promise<Lease | null> {
    this.#open();
    const key = ipv4ToNumber(address);
    return this.#read(() => this.#one(key));
  }

  async findByClient(query: ClientQuery): Promise<Lease | null> {
    this.#open();
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
    this.#open();
    const hw = hwAddress.toLowerCase();
    return this.#many(() =>
      subnetId === undefined
        ? this.#stmt.byHwAddress.all(hw)
        : this.#stmt.byHwAddressInSubnet.all(hw, subnetId),
    );
  }

  async getByClientId(clientId: string, subnetId?: number): Promise<Lease[]> {
    this.#open();
    const id = clientId.toLowerCase();
    return this.#many(() =>
      subnetId === undefined
        ? this.#stmt.byClientId.all(id)
        : this.#stmt.byClientIdInSubnet.all(id, subnetId),
    );
  }

  async getByHostname(hostname: string): Promise<Lease[]> {
    this.#open();
    return this.#many(() => this.#stmt.byHostname.all(hostname));
  }

  async getAll(filter?: SubnetFilter): Promise<Lease[]> {
    this.#open();
    const subnets = subnetSet(filter);
    return this.#many(() =>
      subnets === null ? this.#stmt.all.all() : this.#stmt.allInSubnets.all(JSON.stringify([...subnets])),
    );
  }

  async getPage(from: string, limit: number): Promise<Lease[]> {
    this.#open();
    const start = pageStart(from);
    checkLimit(limit);
    return this.#many(() => this.#stmt.page.all(start.inclusive ? start.value : start.value + 1, limit));
  }

  async listExpired(now: number, limit?: number): Promise<Lease[]> {
    this.#open();
    checkNow(now);
    if (limit !== undefined) checkLimit(limit);
    return this.#many(() => this.#stmt.expired.all(now, limit ?? -1));
  }

  async markDeclined(
    address: string,
    probationSeconds: number,
    options: TimeOptions = {},
  ): Promise<Lease | null> {
    this.#open();
    const key = ipv4ToNumber(address);
    checkSeconds(probationSeconds, 'probation period');
    const now = checkNow(options.now ?? this.#clock());
    return this.#writes.submit((): Outcome<Lease | null> => {
      const previous = this.#one(key);
      if (previous === null) return { value: null, changes: [] };
      const lease = declinedLease(previous, probationSeconds, now);
      this.#stmt.upsert.run(leaseToRow(lease, key));
      return { value: lease, changes: [{ kind: 'updated', lease, previous, origin: 'local' }] };
    });
  }

  async reclaim(address: string, options: ReclaimOptions): Promise<Lease | null> {
    this.#open();
    const key = ipv4ToNumber(address);
    const now = checkNow(options.now ?? this.#clock());
    return this.#writes.submit((): Outcome<Lease | null> => {
      const previous = this.#one(key);
      if (previous === null || previous.state === 'expired-reclaimed' || previous.expiresAt > now) {
        return { value: null, changes: [] };
      }
      let change: LeaseChange;
      if (options.remove) {
        this.#stmt.remove.run(key);
        change = { kind: 'removed', lease: previous, previous, origin: 'local' };
      } else {
        const lease = reclaimedLease(previous);
        this.#stmt.upsert.run(leaseToRow(lease, key));
        change = { kind: 'updated', lease, previous, origin: 'local' };
      }
      return { value: previous, changes: [change] };
    });
  }

  async remove(address: string): Promise<Lease | null> {
    this.#open();
    const key = ipv4ToNumber(address);
    return this.#writes.submit((): Outcome<Lease | null> => {
      const row = this.#stmt.one.get(key);
      if (row === undefined) return { value: null, changes: [] };
      // A corrupt row is removed all the same (that is how an operator gets rid of it); it has no lease to report.
      const previous = tryRowToLease(row);
      this.#stmt.remove.run(key);
      if (previous === null) return { value: null, changes: [] };
      return { value: previous, changes: [{ kind: 'removed', lease: previous, previous, origin: 'local' }] };
    });
  }

  async wipe(filter?: SubnetFilter): Promise<number> {
    this.#open();
    const subnets = subnetSet(filter);
    const json = subnets === null ? null : JSON.stringify([...subnets]);
    return this.#writes.submit((): Outcome<number> => {
      const changes: LeaseChange[] = [];
      if (this.#changes.size > 0) {
        const rows = json === null ? this.#stmt.all.all() : this.#stmt.allInSubnets.all(json);
        for (const row of rows) {
          const lease = tryRowToLease(row);
          if (lease !== null) changes.push({ kind: 'removed', lease, previous: lease, origin: 'local' });
        }
      }
      const result = json === null ? this.#stmt.wipeAll.run() : this.#stmt.wipeSubnets.run(json);
      return { value: result.changes, changes };
    });
  }

  async stats(filter?: SubnetFilter): Promise<SubnetLeaseStats[]> {
    this.#open();
    const subnets = subnetSet(filter);
    const rows = this.#read(
      () =>
        (subnets === null
          ? this.#stmt.stats.all()
          : this.#stmt.statsInSubnets.all(JSON.stringify([...subnets]))) as {
          subnet_id: number;
          state: number;
          n: number;
        }[],
    );
    const bySubnet = new Map<number, Record<LeaseState, number>>();
    for (const row of rows) {
      const state = stateFromCode(row.state);
      // Rows with an unknown state are corrupt; they are reported by the reads that meet them, not counted here.
      if (state === null) continue;
      let counts = bySubnet.get(row.subnet_id);
      if (counts === undefined) bySubnet.set(row.subnet_id, (counts = emptyStateCounts()));
      counts[state] += row.n;
    }
    return [...bySubnet.entries()].map(([subnetId, byState]) => ({
      subnetId,
      total: byState.default + byState.declined + byState['expired-reclaimed'],
      byState,
    }));
  }

  onChange(listener: LeaseChangeListener): () => void {
    return this.#changes.subscribe(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#writes.flush();
    this.#db.close();
  }

  #open(): void {
    if (this.#closed) throw new LeaseStoreClosedError();
  }

  #one(key: number): Lease | null {
    const row = this.#stmt.one.get(key);
    return row === undefined ? null : rowToLease(row);
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

function prepare(db: Db) {
  const stmt = (sql: string): Stmt => db.prepare(sql);
  return {
    one: stmt(`${SELECT} WHERE address = ?`),
    upsert: stmt(
      `INSERT INTO lease4 (${LEASE_COLUMNS}) VALUES (@address, @hw_address, @client_id, @subnet_id, @valid_lifetime,
       @cltt, @expires_at, @hostname, @state, @user_context)
       ON CONFLICT (address) DO UPDATE SET hw_address = excluded.hw_address, client_id = excluded.client_id,
       subnet_id = excluded.subnet_id, valid_lifetime = excluded.valid_lifetime, cltt = excluded.cltt,
       expires_at = excluded.expires_at, hostname = excluded.hostname, state = excluded.state,
       user_context = excluded.user_context`,
    ),
    remove: stmt('DELETE FROM lease4 WHERE address = ?'),
    latestByClientId: stmt(
      `${SELECT} WHERE client_id = ? AND subnet_id = ? ORDER BY cltt DESC, address LIMIT 1`,
    ),
    latestByHwAddress: stmt(
      `${SELECT} WHERE hw_address = ? AND subnet_id = ? AND client_id IS NULL ORDER BY cltt DESC, address LIMIT 1`,
    ),
    byHwAddress: stmt(`${SELECT} WHERE hw_address = ? ORDER BY address`),
    byHwAddressInSubnet: stmt(`${SELECT} WHERE hw_address = ? AND subnet_id = ? ORDER BY address`),
    byClientId: stmt(`${SELECT} WHERE client_id = ? ORDER BY address`),
    byClientIdInSubnet: stmt(`${SELECT} WHERE client_id = ? AND subnet_id = ? ORDER BY address`),
    byHostname: stmt(`${SELECT} WHERE hostname = ? ORDER BY address`),
    all: stmt(`${SELECT} ORDER BY address`),
    allInSubnets: stmt(`${SELECT} WHERE ${IN_SUBNETS} ORDER BY address`),
    page: stmt(`${SELECT} WHERE address >= ? ORDER BY address LIMIT ?`),
    expired: stmt(`${SELECT} WHERE expires_at <= ? AND state <> 2 ORDER BY expires_at, address LIMIT ?`),
    wipeAll: stmt('DELETE FROM lease4'),
    wipeSubnets: stmt(`DELETE FROM lease4 WHERE ${IN_SUBNETS}`),
    stats: stmt(
      'SELECT subnet_id, state, count(*) AS n FROM lease4 GROUP BY subnet_id, state ORDER BY subnet_id',
    ),
    statsInSubnets: stmt(
      `SELECT subnet_id, state, count(*) AS n FROM lease4 WHERE ${IN_SUBNETS} GROUP BY subnet_id, state ORDER BY subnet_id`,
    ),
  };
}

function tryRowToLease(row: unknown): Lease | null {
  try {
    return rowToLease(row);
  } catch {
    return null;
  }
}

function wrapDriverError(what: 'read' | 'write', error: unknown, path: string): Error {
  if (error instanceof LeaseStoreError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new LeaseCorruptError(path, `the database file is damaged: ${detail}`, { cause: error });
  }
  return new LeaseStoreIoError(`lease database ${path}: ${what} failed: ${detail}`, { cause: error });
}
