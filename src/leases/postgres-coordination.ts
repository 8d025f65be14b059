import type pg from 'pg';
import { GroupCommit, settleByIndex, type Queued } from './group-commit.ts';

/**
 * What servers sharing one PostgreSQL lease database tell each other through it in active-active HA: who is
 * alive (a heartbeat row per server, timed by the database's clock so no two hosts' clocks are compared),
 * and which address each has offered (a short-lived claim per address, so two servers never offer one
 * address to two clients; a claim nobody confirms expires by itself).
 */
// UNLOGGED: no WAL, so a claim or a heartbeat costs no disk flush (a lease commit does). Neither survives a
// database crash nor reaches a standby, and neither needs to: heartbeats are rewritten within a second and a
// lost claim only lets two servers offer one address, which the lease commit's row lock still settles.
const TABLES = `
CREATE UNLOGGED TABLE IF NOT EXISTS leasekeeper_server (
  name text PRIMARY KEY,
  seen_at timestamptz NOT NULL
);
CREATE UNLOGGED TABLE IF NOT EXISTS leasekeeper_offer4 (
  address bigint PRIMARY KEY,
  hw_address text NOT NULL,
  client_id text,
  server text NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS leasekeeper_offer4_expires ON leasekeeper_offer4 (expires_at);
`;

/** Who holds a claim this server could not take. */
export interface OfferHolder {
  readonly hwAddress: string;
  readonly clientId: string | null;
  readonly server: string;
  /** Milliseconds until the claim ends, by the database's clock. */
  readonly remainingMs: number;
}

export type ClaimResult = { readonly ok: true } | { readonly ok: false; readonly holder: OfferHolder };

type Run = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

export class PgCoordination {
  readonly #run: Run;

  /**
   * One call on the store's connections (without parameters: the simple protocol), for the other tables the
   * servers share (the DDNS queue, runtime/ddns).
   */
  readonly query: (sql: string, params: unknown[]) => Promise<pg.QueryResult | pg.QueryResult[]>;

  /** `query` runs one call on the store's connections (without parameters: the simple protocol). */
  constructor(query: (sql: string, params: unknown[]) => Promise<pg.QueryResult | pg.QueryResult[]>) {
    this.query = query;
    this.#run = async (sql, params) => {
      const res = await query(sql, params);
      return Array.isArray(res) ? [] : (res.rows as Record<string, unknown>[]);
    };
  }

  /** Creates the two tables when missing (serialized like the lease schema). */
  async ensure(): Promise<void> {
    // One simple-protocol query runs on one connection: the lock holds for the whole transaction.
    await this.#run(
      `BEGIN; SELECT pg_advisory_xact_lock(hashtext('leasekeeper coordination')); ${TABLES} COMMIT;`,
      [],
    );
  }

  /** Marks `name` alive now and forgets claims long past their end. */
  async heartbeat(name: string): Promise<void> {
    await this.#run(
      `INSERT INTO leasekeeper_server (name, seen_at) VALUES ($1, now())
       ON CONFLICT (name) DO UPDATE SET seen_at = now()`,
      [name],
    );
    await this.#run(`DELETE FROM leasekeeper_offer4 WHERE expires_at < now() - interval '60 seconds'`, []);
  }

  /** The servers whose heartbeat is younger than `windowMs`, sorted. */
  async alive(windowMs: number): Promise<string[]> {
    const rows = await this.#run(
      `SELECT name FROM leasekeeper_server WHERE seen_at > now() - make_interval(secs => $1) ORDER BY name`,
      [windowMs / 1000],
    );
    return rows.map((r) => String(r['name']));
  }

  /** A clean stop: the others take this server's clients at their next heartbeat instead of after a timeout. */
  async leave(name: string): Promise<void> {
    await this.#run('DELETE FROM leasekeeper_server WHERE name = $1', [name]);
  }

  /**
   * Claims `address` for an offer to this client for `seconds`: granted when nobody holds it, when the claim
   * expired, or when it is this same client's (renewed). Otherwise says who holds it. The claims of one
   * event-loop turn go to the database in one statement (as lease commits do), so a burst of DISCOVERs
   * costs one round trip.
   */
  claimOffer(
    address: number,
    hwAddress: string,
    clientId: string | null,
    server: string,
    seconds: number,
  ): Promise<ClaimResult> {
    return this.#claims.submit<ClaimResult>({ address, hwAddress, clientId, server, seconds });
  }

  readonly #claims = new GroupCommit<Claim>({
    maxBatch: MAX_CLAIM_BATCH,
    commit: (batch) => this.#claimBatch(batch),
  });

  async #claimBatch(claims: readonly Queued<Claim>[]): Promise<void> {
    const batch = claims.map((c) => c.op);
    let rows: Record<string, unknown>[];
    try {
      // The outer SELECT sees the table as it was before the INSERT: for a refused claim, its holder.
      rows = await this.#run(
        `WITH input AS (
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::float8[])
             WITH ORDINALITY AS t(address, hw, cid, server, secs, ord)
         ), ins AS (
           INSERT INTO leasekeeper_offer4 AS o (address, hw_address, client_id, server, expires_at)
           SELECT DISTINCT ON (address) address, hw, cid, server, now() + make_interval(secs => secs)
             FROM input ORDER BY address, ord
           ON CONFLICT (address) DO UPDATE
             SET hw_address = EXCLUDED.hw_address, client_id = EXCLUDED.client_id,
                 server = EXCLUDED.server, expires_at = EXCLUDED.expires_at
             WHERE o.expires_at <= now()
                OR (o.hw_address = EXCLUDED.hw_address AND o.client_id IS NOT DISTINCT FROM EXCLUDED.client_id)
           RETURNING o.address, o.hw_address, o.client_id
         )
         SELECT i.ord, ins.address IS NOT NULL AS ok, cur.hw_address, cur.client_id, cur.server,
                GREATEST(0, EXTRACT(EPOCH FROM (cur.expires_at - now())) * 1000)::float8 AS remaining
           FROM input i
           LEFT JOIN ins ON ins.address = i.address AND ins.hw_address = i.hw
                        AND ins.client_id IS NOT DISTINCT FROM i.cid
           LEFT JOIN leasekeeper_offer4 cur ON cur.address = i.address`,
        [
          batch.map((c) => c.address),
          batch.map((c) => c.hwAddress),
          batch.map((c) => c.clientId),
          batch.map((c) => c.server),
          batch.map((c) => c.seconds),
        ],
      );
    } catch (error) {
      for (const c of claims) c.reject(error);
      return;
    }
    settleByIndex(
      claims,
      rows,
      (r) => Number(r['ord']) - 1,
      (c, r) =>
        c.resolve(
          r['ok'] === true
            ? { ok: true }
            : {
                ok: false,
                holder: {
                  // Gone between the INSERT's check and now (expired and swept): the next DISCOVER tries again.
                  hwAddress: r['hw_address'] === null ? '' : String(r['hw_address']),
                  clientId:
                    r['client_id'] === null || r['client_id'] === undefined ? null : String(r['client_id']),
                  server: r['server'] === null ? '' : String(r['server']),
                  remainingMs: r['remaining'] === null ? 0 : Number(r['remaining']),
                },
              },
        ),
      () => new Error('the offer claim returned no outcome'),
    );
  }
}

/** One offer claim in a batch. */
interface Claim {
  readonly address: number;
  readonly hwAddress: string;
  readonly clientId: string | null;
  readonly server: string;
  readonly seconds: number;
}

/** Claims in one statement at most (bounded arrays). */
const MAX_CLAIM_BATCH = 500;
