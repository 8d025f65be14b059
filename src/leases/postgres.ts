import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ipv4ToNumber } from './address.ts';
import { ChangeHub } from './changes.ts';
import { GroupCommit, settleByIndex, type Queued } from './group-commit.ts';
import { declinedLease, reclaimedLease } from './decide.ts';
import { LeaseStoreError, LeaseStoreIoError, LeaseStoreOpenError } from './errors.ts';
import type { Lease } from './lease.ts';
import { pgDriver } from './pg-driver.ts';
import { PgCoordination } from './postgres-coordination.ts';
import { WritableHost, suggestsFailover } from './postgres-hosts.ts';
import { PgListener, type ListenWatcher } from './postgres-listen.ts';
import { keaImportNote } from './postgres-kea-import.ts';
import { LEASE_TABLE } from './postgres-names.ts';
import { LocalWrites } from './postgres-resync.ts';
import { ensurePgSchema } from './postgres-schema.ts';
import * as args from './arguments.ts';
import type { CheckedCommit } from './arguments.ts';
import { foldStateRows, subnetSet, type StateCountRow } from './query.ts';
import { LEASE_COLUMNS, leaseToRow, rowToLease } from './row.ts';
import type {
  ClientQuery,
  CommitResult,
  LeaseChange,
  LeaseStore,
  LeaseStoreOpenReport,
  SubnetFilter,
  SubnetLeaseStats,
} from './store.ts';
import { LeaseStoreBase } from './store-base.ts';

export interface PostgresLeaseStoreOptions {
  /** A connection string or node-postgres settings (host may be a UNIX socket directory). */
  readonly connection: string | pg.PoolConfig;
  /** Connections in this server's pool. Default 4. */
  readonly poolSize?: number;
  /** The clock used when a call passes no `now`. */
  readonly clock?: () => number;
  /** LISTEN for the other servers' changes and report them as `origin: 'remote'` events. Default true. */
  readonly listen?: boolean;
  /** Called after the LISTEN connection came back from a loss, once the changes it missed were re-read. */
  readonly onListenReconnect?: () => void;
  /**
   * On the first start against a database where Kea kept its leases (Kea's `lease4` beside ours), copy Kea's
   * active leases so none is handed out twice. Default true; see docs/leases.md.
   */
  readonly importKeaLeases?: boolean;
}

/** Leases in one group-commit batch at most (keeps the JSON argument and the transaction bounded). */
const MAX_BATCH = 2000;
const DEADLOCK_RETRIES = 5;
const SELECT = `SELECT ${LEASE_COLUMNS} FROM ${LEASE_TABLE}`;

const ASCII_CAPITALS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ASCII_SMALL = 'abcdefghijklmnopqrstuvwxyz';
/**
 * `hostname` equals `$1` as every store compares hostnames (`sameHostname`: ASCII letters fold, nothing
 * else), whatever the database's locale: `translate` folds A-Z alone. `lower()`, which the hostname index
 * holds (as Kea's schema does), folds by the locale ('Ä' to 'ä' in most UTF-8 ones): it only narrows the
 * rows through that index, and only where it folds each ASCII capital to its small letter. Where it does not
 * (Turkish: lower('I') is 'ı'), the constant test, folded when the query is planned, drops the narrowing.
 */
const SAME_HOSTNAME = `hostname IS NOT NULL
  AND translate(hostname, '${ASCII_CAPITALS}', '${ASCII_SMALL}') = translate($1, '${ASCII_CAPITALS}', '${ASCII_SMALL}')
  AND (lower(hostname) = lower($1) OR lower('${ASCII_CAPITALS}') <> '${ASCII_SMALL}')`;

/** int8 columns as JS numbers: every value we store (addresses, ms times, uint32 ids) is below 2^53. */
function int8AsNumber(driver: typeof pg): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === driver.types.builtins.INT8
        ? (value: string) => Number(value)
        : driver.types.getTypeParser(oid, format ?? 'text')) as typeof driver.types.getTypeParser,
  };
}

/** One commit in a group-commit batch: the lease and its argument row for `leasekeeper_commit4`. */
interface CommitRow {
  readonly lease: Lease;
  readonly row: Record<string, unknown>;
}

type PendingCommit = Queued<CommitRow>;

