import type pg from 'pg';
import { pgDriver } from '../leases/index.ts';
import { HostDatabaseError } from './errors.ts';
import {
  ROW_LIMITS,
  hostFromRows,
  type DatabaseHost,
  type HostInsert,
  type KeaHostRow,
  type KeaOptionRow,
} from './kea-host-rows.ts';

export interface HostDatabaseSpec {
  /** node-postgres settings, or a connection string. */
  readonly connection: pg.PoolConfig | string;
  readonly readonly: boolean;
  /** Where the hosts are, for logs (never the password). */
  readonly note: string;
}

/** Which hosts a read wants; every field narrows it. */
export interface HostFilter {
  readonly subnetId?: number;
  readonly identifier?: { readonly type: number; readonly bytes: Buffer };
  readonly address?: number;
  /** Compared case-insensitively, as Kea's `hosts_by_hostname` index does. */
  readonly hostname?: string;
  /** Only hosts with a larger `host_id` (Kea's paging). */
  readonly afterHostId?: number;
}

export interface HostLoad {
  /** The readable hosts, in `host_id` order. */
  readonly hosts: readonly DatabaseHost[];
  /** One line per row that could not be read (it is left out). */
  readonly errors: readonly string[];
  /** More rows matched than `limit`: the ones after it were not read. */
  readonly truncated: boolean;
  /** The `host_id` of the last row read, readable or not (where the next page starts). */
  readonly lastHostId: number | undefined;
}

const HOST_COLUMNS = `h.host_id,
  CASE WHEN octet_length(h.dhcp_identifier) <= ${ROW_LIMITS.identifierBytes} THEN h.dhcp_identifier END AS dhcp_identifier,
  octet_length(h.dhcp_identifier) AS identifier_length, h.dhcp_identifier_type, h.dhcp4_subnet_id, h.ipv4_address,
  h.hostname, h.dhcp4_client_classes, h.dhcp4_next_server, h.dhcp4_server_hostname, h.dhcp4_boot_file_name,
  left(h.user_context, ${ROW_LIMITS.userContextChars + 1}) AS user_context`;

const OPTION_COLUMNS = `o.host_id, o.option_id, o.code,
  CASE WHEN octet_length(o.value) <= ${ROW_LIMITS.optionValueBytes} THEN o.value END AS value,
  octet_length(o.value) AS value_length,
  left(o.formatted_value, ${ROW_LIMITS.formattedValueChars + 1}) AS formatted_value, o.space, o.persistent`;

/** How long one query may take, on the server (`statement_timeout`) and, 5 s later, in the driver. */
const QUERY_TIMEOUT_MS = 30_000;

/** Kea's scope_id of options that belong to a host (`dhcp_option_scope`). */
const HOST_SCOPE = 3;

/**
 * Kea's PostgreSQL host backend tables (`hosts`, `dhcp4_options`; created by `kea-admin db-init pgsql`), read
 * and written the way Kea's own backend does, so that Kea and leasekeeper can share them. DHCPv6 columns and
 * tables (`ipv6_reservations`, `dhcp6_options`) are left alone; hosts without a `dhcp4_subnet_id` are
 * DHCPv6-only and not read.
 */
export class PgHostDatabase {
  readonly #pool: pg.Pool;
  readonly readonly: boolean;
  /** Where the hosts are, for logs (never the password). */
  readonly note: string;

  #verified = false;

  private constructor(pool: pg.Pool, readonly: boolean, note: string) {
    this.#pool = pool;
    this.readonly = readonly;
    this.note = note;
  }

  /** Connects and checks that the tables are Kea's; throws `HostDatabaseError` (and closes) when not. */
  static async open(spec: HostDatabaseSpec): Promise<PgHostDatabase> {
    const db = PgHostDatabase.create(spec);
    try {
      await db.verify();
    } catch (error) {
      await db.close();
      throw error;
    }
    return db;
  }

  /** The database object without any I/O yet (node-postgres connects on the first query); see `verify`. */
  static create(spec: HostDatabaseSpec): PgHostDatabase {
    const base =
      typeof spec.connection === 'string' ? { connectionString: spec.connection } : spec.connection;
    // A database that accepts a query and never answers must not stall refreshes and commands forever.
    const pool = new (pgDriver().Pool)({
      statement_timeout: QUERY_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS + 5_000,
      ...base,
      max: 2,
      application_name: 'leasekeeper-hosts',
    });
    // An idle connection the server drops must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    return new PgHostDatabase(pool, spec.readonly, spec.note);
  }

