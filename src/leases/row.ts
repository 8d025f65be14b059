import { numberToIpv4 } from './address.ts';
import { LeaseCorruptError, LeaseStoreError } from './errors.ts';
import type { Lease } from './lease.ts';
import { LEASE_STATE_CODES } from './lease.ts';
import { normalizeReadLease, stateFromCode } from './validate.ts';

/** A lease as SQL backends store it: address as an unsigned 32-bit integer so it sorts numerically. */
export interface LeaseRow {
  readonly address: number;
  readonly hw_address: string;
  readonly client_id: string | null;
  readonly subnet_id: number;
  readonly valid_lifetime: number;
  readonly cltt: number;
  readonly expires_at: number;
  readonly hostname: string | null;
  readonly state: number;
  readonly user_context: string | null;
  /** 1 when the server updates A / PTR for the lease (Kea's fqdn_fwd / fqdn_rev). */
  readonly fqdn_fwd: number;
  readonly fqdn_rev: number;
}

export const LEASE_COLUMNS =
  'address, hw_address, client_id, subnet_id, valid_lifetime, cltt, expires_at, hostname, state, user_context, fqdn_fwd, fqdn_rev';

export function leaseToRow(lease: Lease, address: number): LeaseRow {
  return {
    address,
    hw_address: lease.hwAddress,
    client_id: lease.clientId,
    subnet_id: lease.subnetId,
    valid_lifetime: lease.validLifetime,
    cltt: lease.cltt,
    expires_at: lease.expiresAt,
    hostname: lease.hostname,
    state: LEASE_STATE_CODES[lease.state],
    user_context: lease.userContext === null ? null : JSON.stringify(lease.userContext),
    fqdn_fwd: lease.fqdnFwd === true ? 1 : 0,
    fqdn_rev: lease.fqdnRev === true ? 1 : 0,
  };
}

/** Turns a stored row back into a lease, or throws `LeaseCorruptError` naming the row. Never anything else. */
export function rowToLease(raw: unknown): Lease {
  const row = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const rawKey = row['address'];
  const key =
    typeof rawKey === 'number' && Number.isInteger(rawKey) && rawKey >= 0 && rawKey <= 0xffffffff
      ? numberToIpv4(rawKey)
      : `address=${String(rawKey)}`;
  try {
    if (!key.includes('.') || typeof rawKey !== 'number')
      throw new LeaseCorruptError(key, 'address is not a uint32');
    const state = typeof row['state'] === 'number' ? stateFromCode(row['state']) : null;
    if (state === null) throw new LeaseCorruptError(key, `unknown state ${String(row['state'])}`);
    return normalizeReadLease({
      address: key,
      hwAddress: row['hw_address'] as string,
      clientId: row['client_id'] as string | null,
      subnetId: row['subnet_id'] as number,
      validLifetime: row['valid_lifetime'] as number,
      cltt: row['cltt'] as number,
      expiresAt: row['expires_at'] as number,
      hostname: row['hostname'] as string | null,
      // plain booleans, not spreads (no object per row): normalizeReadLease keeps only the true ones
      fqdnFwd: row['fqdn_fwd'] === 1,
      fqdnRev: row['fqdn_rev'] === 1,
      state,
      userContext: parseUserContext(key, row['user_context']),
    });
  } catch (err) {
    if (err instanceof LeaseCorruptError) throw err;
    const message = err instanceof LeaseStoreError || err instanceof Error ? err.message : String(err);
    throw new LeaseCorruptError(key, message, { cause: err });
  }
}

function parseUserContext(key: string, value: unknown): Record<string, unknown> | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw new LeaseCorruptError(key, 'user_context is not text');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new LeaseCorruptError(key, 'user_context is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new LeaseCorruptError(key, 'user_context is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}
