import type pg from 'pg';
import type { Lease } from './lease.ts';
import { LEASE_TABLE, REMOVED_TABLE } from './postgres-schema.ts';
import { LEASE_COLUMNS, rowToLease } from './row.ts';
import type { LeaseChange } from './store.ts';

/** Rows per query when catching up: one page is read, delivered and the event loop let go before the next. */
export const RESYNC_PAGE = 500;

/** Changed by a transaction that `$1` (a pg_snapshot) does not see; `$2` is the page's exclusive start address. */
const CHANGED_AFTER = `change_xid >= pg_snapshot_xmin($1::pg_snapshot)
  AND NOT pg_visible_in_snapshot(change_xid, $1::pg_snapshot) AND address > $2`;

const CHANGED_ROWS = `SELECT ${LEASE_COLUMNS} FROM ${LEASE_TABLE} WHERE ${CHANGED_AFTER} ORDER BY address LIMIT $3`;

/** Removed since the snapshot and not written again (a row written again is read as it is now instead). */
const REMOVED_ROWS = `SELECT address, removed FROM ${REMOVED_TABLE} r WHERE ${CHANGED_AFTER}
  AND NOT EXISTS (SELECT 1 FROM ${LEASE_TABLE} l WHERE l.address = r.address) ORDER BY address LIMIT $3`;

/** Takes the snapshot that later catch-ups compare against; run it on the LISTEN connection once it listens. */
export const SNAPSHOT = 'SELECT pg_current_snapshot()::text AS snapshot';

export interface ResyncOptions {
  readonly client: pg.ClientBase;
  /** A snapshot taken while notifications were reaching this server (`SNAPSHOT`'s result). */
  readonly since: string;
  /** Each re-read row as the change notifications would have reported it (`origin: 'remote'`). */
  readonly deliver: (change: LeaseChange) => void;
  /** A row that cannot be read; it is skipped and the others still delivered. */
  readonly onBadRow: (error: unknown) => void;
  readonly pageSize?: number;
}

/**
 * Re-reads every lease written or removed by a transaction that the snapshot `since` does not see, page by
 * page, and delivers each as an `added` (its current row) or `removed` change. Resolves to the rows re-read.
 * Writes are not blocked: each page is its own statement.
 */
export async function resyncChangedSince(o: ResyncOptions): Promise<number> {
  const pageSize = o.pageSize ?? RESYNC_PAGE;
  let total = await readPages(o, CHANGED_ROWS, pageSize, (row) => {
    const lease = rowToLease(row);
    return { kind: 'added', lease, previous: null, origin: 'remote' };
  });
  total += await readPages(o, REMOVED_ROWS, pageSize, (row) => {
    const lease: Lease = rowToLease((row as { removed: unknown }).removed);
    return { kind: 'removed', lease, previous: lease, origin: 'remote' };
  });
  return total;
}

async function readPages(
  o: ResyncOptions,
  sql: string,
  pageSize: number,
  toChange: (row: unknown) => LeaseChange,
): Promise<number> {
  let after = -1;
  let total = 0;
  for (;;) {
    const { rows } = await o.client.query<{ address: number }>(sql, [o.since, after, pageSize]);
    for (const row of rows) {
      try {
        o.deliver(toChange(row));
      } catch (error) {
        o.onBadRow(error);
      }
    }
    total += rows.length;
    if (rows.length < pageSize) return total;
    after = Number(rows[rows.length - 1]!.address);
    // Let timers and packets run between pages: a long outage may have changed many rows.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