/**
 * Leases in PostgreSQL, shared by several servers. Commits are group-committed: those of one event-loop turn go
 * to `leasekeeper_commit4` in one call (one transaction, one WAL flush); the function applies each conditional
 * write under a row lock, so two servers never give one address to two clients. A trigger NOTIFYs every change;
 * each server LISTENs and reports the others' changes as `origin: 'remote'` events.
 */
export class PostgresLeaseStore extends LeaseStoreBase implements LeaseStore {
  readonly backend = 'postgresql';
  readonly #pool: pg.Pool;
  readonly #listener: PgListener | null;
  readonly #writes = new GroupCommit<CommitRow>({
    maxBatch: MAX_BATCH,
    commit: (batch) => this.#commitBatch(batch),
  });
  #hosts: WritableHost | null = null;
  #openReport: LeaseStoreOpenReport = { warnings: [] };

  private constructor(
    pool: pg.Pool,
    changes: ChangeHub,
    listener: PgListener | null,
    options: PostgresLeaseStoreOptions,
  ) {
    super(changes, options.clock ?? Date.now);
    this.#pool = pool;
    this.#listener = listener;
  }

  /** Connects, creates or checks the schema and starts listening. Rejects with `LeaseStoreOpenError`. */
  static async open(options: PostgresLeaseStoreOptions): Promise<PostgresLeaseStore> {
    const base: pg.PoolConfig =
      typeof options.connection === 'string' ? { connectionString: options.connection } : options.connection;
    // A name unique to this store instance marks its own notifications.
    const sender = `leasekeeper-${randomUUID().slice(0, 13)}`;
    // A commit resolves only once durable, whatever the server's default: synchronous_commit=on for our sessions.
    const sessionOptions = [base.options, '-c synchronous_commit=on']
      .filter((o) => o !== undefined)
      .join(' ');
    const hosts = new WritableHost(
      WritableHost.parse(typeof base.host === 'string' ? base.host : undefined),
      base,
    );
    const fixed: pg.PoolConfig = {
      ...base,
      application_name: sender,
      types: int8AsNumber(pgDriver()),
      options: sessionOptions,
    };
    // Several hosts: every new connection (pool or LISTEN) goes to the one found writable.
    const config = hosts.hosts.length > 1 ? hosts.follow(fixed) : fixed;
    if (hosts.hosts.length > 1) await hosts.retarget().catch(() => undefined);
    const pool = new (pgDriver().Pool)({ ...config, max: options.poolSize ?? 4 });
    // pg.Pool copies its options; it builds each connection from that copy, which must follow too.
    if (hosts.hosts.length > 1) hosts.follow(pool.options, true);
    // An idle connection dropping must not crash the process; the next query reports the problem.
    pool.on('error', () => undefined);
    let listener: PgListener | null = null;
    const changes = new ChangeHub();
    const warnings: string[] = [];
    try {
      const client = await pool.connect();
      try {
        const schema = await ensurePgSchema(
          client,
          options.importKeaLeases === undefined ? {} : { importKeaLeases: options.importKeaLeases },
        );
        if (schema.renamed)
          warnings.push(`lease table lease4 of an earlier leasekeeper renamed to ${LEASE_TABLE}`);
        if (schema.keaImport !== null) warnings.push(keaImportNote(schema.keaImport));
      } finally {
        client.release();
      }
      if (options.listen ?? true) {
        listener = new PgListener({
          config,
          ownSender: sender,
          deliver: (change) => changes.emit(change),
          localWrites: new LocalWrites(changes),
          ...(options.onListenReconnect === undefined ? {} : { onReconnect: options.onListenReconnect }),
        });
        await listener.start();
      }
      const store = new PostgresLeaseStore(pool, changes, listener, options);
      store.#hosts = hosts;
      store.#openReport = { warnings };
      return store;
    } catch (error) {
      await listener?.stop();
      await pool.end().catch(() => undefined);
      if (error instanceof LeaseStoreOpenError) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      throw new LeaseStoreOpenError(`cannot open the PostgreSQL lease database: ${detail}`, { cause: error });
    }
  }

  /** What opening changed in the database (a migration, Kea's leases imported), for the start-up log. */
  get openReport(): LeaseStoreOpenReport {
    return this.#openReport;
  }

  /** Active-active HA's heartbeat rows and offer claims, over this store's connections. */
  coordination(): PgCoordination {
    this.assertOpen();
    return new PgCoordination(async (sql, params) => {
      try {
        // Without parameters: the simple protocol, which also runs several statements in one call.
        return params.length === 0 ? await this.#pool.query(sql) : await this.#pool.query(sql, params);
      } catch (error) {
        this.#maybeFailover(error);
        throw error;
      }
    });
  }

  /** Tells `watcher` when the LISTEN connection fails and when it is back (nothing with `listen: false`). */
  watchListen(watcher: ListenWatcher): () => void {
    return this.#listener?.watch(watcher) ?? (() => undefined);
  }

  /** How many commits the last group commit carried. */
  get lastBatchSize(): number {
    return this.#writes.lastBatchSize;
  }

  protected async commitChecked(commit: CheckedCommit): Promise<CommitResult> {
    const { lease, key, mode, now } = commit;
    const row = { ...leaseToRow(lease, key), mode, now, match_client_id: commit.matchClientId };
    return this.#writes.submit<CommitResult>({ lease, row });
  }

  async get(address: string): Promise<Lease | null> {
    this.assertOpen();
    const rows = await this.#query(`${SELECT} WHERE address = $1`, [ipv4ToNumber(address)]);
    return rows.length === 0 ? null : rowToLease(rows[0]);
  }

  async findByClient(query: ClientQuery): Promise<Lease | null> {
    this.assertOpen();
    if (query.clientId !== null) {
      const rows = await this.#query(
        `${SELECT} WHERE client_id = $1 AND subnet_id = $2 ORDER BY cltt DESC, address LIMIT 1`,
        [query.clientId.toLowerCase(), query.subnetId],
      );
      if (rows.length > 0) return rowToLease(rows[0]);
    }
    const rows = await this.#query(
      `${SELECT} WHERE hw_address = $1 AND subnet_id = $2 AND client_id IS NULL ORDER BY cltt DESC, address LIMIT 1`,
      [query.hwAddress.toLowerCase(), query.subnetId],
    );
    return rows.length === 0 ? null : rowToLease(rows[0]);
  }

  async getByHwAddress(hwAddress: string, subnetId?: number): Promise<Lease[]> {
    this.assertOpen();
    return this.#leases(
      `${SELECT} WHERE hw_address = $1 AND ($2::bigint IS NULL OR subnet_id = $2) ORDER BY address`,
      [hwAddress.toLowerCase(), subnetId ?? null],
    );
  }

  async getByClientId(clientId: string, subnetId?: number): Promise<Lease[]> {
    this.assertOpen();
    return this.#leases(
      `${SELECT} WHERE client_id = $1 AND ($2::bigint IS NULL OR subnet_id = $2) ORDER BY address`,
      [clientId.toLowerCase(), subnetId ?? null],
    );
  }

  async getByHostname(hostname: string): Promise<Lease[]> {
    this.assertOpen();
    return this.#leases(`${SELECT} WHERE ${SAME_HOSTNAME} ORDER BY address`, [hostname]);
  }

  async getAll(filter?: SubnetFilter): Promise<Lease[]> {
    this.assertOpen();
    const subnets = subnetArray(filter);
    return this.#leases(`${SELECT} WHERE ($1::bigint[] IS NULL OR subnet_id = ANY($1)) ORDER BY address`, [
      subnets,
    ]);
  }

  async getPage(from: string, limit: number): Promise<Lease[]> {
    this.assertOpen();
    const page = args.page(from, limit);
    return this.#leases(`${SELECT} WHERE address >= $1 ORDER BY address LIMIT $2`, [page.lowest, page.limit]);
  }

  async listExpired(now: number, limit?: number): Promise<Lease[]> {
    this.assertOpen();
    args.expired(now, limit);
    return this.#leases(
      `${SELECT} WHERE expires_at <= $1 AND state <> 2 ORDER BY expires_at, address LIMIT $2`,
      [now, limit ?? null],
    );
  }

  protected async declineAt(key: number, probationSeconds: number, now: number): Promise<Lease | null> {
    return this.#transaction(async (client) => {
      const previous = await lockRow(client, key);
      if (previous === null) return { value: null, changes: [] };
      const lease = declinedLease(previous, probationSeconds, now);
      await writeRow(client, lease, key);
      return { value: lease, changes: [{ kind: 'updated', lease, previous, origin: 'local' }] };
    });
  }

  protected async reclaimAt(key: number, remove: boolean, now: number): Promise<Lease | null> {
    return this.#transaction(async (client) => {
      const previous = await lockRow(client, key);
      if (previous === null || previous.state === 'expired-reclaimed' || previous.expiresAt > now) {
        return { value: null, changes: [] };
      }
      if (remove) {
        await client.query(`DELETE FROM ${LEASE_TABLE} WHERE address = $1`, [key]);
        return {
          value: previous,
          changes: [{ kind: 'removed', lease: previous, previous, origin: 'local' }],
        };
      }
      const lease = reclaimedLease(previous);
      await writeRow(client, lease, key);
      return { value: previous, changes: [{ kind: 'updated', lease, previous, origin: 'local' }] };
    });
  }

  async removeReclaimed(expiredBefore: number, limit: number): Promise<Lease[]> {
    this.assertOpen();
    args.reclaimedBefore(expiredBefore, limit);
    // SKIP LOCKED: a row another server is writing (claiming it again) is left for the next run.
    const rows = await this.#query(
      `DELETE FROM ${LEASE_TABLE} WHERE address IN (
         SELECT address FROM ${LEASE_TABLE} WHERE state = 2 AND expires_at < $1
         ORDER BY expires_at, address LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING ${LEASE_COLUMNS}`,
      [expiredBefore, limit],
    );
    const removed = rows.map(tryRowToLease).filter((l): l is Lease => l !== null);
    for (const lease of removed)
      this.changes.emit({ kind: 'removed', lease, previous: lease, origin: 'local' });
    return removed;
  }

  async remove(address: string): Promise<Lease | null> {
    this.assertOpen();
    const rows = await this.#query(
      `DELETE FROM ${LEASE_TABLE} WHERE address = $1 RETURNING ${LEASE_COLUMNS}`,
      [ipv4ToNumber(address)],
    );
    // A corrupt row is removed all the same; it has no lease to report.
    const previous = rows.length === 0 ? null : tryRowToLease(rows[0]);
    if (previous !== null) this.changes.emit({ kind: 'removed', lease: previous, previous, origin: 'local' });
    return previous;
  }

  async wipe(filter?: SubnetFilter): Promise<number> {
    this.assertOpen();
    const rows = await this.#query(
      `DELETE FROM ${LEASE_TABLE} WHERE ($1::bigint[] IS NULL OR subnet_id = ANY($1)) RETURNING ${LEASE_COLUMNS}`,
      [subnetArray(filter)],
    );
    const removed = rows
      .map(tryRowToLease)
      .filter((l): l is Lease => l !== null)
      .sort((a, b) => ipv4ToNumber(a.address) - ipv4ToNumber(b.address));
    for (const lease of removed)
      this.changes.emit({ kind: 'removed', lease, previous: lease, origin: 'local' });
    return rows.length;
  }

  async stats(filter?: SubnetFilter): Promise<SubnetLeaseStats[]> {
    this.assertOpen();
    const rows = (await this.#query(
      `SELECT subnet_id, state, count(*) AS n FROM ${LEASE_TABLE} WHERE ($1::bigint[] IS NULL OR subnet_id = ANY($1))
       GROUP BY subnet_id, state ORDER BY subnet_id`,
      [subnetArray(filter)],
    )) as StateCountRow[];
    return foldStateRows(rows);
  }

  protected async release(): Promise<void> {
    await this.#writes.drain();
    await this.#listener?.stop();
    await this.#pool.end();
  }

  async #commitBatch(submitted: readonly PendingCommit[]): Promise<void> {
    // Locking in ascending address order means two servers' batches never deadlock. The sort is stable, so
    // commits for one address keep their submission order, and those for different addresses are independent.
    const batch = submitted
      .slice()
      .sort((a, b) => (a.op.row['address'] as number) - (b.op.row['address'] as number));
    let results: { ord: number; outcome: string; prev: unknown }[];
    try {
      results = await this.#withDeadlockRetry(async () => {
        const res = await this.#pool.query<{ ord: number; outcome: string; prev: unknown }>(
          'SELECT ord, outcome, prev FROM leasekeeper_commit4($1::jsonb)',
          [JSON.stringify(batch.map((p) => p.op.row))],
        );
        return res.rows;
      });
    } catch (error) {
      this.#maybeFailover(error);
      const wrapped = wrapDriverError('write', error);
      for (const pending of batch) pending.reject(wrapped);
      return;
    }
    settleByIndex(
      batch,
      results,
      (r) => r.ord,
      (pending, r) => this.#settle(pending, r.outcome, r.prev),
      // Never leave a caller waiting: a commit the function did not answer for is reported, not forgotten.
      () => new LeaseStoreIoError('PostgreSQL lease write returned no outcome'),
    );
  }

  #settle(pending: PendingCommit, outcome: string, prev: unknown): void {
    const { lease } = pending.op;
    if (outcome === 'missing') return pending.resolve({ ok: false, reason: 'missing' });
    if (outcome === 'conflict' || outcome === 'exists') {
      // Nothing was written; a holder we cannot read is reported as what it is.
      try {
        return pending.resolve({ ok: false, reason: outcome, holder: rowToLease(prev) });
      } catch (error) {
        return pending.reject(error);
      }
    }
    const kind = outcome === 'added' ? 'added' : 'updated';
    // The write happened; an unreadable previous row (corrupt) is reported as null rather than failing it.
    const previous = prev === null ? null : tryRowToLease(prev);
    this.changes.emit({ kind, lease, previous, origin: 'local' });
    pending.resolve({ ok: true, kind, lease, previous });
  }

  async #withDeadlockRetry<T>(body: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await body();
      } catch (error) {
        // Two servers' batches may lock the same addresses in opposite orders; PostgreSQL then aborts one
        // transaction whole, so running it again is safe.
        if ((error as { code?: unknown }).code !== '40P01' || attempt >= DEADLOCK_RETRIES) throw error;
      }
    }
  }

  /** After an error that a primary/standby failover causes, look for the writable host again. */
  #maybeFailover(error: unknown): void {
    if (this.#hosts === null || this.#hosts.hosts.length < 2 || !suggestsFailover(error)) return;
    void this.#hosts.retarget().catch(() => undefined);
  }

  /** Which host the connections go to (one of `host`'s list). */
  get host(): string | undefined {
    return this.#hosts?.current;
  }

  async #query(sql: string, params: unknown[]): Promise<unknown[]> {
    try {
      return (await this.#pool.query(sql, params)).rows as unknown[];
    } catch (error) {
      this.#maybeFailover(error);
      throw wrapDriverError('read', error);
    }
  }

  async #leases(sql: string, params: unknown[]): Promise<Lease[]> {
    return (await this.#query(sql, params)).map(rowToLease);
  }

  async #transaction<T>(
    body: (client: pg.PoolClient) => Promise<{ value: T; changes: LeaseChange[] }>,
  ): Promise<T> {
    let outcome: { value: T; changes: LeaseChange[] };
    try {
      outcome = await this.#withDeadlockRetry(async () => {
        const client = await this.#pool.connect();
        try {
          await client.query('BEGIN');
          const result = await body(client);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        } finally {
          client.release();
        }
      });
    } catch (error) {
      throw wrapDriverError('write', error);
    }
    for (const change of outcome.changes) this.changes.emit(change);
    return outcome.value;
  }
}

