import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { entryFromRow, type DdnsQueueStorage, type StoredEntry } from './queue-storage.ts';

/**
 * The DDNS queue in table `leasekeeper_ddns4` of the PostgreSQL lease database, which several servers may
 * share (active-active, or a standby taking over). Each row is claimed by the server that runs it, until
 * `claimed_until` (the database's clock, so no two hosts' clocks are compared):
 * - a server queues a change under its own claim and renews its claims every `adoptEveryMs`;
 * - a clean stop hands its rows back (the claim ends at once), so whichever server starts or looks next runs them;
 * - a server that dies leaves claims that end by themselves after `claimMs`; then any live server adopts them.
 * Taking rows is `FOR UPDATE SKIP LOCKED`, so two servers looking at once never take the same row. A server cut
 * off from the database for longer than `claimMs` may run a change another has adopted: the RFC 4703 steps are
 * idempotent, so DNS ends up the same.
 */

const COLUMNS = 'key, queued_at, kind, fqdn, address, dhcid, ttl, forward, reverse, mode';
const CLAIM_MS = 60_000;

type Query = (sql: string, params: unknown[]) => Promise<pg.QueryResult | pg.QueryResult[]>;

export interface PostgresQueueOptions {
  /** One call on the lease store's connections (`PostgresLeaseStore.coordination().query`). */
  readonly query: Query;
  /** How long a claim lasts without renewal (default 60 s; the service renews every 20 s). */
  readonly claimMs?: number;
  /** This server's name in the `owner` column; default host name, process id and a random tag. */
  readonly owner?: string;
}

export class PostgresQueueStorage implements DdnsQueueStorage {
  readonly where = 'table leasekeeper_ddns4 of the PostgreSQL lease database';
  readonly owner: string;
  readonly #query: Query;
  readonly #claimMs: number;

  constructor(o: PostgresQueueOptions) {
    this.#query = o.query;
    this.#claimMs = o.claimMs ?? CLAIM_MS;
    this.owner = o.owner ?? `${hostname().slice(0, 64)}/${process.pid}/${randomUUID().slice(0, 8)}`;
  }

  take(limit: number): Promise<StoredEntry[]> {
    return this.adopt(limit, []);
  }

  /**
   * Renews the claims on the rows this server holds (only those: a row claimed but not held, which a full queue
   * turned away, runs out and is taken again) and takes, oldest first, rows whose claim has ended.
   */
  async adopt(limit: number, holds: readonly string[]): Promise<StoredEntry[]> {
    const rows = await this.#rows(
      `WITH renewed AS (
         UPDATE leasekeeper_ddns4 SET claimed_until = now() + $2 * interval '1 millisecond'
         WHERE owner = $1 AND key = ANY($4::text[])
       )
       UPDATE leasekeeper_ddns4 q SET owner = $1, claimed_until = now() + $2 * interval '1 millisecond'
       WHERE q.key IN (
         SELECT key FROM leasekeeper_ddns4 WHERE claimed_until < now() AND NOT (key = ANY($4::text[]))
         ORDER BY queued_at, key LIMIT $3 FOR UPDATE SKIP LOCKED
       )
       RETURNING ${COLUMNS.split(', ')
         .map((c) => `q.${c}`)
         .join(', ')}`,
      [this.owner, this.#claimMs, Math.max(0, limit), holds],
    );
    return rows
      .map(entryFromRow)
      .filter((e) => e !== undefined)
      .sort((a, b) => a.queuedAt - b.queuedAt || (a.key < b.key ? -1 : 1));
  }

  async write(added: readonly StoredEntry[], done: readonly string[]): Promise<void> {
    const records = added.map((e) => ({ key: e.key, queued_at: e.queuedAt, ...e.change }));
    await this.#query(
      `WITH gone AS (DELETE FROM leasekeeper_ddns4 WHERE key = ANY($1::text[]))
       INSERT INTO leasekeeper_ddns4 (${COLUMNS}, owner, claimed_until)
       SELECT ${COLUMNS}, $3, now() + $4 * interval '1 millisecond'
       FROM jsonb_to_recordset($2::jsonb) AS r(key text, queued_at bigint, kind text, fqdn text, address text,
         dhcid text, ttl bigint, forward boolean, reverse boolean, mode text)
       ON CONFLICT (key) DO NOTHING`,
      [done, JSON.stringify(records), this.owner, this.#claimMs],
    );
  }

  /** Hands the rows back: their claim ends now. */
  async close(): Promise<void> {
    await this.#query(`UPDATE leasekeeper_ddns4 SET claimed_until = '-infinity' WHERE owner = $1`, [
      this.owner,
    ]);
  }

  async #rows(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    const res = await this.#query(sql, params);
    return Array.isArray(res) ? [] : (res.rows as Record<string, unknown>[]);
  }
}
