import type pg from 'pg';
import { LeaseStoreOpenError } from './errors.ts';
import { importKeaLeases, type KeaImportResult } from './postgres-kea-import.ts';
import { renameVersion1Table } from './postgres-migrate.ts';
import { LEASE_TABLE, REMOVED_TABLE } from './postgres-names.ts';

/**
 * Version 2 renamed the lease table from `lease4` to `leasekeeper_lease4` (Kea's own schema has a `lease4`,
 * and a Kea site keeps its leases and hosts in one database).
 */
export const SCHEMA_VERSION = 2;
/** The LISTEN/NOTIFY channel every server of one database shares. */
export const NOTIFY_CHANNEL = 'leasekeeper_lease4';

const TABLES = `
CREATE TABLE IF NOT EXISTS ${LEASE_TABLE} (
  address bigint PRIMARY KEY CHECK (address BETWEEN 0 AND 4294967295),
  hw_address text NOT NULL,
  client_id text,
  subnet_id bigint NOT NULL,
  valid_lifetime bigint NOT NULL,
  cltt bigint NOT NULL,
  expires_at bigint NOT NULL,
  hostname text,
  state smallint NOT NULL,
  user_context text
);
-- The DDNS flags (Kea's fqdn_fwd/fqdn_rev), added in place to databases made before them.
ALTER TABLE ${LEASE_TABLE} ADD COLUMN IF NOT EXISTS fqdn_fwd smallint NOT NULL DEFAULT 0;
ALTER TABLE ${LEASE_TABLE} ADD COLUMN IF NOT EXISTS fqdn_rev smallint NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS ${LEASE_TABLE}_client_id ON ${LEASE_TABLE} (client_id, subnet_id) WHERE client_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS ${LEASE_TABLE}_hw_address ON ${LEASE_TABLE} (hw_address, subnet_id);
CREATE INDEX IF NOT EXISTS ${LEASE_TABLE}_subnet ON ${LEASE_TABLE} (subnet_id);
CREATE INDEX IF NOT EXISTS ${LEASE_TABLE}_expires ON ${LEASE_TABLE} (expires_at) WHERE state <> 2;
-- The expired-reclaimed leases, by expiry: what the flush of reclaimed leases looks for.
CREATE INDEX IF NOT EXISTS ${LEASE_TABLE}_reclaimed ON ${LEASE_TABLE} (expires_at) WHERE state = 2;
CREATE INDEX IF NOT EXISTS ${LEASE_TABLE}_hostname ON ${LEASE_TABLE} (lower(hostname)) WHERE hostname IS NOT NULL;
-- The pending DNS updates (runtime/ddns), each claimed by the server running it until claimed_until.
CREATE TABLE IF NOT EXISTS leasekeeper_ddns4 (
  key text PRIMARY KEY,
  queued_at bigint NOT NULL,
  kind text NOT NULL,
  fqdn text NOT NULL,
  address text NOT NULL,
  dhcid text NOT NULL,
  ttl bigint NOT NULL,
  forward boolean NOT NULL,
  reverse boolean NOT NULL,
  mode text NOT NULL,
  owner text NOT NULL,
  claimed_until timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS leasekeeper_ddns4_owner ON leasekeeper_ddns4 (owner);
CREATE INDEX IF NOT EXISTS leasekeeper_ddns4_claimed ON leasekeeper_ddns4 (claimed_until);
`;

/**
 * The conditional commit, one call per batch of leases (group commit: one transaction, one WAL flush).
 * For each element, in order: lock the row (FOR UPDATE); if none, INSERT ... ON CONFLICT DO NOTHING and, when a
 * concurrent server inserted first, loop to lock and judge its row; if one, apply the mode's condition (the same
 * rule as `decideCommit`: free = reclaimed, expired or same owner) and UPDATE or report. Returns per element the
 * outcome and the row as it was before, so events carry an exact `previous`.
 */