async function lockRow(client: pg.PoolClient, key: number): Promise<Lease | null> {
  const { rows } = await client.query(`${SELECT} WHERE address = $1 FOR UPDATE`, [key]);
  return rows.length === 0 ? null : rowToLease(rows[0]);
}

async function writeRow(client: pg.PoolClient, lease: Lease, key: number): Promise<void> {
  const row = leaseToRow(lease, key);
  await client.query(
    `UPDATE ${LEASE_TABLE} SET hw_address = $2, client_id = $3, subnet_id = $4, valid_lifetime = $5, cltt = $6,
     expires_at = $7, hostname = $8, state = $9, user_context = $10, fqdn_fwd = $11, fqdn_rev = $12
     WHERE address = $1`,
    [
      row.address,
      row.hw_address,
      row.client_id,
      row.subnet_id,
      row.valid_lifetime,
      row.cltt,
      row.expires_at,
      row.hostname,
      row.state,
      row.user_context,
      row.fqdn_fwd,
      row.fqdn_rev,
    ],
  );
}

function subnetArray(filter: SubnetFilter | undefined): number[] | null {
  const set = subnetSet(filter);
  return set === null ? null : [...set];
}

function tryRowToLease(row: unknown): Lease | null {
  try {
    return rowToLease(row);
  } catch {
    return null;
  }
}

function wrapDriverError(what: 'read' | 'write', error: unknown): Error {
  if (error instanceof LeaseStoreError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new LeaseStoreIoError(`PostgreSQL lease ${what} failed: ${detail}`, { cause: error });
}
