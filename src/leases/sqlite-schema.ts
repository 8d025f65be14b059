import type BetterSqlite3 from 'better-sqlite3';
import { LeaseStoreOpenError } from './errors.ts';

/** 'LK41' in PRAGMA application_id marks a file as a leasekeeper lease database. */
export const APPLICATION_ID = 0x4c4b3431;
export const SCHEMA_VERSION = 3;

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
CREATE INDEX lease4_client_id ON lease4 (client_id, subnet_id) WHERE client_id IS NOT NULL;
CREATE INDEX lease4_hw_address ON lease4 (hw_address, subnet_id);
CREATE INDEX lease4_subnet ON lease4 (subnet_id);
CREATE INDEX lease4_expires ON lease4 (expires_at) WHERE state <> 2;
CREATE INDEX lease4_hostname ON lease4 (hostname) WHERE hostname IS NOT NULL;
${RECLAIMED_INDEX}
${DDNS_QUEUE}`;

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
    if (version === 1 || version === 2) {
      db.exec(DDNS_QUEUE);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } else if (version !== SCHEMA_VERSION) {
      throw new LeaseStoreOpenError(
        `${db.name} has lease schema version ${version}; this leasekeeper reads version ${SCHEMA_VERSION}`,
      );
    }
    db.exec(RECLAIMED_INDEX);
  }).immediate();
}
