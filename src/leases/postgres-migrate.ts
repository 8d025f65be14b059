import type pg from 'pg';
import { LEASE_TABLE } from './postgres-names.ts';

/** The indexes version 1 made on its `lease4`, each renamed to `${LEASE_TABLE}_<suffix>`. */
const OLD_INDEX_SUFFIXES = ['pkey', 'client_id', 'hw_address', 'subnet', 'expires', 'hostname'];

/** The columns of `lease4` in this schema, lower-case; empty when there is no such table. */
export async function lease4Columns(client: pg.ClientBase): Promise<Set<string>> {
  const { rows } = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'lease4'`,
  );
  return new Set(rows.map((r) => r.column_name));
}

/**
 * Moves version 1's lease table, `lease4` with our columns, to `LEASE_TABLE` with its indexes, constraint and
 * trigger, inside the caller's transaction (which holds the schema advisory lock). A `lease4` with Kea's
 * columns (`hwaddr`, `expire`) is Kea's and is never touched. Returns whether a table was moved.
 */
export async function renameVersion1Table(client: pg.ClientBase): Promise<boolean> {
  const columns = await lease4Columns(client);
  if (!columns.has('hw_address') || !columns.has('expires_at') || columns.has('hwaddr')) return false;
  const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [LEASE_TABLE]);
  if (exists.rows[0]?.t !== null) return false;
  await client.query('DROP TRIGGER IF EXISTS lease4_notify ON lease4');
  await client.query(`ALTER TABLE lease4 RENAME TO ${LEASE_TABLE}`);
  for (const suffix of OLD_INDEX_SUFFIXES) {
    await client.query(`ALTER INDEX IF EXISTS lease4_${suffix} RENAME TO ${LEASE_TABLE}_${suffix}`);
  }
  const check = await client.query(
    `SELECT 1 FROM pg_constraint WHERE conrelid = $1::regclass AND conname = 'lease4_address_check'`,
    [LEASE_TABLE],
  );
  if (check.rows.length > 0) {
    await client.query(
      `ALTER TABLE ${LEASE_TABLE} RENAME CONSTRAINT lease4_address_check TO ${LEASE_TABLE}_address_check`,
    );
  }
  return true;
}
