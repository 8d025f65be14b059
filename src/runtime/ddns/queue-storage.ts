import { CONFLICT_MODES, type ConflictMode, type NameChange } from '../../ddns/index.ts';

/**
 * Where the DDNS queue is kept between restarts: in the lease database itself (SQLite: table `ddns_queue` of the
 * lease file; PostgreSQL: table `leasekeeper_ddns4`), so pending changes, above all removals of leases that no
 * longer exist, survive as long as the leases do. The memory store keeps none (the leases are gone too).
 */

/** A name change as stored: the DHCID as base64. */
export type StoredChange = Omit<NameChange, 'dhcid'> & { readonly dhcid: string };

export interface StoredEntry {
  /** Unique per change: `<server instance>-<counter>`. */
  readonly key: string;
  /** When it was queued (ms); replays run in this order. */
  readonly queuedAt: number;
  readonly change: StoredChange;
}

export interface DdnsQueueStorage {
  /** For log lines: the table and the database. */
  readonly where: string;
  /** The pending changes this server is to run now (at start), at most `limit`. */
  take(limit: number): Promise<StoredEntry[]>;
  /**
   * Writes new entries and deletes finished ones in one transaction. Called only after the leases behind them
   * are durable; never awaited by the DHCP path.
   */
  write(added: readonly StoredEntry[], done: readonly string[]): Promise<void>;
  /**
   * Shared databases (several servers): keeps this server's claims on the entries it `holds` alive and takes
   * over, up to `limit`, the entries of servers that stopped or died. Absent where one server owns the database.
   */
  adopt?(limit: number, holds: readonly string[]): Promise<StoredEntry[]>;
  /** Hands this server's pending entries back (the next server to start or adopt runs them) and closes. */
  close(): Promise<void>;
}

const MAX_FQDN = 255;
const MAX_DHCID_BASE64 = 64;
const MAX_TTL = 0x7fffffff;

/** Checks an entry read back from a database or a file: it was written by us, but the file is the operator's. */
export function validStoredChange(v: unknown): StoredChange | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const c = v as Record<string, unknown>;
  const ok =
    (c['kind'] === 'add' || c['kind'] === 'remove') &&
    typeof c['fqdn'] === 'string' &&
    c['fqdn'].length > 0 &&
    c['fqdn'].length <= MAX_FQDN &&
    typeof c['address'] === 'string' &&
    /^\d{1,3}(\.\d{1,3}){3}$/.test(c['address']) &&
    typeof c['dhcid'] === 'string' &&
    c['dhcid'].length <= MAX_DHCID_BASE64 &&
    typeof c['ttl'] === 'number' &&
    Number.isInteger(c['ttl']) &&
    c['ttl'] >= 0 &&
    c['ttl'] <= MAX_TTL &&
    typeof c['forward'] === 'boolean' &&
    typeof c['reverse'] === 'boolean' &&
    typeof c['mode'] === 'string' &&
    (CONFLICT_MODES as readonly string[]).includes(c['mode']);
  if (!ok) return undefined;
  return {
    kind: c['kind'] as 'add' | 'remove',
    fqdn: c['fqdn'] as string,
    address: c['address'] as string,
    dhcid: c['dhcid'] as string,
    ttl: c['ttl'] as number,
    forward: c['forward'] as boolean,
    reverse: c['reverse'] as boolean,
    mode: c['mode'] as ConflictMode,
  };
}

/** A stored row (SQLite or PostgreSQL columns) back to an entry; undefined when a field is out of bounds. */
export function entryFromRow(row: Record<string, unknown>): StoredEntry | undefined {
  const change = validStoredChange({
    ...row,
    ttl: Number(row['ttl']),
    forward: row['forward'] === true || row['forward'] === 1,
    reverse: row['reverse'] === true || row['reverse'] === 1,
  });
  const key = row['key'];
  const queuedAt = Number(row['queued_at']);
  if (change === undefined || typeof key !== 'string' || !Number.isFinite(queuedAt)) return undefined;
  return { key, queuedAt, change };
}
