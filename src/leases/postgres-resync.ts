import type pg from 'pg';
import type { ChangeHub } from './changes.ts';
import type { Lease } from './lease.ts';
import { LEASE_TABLE, REMOVED_TABLE } from './postgres-names.ts';
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

/**
 * The addresses this store wrote itself while a re-read runs. A page read before one of our commits may arrive
 * after that commit was reported; its row for that address is then older than what we know (our own
 * announcements are skipped, so nothing would correct it), and is dropped. Kept only during a re-read.
 */
export class LocalWrites {
  #count = 0;
  #active = 0;
  readonly #last = new Map<string, number>();

  constructor(changes: ChangeHub) {
    changes.subscribe((c) => {
      if (c.origin === 'local' && this.#active > 0) this.#last.set(c.lease.address, ++this.#count);
    });
  }

  begin(): void {
    this.#active++;
  }

  end(): void {
    if (--this.#active === 0) this.#last.clear();
  }

  /** Taken before a page's query is sent. */
  mark(): number {
    return this.#count;
  }

  /** Whether we reported a write of `address` after `mark` was taken. */
  wroteSince(address: string, mark: number): boolean {
    return (this.#last.get(address) ?? 0) > mark;
  }
}

export interface ResyncOptions {
  readonly client: pg.ClientBase;
  /** A snapshot taken while notifications were reaching this server (`SNAPSHOT`'s result). */
  readonly since: string;
  /** Each re-read row as the change notifications would have reported it (`origin: 'remote'`). */
  readonly deliver: (change: LeaseChange) => void;
  /** A row that cannot be read; it is skipped and the others still delivered. */
  readonly onBadRow: (error: unknown) => void;
  readonly pageSize?: number;
  /** This store's own writes, so a page read before one of them cannot undo it. */
  readonly localWrites?: LocalWrites;
  /** Checked between pages: true stops the re-read (the listener was stopped). */
  readonly cancelled?: () => boolean;
}

/**
 * Re-reads every lease written or removed by a transaction that the snapshot `since` does not see, page by
 * page, and delivers each as an `added` (its current row) or `removed` change. Resolves to the rows re-read.
 * Writes are not blocked: each page is its own statement.
 */
export async function resyncChangedSince(o: ResyncOptions): Promise<number> {
  o.localWrites?.begin();
  try {
    return await resyncPages(o);
  } finally {
    o.localWrites?.end();
  }
}

async function resyncPages(o: ResyncOptions): Promise<number> {
  const pageSize = o.pageSize ?? RESYNC_PAGE;
  let total = await readPages(o, CHANGED_ROWS, pageSize, (row) => {
    const lease = rowToLease(row);
    return { kind: 'added', lease, previous: null, origin: 'remote' };
  });
  if (o.cancelled?.() === true) return total;
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
    const mark = o.localWrites?.mark() ?? 0;
    const { rows } = await o.client.query<{ address: number }>(sql, [o.since, after, pageSize]);
    for (const row of rows) {
      let change: LeaseChange;
      try {
        change = toChange(row);
      } catch (error) {
        o.onBadRow(error);
        continue;
      }
      if (o.localWrites?.wroteSince(change.lease.address, mark) !== true) o.deliver(change);
    }
    total += rows.length;
    if (rows.length < pageSize || o.cancelled?.() === true) return total;
    after = Number(rows[rows.length - 1]!.address);
    // Let timers and packets run between pages: a long outage may have changed many rows.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
