import type { Db } from './sqlite-sql.ts';

/**
 * The lease count at the last clean close, so the next start can tell when leases went missing in between (a
 * file replaced by an older copy, a WAL deleted or damaged, rows edited away). A table of its own, created on
 * demand, so schema version 1 files stay readable by earlier versions.
 */
const META =
  'CREATE TABLE IF NOT EXISTS leasekeeper_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT';

/** Writes the count at a clean close. Never throws: a full disk must not turn a clean close into a failure. */
export function recordCleanClose(db: Db, now: number): void {
  try {
    db.transaction(() => {
      db.exec(META);
      const leases = db.prepare('SELECT count(*) FROM lease4').pluck().get() as number;
      const put = db.prepare('INSERT OR REPLACE INTO leasekeeper_meta (key, value) VALUES (?, ?)');
      put.run('leases_at_close', leases);
      put.run('closed_at', now);
    }).immediate();
  } catch {
    // Without the record the next start simply has nothing to compare with.
  }
}

/**
 * At open: compares the count now with the one recorded at the last clean close, and consumes the record (a
 * crash later in this run must not be compared with it: leases removed meanwhile are legitimate). Returns a
 * warning when leases are missing, else null.
 */
export function takeCloseRecord(db: Db): string | null {
  return db
    .transaction(() => {
      db.exec(META);
      const rows = db.prepare('SELECT key, value FROM leasekeeper_meta').all() as {
        key: string;
        value: number;
      }[];
      const value = (key: string): number | undefined => rows.find((r) => r.key === key)?.value;
      const before = value('leases_at_close');
      const closedAt = value('closed_at');
      db.prepare("DELETE FROM leasekeeper_meta WHERE key IN ('leases_at_close', 'closed_at')").run();
      if (before === undefined) return null;
      const now = db.prepare('SELECT count(*) FROM lease4').pluck().get() as number;
      if (now >= before) return null;
      const when =
        closedAt === undefined
          ? 'the last clean shutdown'
          : `the clean shutdown at ${new Date(closedAt).toISOString()}`;
      return (
        `${db.name} holds ${before - now} leases fewer than at ${when} (${now} now, ${before} then): the file was ` +
        'replaced by an older copy, edited, or its WAL was lost or damaged; those clients get new leases as they ask'
      );
    })
    .immediate();
}