  /** Whether `verify` succeeded once. */
  get verified(): boolean {
    return this.#verified;
  }

  /** Connects and checks the tables are Kea's; throws `HostDatabaseError` saying which failed. */
  async verify(): Promise<void> {
    const fail = (what: string, error: unknown): never => {
      const detail = error instanceof Error ? error.message : String(error);
      throw new HostDatabaseError(`${this.note}: ${what}: ${detail}`, { cause: error });
    };
    try {
      (await this.#pool.connect()).release();
    } catch (error) {
      fail('cannot connect', error);
    }
    try {
      await this.#pool.query(`SELECT ${HOST_COLUMNS} FROM hosts AS h LIMIT 0`);
      await this.#pool.query(`SELECT ${OPTION_COLUMNS} FROM dhcp4_options AS o LIMIT 0`);
    } catch (error) {
      fail("not Kea's hosts schema (create it with kea-admin db-init pgsql)", error);
    }
    this.#verified = true;
  }

  /**
   * A digest of every DHCPv4 host and host option: the same digest means nothing changed, so the periodic
   * refresh transfers one line instead of the table.
   */
  async digest(): Promise<string> {
    const { rows } = await this.#pool.query<{ digest: string }>(
      // A sum of 64-bit row hashes: no sort and no aggregate string, and any row added, removed or changed
      // changes it (row text includes host_id and option_id).
      `SELECT (SELECT count(*) || '/' || coalesce(sum(hashtextextended(h::text, 0)), 0)
                 FROM hosts AS h WHERE h.dhcp4_subnet_id IS NOT NULL) || ':' ||
              (SELECT count(*) || '/' || coalesce(sum(hashtextextended(o::text, 0)), 0)
                 FROM dhcp4_options AS o WHERE o.scope_id = ${HOST_SCOPE} AND o.host_id IS NOT NULL) AS digest`,
    );
    return rows[0]?.digest ?? '';
  }