const COMMIT_FUNCTION = `
CREATE OR REPLACE FUNCTION leasekeeper_commit4(batch jsonb)
RETURNS TABLE (ord integer, outcome text, prev jsonb)
LANGUAGE plpgsql AS $fn$
DECLARE
  e jsonb;
  i integer := 0;
  p ${LEASE_TABLE}%ROWTYPE;
  k bigint;
  op_mode text;
  cid text;
  hw text;
  is_owner boolean;
  newrow jsonb;
  notes jsonb[] := '{}';
  note jsonb;
  item text;
  chunk text := '';
  head text := '{"sender":' || to_json(current_setting('application_name'))::text || ',"changes":[';
BEGIN
  -- This function announces its changes itself, many per NOTIFY, instead of one per row from the trigger.
  PERFORM set_config('leasekeeper.bulk', 'on', true);
  FOR e IN SELECT value FROM jsonb_array_elements(batch) WITH ORDINALITY AS t(value, n) ORDER BY n LOOP
    k := (e->>'address')::bigint;
    op_mode := e->>'mode';
    cid := e->>'client_id';
    hw := e->>'hw_address';
    LOOP
      SELECT * INTO p FROM ${LEASE_TABLE} l WHERE l.address = k FOR UPDATE;
      IF NOT FOUND THEN
        IF op_mode = 'update' THEN
          ord := i; outcome := 'missing'; prev := NULL; RETURN NEXT;
          EXIT;
        END IF;
        INSERT INTO ${LEASE_TABLE} AS l (address, hw_address, client_id, subnet_id, valid_lifetime, cltt, expires_at, hostname,
                            state, user_context, fqdn_fwd, fqdn_rev)
        VALUES (k, hw, cid, (e->>'subnet_id')::bigint, (e->>'valid_lifetime')::bigint, (e->>'cltt')::bigint,
                (e->>'expires_at')::bigint, e->>'hostname', (e->>'state')::smallint, e->>'user_context',
                COALESCE((e->>'fqdn_fwd')::smallint, 0), COALESCE((e->>'fqdn_rev')::smallint, 0))
        ON CONFLICT (address) DO NOTHING
        RETURNING to_jsonb(l) INTO newrow;
        IF FOUND THEN
          notes := notes || jsonb_build_object('op', 'INSERT', 'new', newrow, 'old', NULL);
          ord := i; outcome := 'added'; prev := NULL; RETURN NEXT;
          EXIT;
        END IF;
        -- Another server inserted this address since our SELECT: go round, lock its row and judge it.
        CONTINUE;
      END IF;
      IF op_mode = 'insert' THEN
        ord := i; outcome := 'exists'; prev := to_jsonb(p); RETURN NEXT;
        EXIT;
      END IF;
      IF (e->>'match_client_id')::boolean AND (p.client_id IS NOT NULL OR cid IS NOT NULL) THEN
        is_owner := p.client_id IS NOT DISTINCT FROM cid;
      ELSE
        is_owner := p.hw_address <> '' AND p.hw_address = hw;
      END IF;
      IF op_mode = 'claim' AND NOT (p.state = 2 OR p.expires_at <= (e->>'now')::bigint OR is_owner) THEN
        ord := i; outcome := 'conflict'; prev := to_jsonb(p); RETURN NEXT;
        EXIT;
      END IF;
      UPDATE ${LEASE_TABLE} l SET hw_address = hw, client_id = cid, subnet_id = (e->>'subnet_id')::bigint,
        valid_lifetime = (e->>'valid_lifetime')::bigint, cltt = (e->>'cltt')::bigint,
        expires_at = (e->>'expires_at')::bigint, hostname = e->>'hostname', state = (e->>'state')::smallint,
        user_context = e->>'user_context', fqdn_fwd = COALESCE((e->>'fqdn_fwd')::smallint, 0),
        fqdn_rev = COALESCE((e->>'fqdn_rev')::smallint, 0)
      WHERE l.address = k
      RETURNING to_jsonb(l) INTO newrow;
      notes := notes || jsonb_build_object('op', 'UPDATE', 'new', newrow, 'old', to_jsonb(p));
      ord := i; outcome := 'updated'; prev := to_jsonb(p); RETURN NEXT;
      EXIT;
    END LOOP;
    i := i + 1;
  END LOOP;
  -- NOTIFY payloads must stay under 8000 bytes: pack the changes into as few as fit.
  FOREACH note IN ARRAY notes LOOP
    item := note::text;
    IF octet_length(item) > 7700 THEN
      item := (note #- '{new,user_context}' #- '{old,user_context}')::text;
    END IF;
    IF chunk <> '' AND octet_length(chunk) + octet_length(item) > 7700 THEN
      PERFORM pg_notify('${NOTIFY_CHANNEL}', head || chunk || ']}');
      chunk := '';
    END IF;
    chunk := CASE WHEN chunk = '' THEN item ELSE chunk || ',' || item END;
  END LOOP;
  IF chunk <> '' THEN
    PERFORM pg_notify('${NOTIFY_CHANNEL}', head || chunk || ']}');
  END IF;
  PERFORM set_config('leasekeeper.bulk', 'off', true);
END
$fn$;
`;

/**
 * Every change to our lease table, by any writer, is announced on NOTIFY_CHANNEL inside its transaction (delivered only
 * if it commits): `{op, sender, new, old}` per row, or `{sender, changes: [{op, new, old}, ...]}` from
 * leasekeeper_commit4, which packs its changes into few notifications (per-row NOTIFY was a quarter of its cost). The sender's application_name lets a server skip its own changes. NOTIFY payloads are limited
 * to 8000 bytes: an oversized user context is left out of the announcement.
 */
