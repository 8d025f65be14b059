import type pg from 'pg';
import { LeaseStoreOpenError } from './errors.ts';
import { lease4Columns } from './postgres-migrate.ts';
import { LEASE_TABLE } from './postgres-names.ts';

/** Records that Kea's leases were imported (or that there was nothing to import), so it happens once. */
export const KEA_IMPORT_TABLE = 'leasekeeper_kea_import';

export interface KeaImportResult {
  /** Rows in Kea's `lease4`. */
  readonly keaRows: number;
  /** Active leases there: default or declined, not yet expired. */
  readonly active: number;
  /** Active leases copied into our table. */
  readonly imported: number;
}

/** The columns of Kea's lease4 the import reads (Kea's dhcpdb_create.pgsql; user_context since Kea's schema 5.0). */
const KEA_COLUMNS = [
  'address',
  'hwaddr',
  'client_id',
  'valid_lifetime',
  'expire',
  'subnet_id',
  'fqdn_fwd',
  'fqdn_rev',
  'hostname',
  'state',
  'user_context',
];

/** Colon hex of a bytea, as our text columns hold hardware addresses and client ids. */
const colonHex = (column: string): string =>
  `regexp_replace(encode(${column}, 'hex'), '(..)(?=.)', '\\1:', 'g')`;

/** Kea's active leases: default (0) or declined (1) and not expired. Expired and reclaimed ones are free. */
const ACTIVE = `k.state IN (0, 1) AND isfinite(k.expire) AND k.expire > now() AND k.expire < '9999-01-01'`;

/**
 * Kea's columns to ours (Kea's dhcpdb_create.pgsql: hwaddr/client_id bytea, expire timestamptz, fqdn_* boolean,
 * '' for no hostname). A row our store could not read back is left out: an address or subnet outside uint32,
 * a hardware address over 20 octets, and its client id or user context dropped when not valid.
 */
const IMPORT = `
CREATE FUNCTION pg_temp.leasekeeper_json_object(t text) RETURNS boolean LANGUAGE plpgsql AS $fn$
BEGIN
  RETURN jsonb_typeof(t::jsonb) = 'object';
EXCEPTION WHEN others THEN
  RETURN false;
END
$fn$;
INSERT INTO ${LEASE_TABLE} (address, hw_address, client_id, subnet_id, valid_lifetime, cltt, expires_at, hostname,
                            state, user_context, fqdn_fwd, fqdn_rev)
SELECT k.address,
       COALESCE(${colonHex('k.hwaddr')}, ''),
       CASE WHEN octet_length(k.client_id) BETWEEN 2 AND 255 THEN ${colonHex('k.client_id')} END,
       k.subnet_id,
       k.valid_lifetime,
       t.expires_at - k.valid_lifetime * 1000,
       t.expires_at,
       NULLIF(k.hostname, ''),
       k.state,
       CASE WHEN pg_temp.leasekeeper_json_object(k.user_context) THEN k.user_context END,
       CASE WHEN k.fqdn_fwd THEN 1 ELSE 0 END,
       CASE WHEN k.fqdn_rev THEN 1 ELSE 0 END
  FROM lease4 k, LATERAL (SELECT (extract(epoch FROM k.expire) * 1000)::bigint AS expires_at) t
 WHERE ${ACTIVE}
   AND k.address BETWEEN 0 AND 4294967295
   AND k.subnet_id BETWEEN 0 AND 4294967295
   AND k.valid_lifetime BETWEEN 0 AND 4294967295
   AND octet_length(COALESCE(k.hwaddr, '')) <= 20
   AND (k.hostname IS NULL OR length(k.hostname) <= 255)
ON CONFLICT (address) DO NOTHING`;

/**
 * On the first start against a database where Kea kept its leases, copies Kea's active leases into our table
 * so that no address a Kea server handed out is handed out again. Runs inside the caller's schema transaction
 * (under its advisory lock), only when Kea's `lease4` exists, our table is empty and no import was recorded.
 * Kea's table is only read: going back to Kea stays possible. Returns null when nothing was done.
 */
export async function importKeaLeases(client: pg.ClientBase): Promise<KeaImportResult | null> {
  const columns = await lease4Columns(client);
  if (!columns.has('hwaddr') || !columns.has('expire')) return null;
  const missing = KEA_COLUMNS.filter((c) => !columns.has(c));
  if (missing.length > 0) {
    // Skipping would hand Kea's leases out again: refuse, and say how to go on.
    throw new LeaseStoreOpenError(
      `Kea's lease4 table lacks ${missing.join(', ')} (Kea schema before version 5.0): run ` +
        `"kea-admin db-upgrade pgsql" on the database first, or set "import-kea-leases": false in the ` +
        `lease-database's user-context to start without Kea's leases`,
    );
  }
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${KEA_IMPORT_TABLE} (
       imported_at timestamptz NOT NULL, kea_rows bigint NOT NULL, imported bigint NOT NULL)`,
  );
  const done = await client.query(`SELECT 1 FROM ${KEA_IMPORT_TABLE} LIMIT 1`);
  if (done.rows.length > 0) return null;
  const ours = await client.query(`SELECT 1 FROM ${LEASE_TABLE} LIMIT 1`);
  if (ours.rows.length > 0) return null;
  const counts = await client.query<{ total: string; active: string }>(
    `SELECT count(*) AS total, count(*) FILTER (WHERE ${ACTIVE}) AS active FROM lease4 k`,
  );
  const keaRows = Number(counts.rows[0]?.total ?? 0);
  const active = Number(counts.rows[0]?.active ?? 0);
  const inserted = await client.query(IMPORT);
  const results = Array.isArray(inserted) ? (inserted as pg.QueryResult[]) : [inserted];
  const imported = results.at(-1)?.rowCount ?? 0;
  await client.query(`DROP FUNCTION pg_temp.leasekeeper_json_object(text)`);
  await client.query(
    `INSERT INTO ${KEA_IMPORT_TABLE} (imported_at, kea_rows, imported) VALUES (now(), $1, $2)`,
    [keaRows, imported],
  );
  return { keaRows, active, imported };
}

/** The start-up log line for an import. */
export function keaImportNote(result: KeaImportResult): string {
  const skipped = result.active - result.imported;
  return (
    `imported ${result.imported} active lease(s) from Kea's lease4 table (${result.keaRows} row(s) there` +
    (skipped > 0 ? `, ${skipped} active one(s) unreadable and left out` : '') +
    `) into ${LEASE_TABLE}; Kea's table is left as it was`
  );
}
