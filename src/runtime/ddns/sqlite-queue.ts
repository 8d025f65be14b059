import { readFileSync, statSync, unlinkSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { entryFromRow, validStoredChange, type DdnsQueueStorage, type StoredEntry } from './queue-storage.ts';

/**
 * The DDNS queue in table `ddns_queue` of the SQLite lease file (lease schema 3 creates it). One server owns a
 * lease file: it runs every pending row at start. Its own connection, which never makes the event loop wait:
 * no busy wait (a locked database is retried on a timer), and no fsync of its own (`synchronous = NORMAL`: the
 * rows survive a crash of the process at once, and power loss from the next lease commit, whose fsync of the
 * WAL covers them too), and no checkpoints (the store's writer runs them).
 */

/** The queue file of earlier versions, kept beside the lease file; migrated into the table once. */
export const sidecarFile = (leaseFile: string): string => `${leaseFile}.ddns-queue.json`;
const MAX_SIDECAR_BYTES = 32 * 1024 * 1024;
const MAX_SIDECAR_ENTRIES = 65_536;
const BUSY_RETRIES = 60;
/** Rows per transaction of the queue's writes. */
const CHUNK = 128;

const COLUMNS = 'key, queued_at, kind, fqdn, address, dhcid, ttl, forward, reverse, mode';
type Row = [string, number, string, string, string, string, number, number, number, string];

function row(e: StoredEntry): Row {
  const c = e.change;
  return [
    e.key,
    e.queuedAt,
    c.kind,
    c.fqdn,
    c.address,
    c.dhcid,
    c.ttl,
    c.forward ? 1 : 0,
    c.reverse ? 1 : 0,
    c.mode,
  ];
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED';
}

export interface SqliteQueueNotes {
  /** What the migration of the earlier queue file did (for the start-up log). */
  readonly notes: readonly string[];
  readonly warnings: readonly string[];
}

export class SqliteQueueStorage implements DdnsQueueStorage {
  readonly where: string;
  readonly #db: BetterSqlite3.Database;
  readonly #insert: BetterSqlite3.Statement;
  readonly #delete: BetterSqlite3.Statement;

  private constructor(db: BetterSqlite3.Database, path: string) {
    this.#db = db;
    this.where = `table ddns_queue of ${path}`;
    this.#insert = db.prepare(
      `INSERT OR IGNORE INTO ddns_queue (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#delete = db.prepare('DELETE FROM ddns_queue WHERE key = ?');
  }

  /**
   * Opens the lease file (its store has created or migrated the schema) and moves the earlier versions' queue
   * file into the table, then removes it.
   */
  static async open(path: string): Promise<{ storage: SqliteQueueStorage } & SqliteQueueNotes> {
    const Driver = (await import('better-sqlite3')).default;
    const db = new Driver(path, { fileMustExist: true, timeout: 0 });
    try {
      db.pragma('synchronous = NORMAL');
      db.pragma('wal_autocheckpoint = 0');
      const storage = new SqliteQueueStorage(db, path);
      return { storage, ...(await storage.#migrateSidecar(path)) };
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async take(limit: number): Promise<StoredEntry[]> {
    const rows = this.#db
      .prepare(`SELECT ${COLUMNS} FROM ddns_queue ORDER BY queued_at, key LIMIT ?`)
      .all(Math.max(0, limit)) as Record<string, unknown>[];
    return rows.map(entryFromRow).filter((e) => e !== undefined);
  }

  /**
   * In transactions of at most CHUNK rows with a turn of the event loop between them, so a burst of a thousand
   * changes does not hold the thread for one long transaction. Inserts and deletes are idempotent: a write cut
   * short is simply written again.
   */
  async write(added: readonly StoredEntry[], done: readonly string[]): Promise<void> {
    for (let i = 0; i < done.length + added.length; i += CHUNK) {
      if (i > 0) await new Promise((r) => setImmediate(r));
      await this.#transaction(() => {
        for (const key of done.slice(i, i + CHUNK)) this.#delete.run(key);
        const from = Math.max(0, i - done.length);
        const to = Math.max(0, i + CHUNK - done.length);
        for (const e of added.slice(from, to)) this.#insert.run(...row(e));
      });
    }
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  /** BEGIN IMMEDIATE without waiting on the lock: a busy database is tried again a few ms later. */
  async #transaction(body: () => void): Promise<void> {
    const run = this.#db.transaction(body);
    for (let attempt = 0; ; attempt++) {
      try {
        run.immediate();
        return;
      } catch (error) {
        if (!isBusy(error) || attempt >= BUSY_RETRIES) throw error;
        await new Promise((r) => setTimeout(r, Math.min(100, 2 + attempt * 5)));
      }
    }
  }

  async #migrateSidecar(path: string): Promise<SqliteQueueNotes> {
    const file = sidecarFile(path);
    let text: string;
    try {
      if (statSync(file).size > MAX_SIDECAR_BYTES) {
        return { notes: [], warnings: [`${file} is larger than ${MAX_SIDECAR_BYTES} bytes; not migrated`] };
      }
      text = readFileSync(file, 'utf8');
    } catch {
      return { notes: [], warnings: [] }; // none: nothing to migrate
    }
    let list: unknown[];
    try {
      const data = JSON.parse(text) as { queue?: unknown };
      list = Array.isArray(data.queue) ? data.queue : [];
    } catch (error) {
      return { notes: [], warnings: [`${file} unreadable, left in place: ${(error as Error).message}`] };
    }
    const entries: StoredEntry[] = [];
    for (const [i, item] of list.slice(0, MAX_SIDECAR_ENTRIES).entries()) {
      const change = validStoredChange((item as { change?: unknown } | null)?.change);
      // Keys of their own, so a start cut short between the commit and the unlink does not queue them twice.
      if (change !== undefined) entries.push({ key: `file-${i}`, queuedAt: i, change });
    }
    await this.write(entries, []);
    unlinkSync(file);
    return {
      notes: [`${entries.length} pending name change(s) moved from ${file} into the lease file`],
      warnings:
        entries.length < list.length
          ? [`${list.length - entries.length} invalid entries of ${file} dropped`]
          : [],
    };
  }
}
