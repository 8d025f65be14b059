/** A SQLite lease file for the benches, written straight through its schema (fast: 50,000 rows a transaction). */
import Database from 'better-sqlite3';
import { ipv4ToInt } from '../src/config/ipv4.ts';
import type { Lease } from '../src/leases/lease.ts';
import { openLeaseStore } from '../src/leases/open.ts';
import { LEASE_COLUMNS, leaseToRow } from '../src/leases/row.ts';

/** Writes `leases` into a lease file the store creates at `path` (its schema, its row form). */
export async function writeLeaseFile(path: string, leases: Iterable<Lease>): Promise<void> {
  const store = await openLeaseStore({ type: 'sqlite', path });
  await store.close();
  const db = new Database(path);
  const insert = db.prepare(
    `INSERT INTO lease4 (${LEASE_COLUMNS}) VALUES (${LEASE_COLUMNS.split(',')
      .map(() => '?')
      .join(', ')})`,
  );
  const batch = db.transaction((rows: Lease[]) => {
    for (const l of rows) insert.run(...Object.values(leaseToRow(l, ipv4ToInt(l.address))));
  });
  let rows: Lease[] = [];
  for (const l of leases) {
    rows.push(l);
    if (rows.length === 50_000) {
      batch(rows);
      rows = [];
    }
  }
  batch(rows);
  db.close();
}
