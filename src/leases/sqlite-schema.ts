import type BetterSqlite3 from 'better-sqlite3';
import { LeaseStoreOpenError } from './errors.ts';

/** 'LK41' in PRAGMA application_id marks a file as a leasekeeper lease database. */
export const APPLICATION_ID = 0x4c4b3431;
export const SCHEMA_VERSION = 4;

/** Schema 3: the pending DNS updates (runtime/ddns), kept with the leases so a restart keeps pending removals. */
const DDNS_QUEUE = `
CREATE TABLE ddns_queue (
  key TEXT PRIMARY KEY,
  queued_at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  fqdn TEXT NOT NULL,
  address TEXT NOT NULL,
  dhcid TEXT NOT NULL,
  ttl INTEGER NOT NULL,
  forward INTEGER NOT NULL,
  reverse INTEGER NOT NULL,
  mode TEXT NOT NULL
) STRICT;
`;

/**
 * The expired-reclaimed leases by expiry, for the flush of reclaimed leases (`removeReclaimed`). An index
 * changes no row, so it is added to files of the current version in place, without a new schema version: a
 * leasekeeper that does not know it reads and writes the file all the same (SQLite keeps it up to date).
 */
const RECLAIMED_INDEX = 'CREATE INDEX IF NOT EXISTS lease4_reclaimed ON lease4 (expires_at) WHERE state = 2;';

/**
 * The indexes, each for the reads that use it (docs/leases.md, "Indexes and who reads through them"). The
 * address is the table's key. The indexes by a client's hardware address, client identifier and hostname were
 * dropped in schema 4: those keys arrive in random order, so each new lease wrote one more random index page
 * (one more WAL frame) per such index, which tripled SQLite's CPU time per lease. What read through them (rare
 * control commands, the library's lookups by client) a running server answers from the engine's index
 * (server/lease-scan.ts); the store itself scans the table (40-60 ms for a million leases), or a subnet's rows
 * through `lease4_subnet`. The index by expiry of the unreclaimed leases (`lease4_expires`) went the same way
 * (see `DROPPED_INDEXES`).
 */
const SCHEMA = `
CREATE TABLE lease4 (
  address INTEGER PRIMARY KEY CHECK (address BETWEEN 0 AND 4294967295),
  hw_address TEXT NOT NULL,
  client_id TEXT,
  subnet_id INTEGER NOT NULL,
  valid_lifetime INTEGER NOT NULL,
  cltt INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  hostname TEXT COLLATE NOCASE,
  state INTEGER NOT NULL,
  user_context TEXT,
  fqdn_fwd INTEGER NOT NULL DEFAULT 0,
  fqdn_rev INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX lease4_subnet ON lease4 (subnet_id);
${RECLAIMED_INDEX}
${DDNS_QUEUE}`;

/**
 * Schema 4 drops the indexes by client identity and hostname (see `SCHEMA`). Also run on files already at 4, so
 * a file rebuilt from an older file's `.dump` (which recreates them) loses them too.
 *
 * `lease4_expires` (`expires_at` of the leases not reclaimed) is dropped from files of schema 4 in place: an
 * index changes no row, so a leasekeeper that still knows it reads and writes the file all the same. Every
 * renewal moved the lease's entry, one more B-tree delete and insert and, where clients do not renew in the
 * order they were bound (a returning client's DORA, perfdhcp's random clients), one more random page (one more
 * WAL frame) per write; only `listExpired` of the library read through it, which now scans the table. The
 * server's reclaimer works from the engine's index and the flush of reclaimed leases through `lease4_reclaimed`.
 */
const DROPPED_INDEXES = `
DROP INDEX IF EXISTS lease4_client_id;
DROP INDEX IF EXISTS lease4_hw_address;
DROP INDEX IF EXISTS lease4_hostname;
DROP INDEX IF EXISTS lease4_expires;`;

/**
 * Creates the schema in an empty database, or checks that an existing one is ours and of a version we read.
 * Runs in an IMMEDIATE transaction so two servers opening a new file at once do not both create it.
 */
export function ensureSchema(db: BetterSqlite3.Database): void {
  db.transaction(() => {
    const appId = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    const tables = db
      .prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'")
      .pluck()
      .get() as number;
    if (appId === 0 && version === 0 && tables === 0) {
      db.exec(SCHEMA);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return;
    }
    if (appId !== APPLICATION_ID) {
      throw new LeaseStoreOpenError(`${db.name} is an SQLite database but not a leasekeeper lease database`);
    }
    if (version === 1) {
      // Schema 2 adds the DDNS flags (Kea's fqdn_fwd/fqdn_rev); existing leases get false.
      db.exec(`ALTER TABLE lease4 ADD COLUMN fqdn_fwd INTEGER NOT NULL DEFAULT 0;
               ALTER TABLE lease4 ADD COLUMN fqdn_rev INTEGER NOT NULL DEFAULT 0;`);
    }
    if (version === 1 || version === 2) db.exec(DDNS_QUEUE);
    if (version >= 1 && version < SCHEMA_VERSION) {
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } else if (version !== SCHEMA_VERSION) {
      throw new LeaseStoreOpenError(
        `${db.name} has lease schema version ${version}; this leasekeeper reads version ${SCHEMA_VERSION}`,
      );
    }
    db.exec(DROPPED_INDEXES);
    db.exec(RECLAIMED_INDEX);
  }).immediate();
}