  /** Hosts matching `filter` (all DHCPv4 hosts by default), at most `limit`, from one snapshot. */
  async load(limit: number, filter: HostFilter = {}): Promise<HostLoad> {
    const params: unknown[] = [];
    const where = ['h.dhcp4_subnet_id IS NOT NULL'];
    const param = (v: unknown): string => `$${params.push(v)}`;
    if (filter.subnetId !== undefined) where.push(`h.dhcp4_subnet_id = ${param(filter.subnetId)}`);
    if (filter.identifier !== undefined)
      where.push(
        `h.dhcp_identifier_type = ${param(filter.identifier.type)} AND h.dhcp_identifier = ${param(filter.identifier.bytes)}`,
      );
    if (filter.address !== undefined) where.push(`h.ipv4_address = ${param(filter.address)}`);
    if (filter.hostname !== undefined) where.push(`lower(h.hostname) = lower(${param(filter.hostname)})`);
    if (filter.afterHostId !== undefined) where.push(`h.host_id > ${param(filter.afterHostId)}`);
    const selected = `SELECT h.host_id FROM hosts AS h WHERE ${where.join(' AND ')} ORDER BY h.host_id LIMIT ${param(limit + 1)}`;
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const hosts = await client.query<KeaHostRow>(
        `SELECT ${HOST_COLUMNS} FROM hosts AS h WHERE h.host_id IN (${selected}) ORDER BY h.host_id`,
        params,
      );
      // At most one option beyond the limit per host: enough to know the host has too many.
      const options = await client.query<KeaOptionRow>(
        `SELECT * FROM (SELECT ${OPTION_COLUMNS},
            row_number() OVER (PARTITION BY o.host_id ORDER BY o.option_id) AS n
          FROM dhcp4_options AS o WHERE o.scope_id = ${HOST_SCOPE} AND o.host_id IN (${selected})) AS x
         WHERE x.n <= ${ROW_LIMITS.optionsPerHost + 1} ORDER BY x.host_id, x.option_id`,
        params,
      );
      await client.query('COMMIT');
      return decode(hosts.rows, options.rows, limit);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Inserts a host and its options in one transaction, as Kea's backend does. Resolves `exists` when the
   * subnet already has a host with this identifier or, for a reserved address, with this address.
   */
  async add(host: HostInsert): Promise<'added' | 'exists'> {
    this.#writable();
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      // Serializes adds across servers: the address check below and the insert must not interleave.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('leasekeeper hosts add'))`);
      const clash = await client.query(
        `SELECT 1 FROM hosts WHERE dhcp4_subnet_id = $1
            AND ((dhcp_identifier_type = $2 AND dhcp_identifier = $3) OR ($4::bigint <> 0 AND ipv4_address = $4))
          LIMIT 1`,
        [host.subnetId, host.identifierType, host.identifier, host.ipv4Address],
      );
      if (clash.rowCount !== 0) {
        await client.query('ROLLBACK');
        return 'exists';
      }
      const inserted = await client.query<{ host_id: number }>(
        `INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, dhcp6_subnet_id, ipv4_address,
            hostname, dhcp4_client_classes, dhcp6_client_classes, user_context, dhcp4_next_server,
            dhcp4_server_hostname, dhcp4_boot_file_name, auth_key)
          VALUES ($1, $2, $3, NULL, $4, $5, $6, '', $7, $8, $9, $10, NULL) RETURNING host_id`,
        [
          host.identifier,
          host.identifierType,
          host.subnetId,
          host.ipv4Address,
          host.hostname,
          host.clientClasses,
          host.userContext,
          host.nextServer,
          host.serverHostname,
          host.bootFileName,
        ],
      );
      const hostId = inserted.rows[0]!.host_id;
      for (const o of host.options)
        await client.query(
          `INSERT INTO dhcp4_options (code, value, formatted_value, space, persistent, user_context, host_id, scope_id)
            VALUES ($1, $2, $3, $4, $5, NULL, $6, ${HOST_SCOPE})`,
          [o.code, o.value, o.formattedValue, o.space, o.persistent, hostId],
        );
      await client.query('COMMIT');
      return 'added';
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      // unique_violation: another server inserted the same identifier meanwhile.
      if ((error as { code?: unknown }).code === '23505') return 'exists';
      throw error;
    } finally {
      client.release();
    }
  }

  /** Deletes the subnet's host with this identifier or reserved address (options go by cascade). */
  async del(
    subnetId: number,
    selector:
      | { readonly identifier: { readonly type: number; readonly bytes: Buffer } }
      | { readonly address: number },
  ): Promise<boolean> {
    this.#writable();
    const result =
      'address' in selector
        ? await this.#pool.query('DELETE FROM hosts WHERE dhcp4_subnet_id = $1 AND ipv4_address = $2', [
            subnetId,
            selector.address,
          ])
        : await this.#pool.query(
            'DELETE FROM hosts WHERE dhcp4_subnet_id = $1 AND dhcp_identifier_type = $2 AND dhcp_identifier = $3',
            [subnetId, selector.identifier.type, selector.identifier.bytes],
          );
    return (result.rowCount ?? 0) > 0;
  }

  async close(): Promise<void> {
    await this.#pool.end().catch(() => undefined);
  }

  #writable(): void {
    if (this.readonly) throw new HostDatabaseError(`${this.note} is configured readonly`);
  }
}

function decode(
  hostRows: readonly KeaHostRow[],
  optionRows: readonly KeaOptionRow[],
  limit: number,
): HostLoad {
  const byHost = new Map<number, KeaOptionRow[]>();
  for (const o of optionRows) {
    let list = byHost.get(o.host_id);
    if (list === undefined) byHost.set(o.host_id, (list = []));
    list.push(o);
  }
  const hosts: DatabaseHost[] = [];
  const errors: string[] = [];
  const rows = hostRows.slice(0, limit);
  for (const row of rows) {
    const outcome = hostFromRows(row, byHost.get(row.host_id) ?? []);
    if (outcome.ok) hosts.push(outcome.host);
    else errors.push(outcome.error);
  }
  return { hosts, errors, truncated: hostRows.length > limit, lastHostId: rows.at(-1)?.host_id };
}