const NOTIFY_TRIGGER = `
CREATE OR REPLACE FUNCTION leasekeeper_notify4() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  n jsonb := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END;
  o jsonb := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END;
  payload text;
BEGIN
  payload := jsonb_build_object('op', TG_OP, 'sender', current_setting('application_name'), 'new', n, 'old', o)::text;
  IF octet_length(payload) > 7900 THEN
    payload := jsonb_build_object('op', TG_OP, 'sender', current_setting('application_name'),
      'new', n - 'user_context', 'old', o - 'user_context')::text;
  END IF;
  PERFORM pg_notify('${NOTIFY_CHANNEL}', payload);
  RETURN NULL;
END
$fn$;
CREATE OR REPLACE TRIGGER ${LEASE_TABLE}_notify AFTER INSERT OR UPDATE OR DELETE ON ${LEASE_TABLE}
  FOR EACH ROW WHEN (current_setting('leasekeeper.bulk', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION leasekeeper_notify4();
`;

export interface PgSchemaOptions {
  /** Copy Kea's active leases on the first start against a database where Kea kept them. Default true. */
  readonly importKeaLeases?: boolean;
}

/** What `ensurePgSchema` changed, for the start-up log. */
export interface PgSchemaReport {
  /** A version 1 `lease4` was renamed to `LEASE_TABLE`. */
  readonly renamed: boolean;
  /** Kea's leases copied on this start, or null. */
  readonly keaImport: KeaImportResult | null;
}

/**
 * Change tracking, so a server whose LISTEN connection was down can re-read what it missed: every written row
 * carries the id of the transaction that wrote it (`change_xid`), and every removal leaves the removed row in
 * REMOVED_TABLE under the same id. A server compares these ids against a snapshot (`pg_current_snapshot()`) it
 * took while listening: a transaction invisible to that snapshot was either announced to it or is re-read.
 * Added in place (databases made before it get the column, their old rows stay NULL: nothing to catch up on).
 */
const CHANGE_TRACKING = `
ALTER TABLE ${LEASE_TABLE} ADD COLUMN IF NOT EXISTS change_xid xid8;
CREATE INDEX IF NOT EXISTS ${LEASE_TABLE}_change_xid ON ${LEASE_TABLE} (change_xid);
CREATE TABLE IF NOT EXISTS ${REMOVED_TABLE} (
  address bigint PRIMARY KEY,
  change_xid xid8 NOT NULL,
  removed jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS ${REMOVED_TABLE}_change_xid ON ${REMOVED_TABLE} (change_xid);
CREATE OR REPLACE FUNCTION leasekeeper_track4() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO ${REMOVED_TABLE} (address, change_xid, removed)
    VALUES (OLD.address, pg_current_xact_id(), to_jsonb(OLD) - 'change_xid')
    ON CONFLICT (address) DO UPDATE SET change_xid = EXCLUDED.change_xid, removed = EXCLUDED.removed;
    RETURN OLD;
  END IF;
  NEW.change_xid := pg_current_xact_id();
  RETURN NEW;
END
$fn$;
CREATE OR REPLACE TRIGGER ${LEASE_TABLE}_track BEFORE INSERT OR UPDATE OR DELETE ON ${LEASE_TABLE}
  FOR EACH ROW EXECUTE FUNCTION leasekeeper_track4();
`;

/**
 * Creates, migrates or checks the schema in one transaction. Serialized by an advisory lock so several servers
 * starting at once against one database do not trip over each other's CREATEs, renames or imports.
 */
export async function ensurePgSchema(
  client: pg.ClientBase,
  options: PgSchemaOptions = {},
): Promise<PgSchemaReport> {
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('leasekeeper schema'))");
    await client.query('CREATE TABLE IF NOT EXISTS leasekeeper_schema (version integer NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM leasekeeper_schema');
    const version = rows[0]?.version;
    if (version !== undefined && (version < 1 || version > SCHEMA_VERSION)) {
      throw new LeaseStoreOpenError(
        `the lease database has schema version ${version}; this leasekeeper reads versions 1 to ${SCHEMA_VERSION}`,
      );
    }
    const renamed = version === 1 ? await renameVersion1Table(client) : false;
    await client.query(TABLES);
    if (version === undefined) {
      await client.query('INSERT INTO leasekeeper_schema (version) VALUES ($1)', [SCHEMA_VERSION]);
    } else if (version !== SCHEMA_VERSION) {
      await client.query('UPDATE leasekeeper_schema SET version = $1', [SCHEMA_VERSION]);
    }
    await client.query(COMMIT_FUNCTION);
    await client.query(NOTIFY_TRIGGER);
    await client.query(CHANGE_TRACKING);
    const keaImport = options.importKeaLeases === false ? null : await importKeaLeases(client);
    await client.query('COMMIT');
    return { renamed, keaImport };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
