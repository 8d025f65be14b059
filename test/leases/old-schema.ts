/** Lease files as earlier leasekeeper versions wrote them, for the migration tests. */
import Database from 'better-sqlite3';
import { ipv4ToNumber } from '../../src/leases/address.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { leaseToRow } from '../../src/leases/row.ts';
import { APPLICATION_ID } from '../../src/leases/sqlite-schema.ts';

/** The lease table and indexes as schema 1 created them; 2 added the DDNS flags, 3 the DNS update queue. */
const SCHEMA_1 = `
CREATE TABLE lease4 (
  address INTEGER PRIMARY KEY CHECK (address BETWEEN 0 AND 4294967295),
  hw_address TEXT NOT NULL, client_id TEXT, subnet_id INTEGER NOT NULL, valid_lifetime INTEGER NOT NULL,
  cltt INTEGER NOT NULL, expires_at INTEGER NOT NULL, hostname TEXT COLLATE NOCASE, state INTEGER NOT NULL,
  user_context TEXT
) STRICT;
CREATE INDEX lease4_client_id ON lease4 (client_id, subnet_id) WHERE client_id IS NOT NULL;
CREATE INDEX lease4_hw_address ON lease4 (hw_address, subnet_id);
CREATE INDEX lease4_subnet ON lease4 (subnet_id);
CREATE INDEX lease4_expires ON lease4 (expires_at) WHERE state <> 2;
CREATE INDEX lease4_hostname ON lease4 (hostname) WHERE hostname IS NOT NULL;`;
const FQDN_COLUMNS = `
ALTER TABLE lease4 ADD COLUMN fqdn_fwd INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lease4 ADD COLUMN fqdn_rev INTEGER NOT NULL DEFAULT 0;`;
const DDNS_QUEUE_3 = `
CREATE TABLE ddns_queue (key TEXT PRIMARY KEY, queued_at INTEGER NOT NULL, kind TEXT NOT NULL, fqdn TEXT NOT NULL,
  address TEXT NOT NULL, dhcid TEXT NOT NULL, ttl INTEGER NOT NULL, forward INTEGER NOT NULL, reverse INTEGER NOT NULL,
  mode TEXT NOT NULL) STRICT;
CREATE INDEX lease4_reclaimed ON lease4 (expires_at) WHERE state = 2;`;

/** A lease file of `version` (1-3) as that leasekeeper wrote it, holding `written`. */
export function writeOldFile(path: string, version: 1 | 2 | 3, written: readonly Lease[]): void {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA_1 + (version >= 2 ? FQDN_COLUMNS : '') + (version >= 3 ? DDNS_QUEUE_3 : ''));
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${version}`);
    const columns = version === 1 ? 10 : 12;
    const insert = db.prepare(`INSERT INTO lease4 VALUES (${Array(columns).fill('?').join(', ')})`);
    for (const l of written)
      insert.run(...Object.values(leaseToRow(l, ipv4ToNumber(l.address))).slice(0, columns));
    if (version === 3) {
      db.prepare(
        "INSERT INTO ddns_queue VALUES ('k', 1, 'add', 'a.example.', '10.0.0.1', 'x', 60, 1, 1, 'check')",
      ).run();
    }
  } finally {
    db.close();
  }
}
