import type { Lease, LeaseState } from './lease.ts';

/**
 * The one interface every lease backend implements (memory, SQLite, PostgreSQL).
 *
 * Every method is asynchronous so a backend may be remote and shared by several servers. A write resolves only
 * once it is durable; reads see committed state (a write is guaranteed visible once its promise resolved).
 *
 * Times (`now`) are milliseconds since the epoch, passed in by the caller (the server engine never reads a clock);
 * when omitted the store's own clock (`Date.now` unless configured otherwise) is used.
 */
export interface LeaseStore {
  /** Short backend name for logs and stats: `memory`, `sqlite`, `postgresql`. */
  readonly backend: string;

  /**
   * The key write. In the default mode `claim` the lease is inserted or replaces the one at its address ONLY if
   * that address is free: no lease, an expired lease (`expiresAt <= now`), a reclaimed lease, or a lease held by
   * the same client (see {@link sameOwner}). Otherwise resolves with `{ ok: false, reason: 'conflict', holder }`.
   * The check and the write are atomic even across servers sharing one backend. Resolves once durable.
   */
  commit(lease: Lease, options?: CommitOptions): Promise<CommitResult>;

  /** The lease at an address, or null. */
  get(address: string): Promise<Lease | null>;
  /**
   * The client's lease within a subnet, as the server looks it up: by client id when the client sent one, falling
   * back to (and otherwise using) the hardware address among leases without a client id. Most recent cltt wins.
   */
  findByClient(query: ClientQuery): Promise<Lease | null>;
  /** Every lease with this hardware address, optionally only in one subnet (Kea `lease4-get-by-hw-address`). */
  getByHwAddress(hwAddress: string, subnetId?: number): Promise<Lease[]>;
  /** Every lease with this client id, optionally only in one subnet (Kea `lease4-get-by-client-id`). */
  getByClientId(clientId: string, subnetId?: number): Promise<Lease[]>;
  /** Every lease with this hostname, compared case-insensitively (Kea `lease4-get-by-hostname`). */
  getByHostname(hostname: string): Promise<Lease[]>;
  /** All leases ordered by address, optionally only those in the given subnets (Kea `lease4-get-all`; start-up load). */
  getAll(filter?: SubnetFilter): Promise<Lease[]>;
  /**
   * Up to `limit` leases with an address numerically greater than `from` (`'start'` or `0.0.0.0` for the first
   * page), ordered by address numerically (Kea `lease4-get-page`). The next page starts at the last address returned.
   */
  getPage(from: string, limit: number): Promise<Lease[]>;
  /**
   * Leases due for reclamation: `expiresAt <= now` and state not `expired-reclaimed` (leased or declined), oldest
   * expiry first, at most `limit` (all when omitted).
   */
  listExpired(now: number, limit?: number): Promise<Lease[]>;

  /**
   * Marks the address declined for `probationSeconds` (RFC 2131 4.3.3; Kea `Lease4::decline`): state `declined`,
   * client identity and hostname cleared, cltt = now, expiresAt = now + probation. Resolves with the new lease, or
   * null when there is no lease at that address.
   */
  markDeclined(address: string, probationSeconds: number, options?: TimeOptions): Promise<Lease | null>;
  /**
   * Reclaims an expired lease: only if it is still expired at `now` (another server may have renewed it) and not
   * already reclaimed. `remove: true` deletes it, otherwise it stays with state `expired-reclaimed` (Kea
   * `leases-reclaim`). Resolves with the lease as it was before, or null when nothing was reclaimed.
   */
  reclaim(address: string, options: ReclaimOptions): Promise<Lease | null>;
  /**
   * Deletes up to `limit` leases in state `expired-reclaimed` that expired before `expiredBefore`, oldest
   * expiry first, in one atomic step per lease (a lease claimed again meanwhile is not reclaimed any more, so it
   * stays): Kea's `deleteExpiredReclaimedLeases4`, run every `flush-reclaimed-timer-wait-time`. Resolves with
   * the removed leases.
   */
  removeReclaimed(expiredBefore: number, limit: number): Promise<Lease[]>;
  /** Deletes the lease at an address unconditionally (Kea `lease4-del`). Resolves with the removed lease, or null. */
  remove(address: string): Promise<Lease | null>;
  /** Deletes every lease, or those in the given subnets (Kea `lease4-wipe`). Resolves with how many were removed. */
  wipe(filter?: SubnetFilter): Promise<number>;

  /** Lease counts per subnet and state (Kea `stat-lease4-get`), ordered by subnet id. */
  stats(filter?: SubnetFilter): Promise<SubnetLeaseStats[]>;

  /**
   * Calls `listener` after every durable change, local or (for shared backends that can tell) made by another
   * server. A throwing listener never breaks the store or other listeners; its error is published on the
   * `leasekeeper:leases:listener-error` diagnostics channel. Returns a function that unsubscribes.
   */
  onChange(listener: LeaseChangeListener): () => void;

  /** Flushes pending writes, then releases the backend. Later calls reject with `LeaseStoreClosedError`. */
  close(): Promise<void>;

  /** What opening found, for the start-up log (backends that check their storage at open: SQLite). */
  readonly openReport?: LeaseStoreOpenReport;
}

export interface LeaseStoreOpenReport {
  /** How long the integrity check at open took (WAL scan and `PRAGMA quick_check`), ms; absent for a new file. */
  readonly checkMs?: number;
  /** What an operator should know, such as leases missing since the last clean shutdown. */
  readonly warnings: readonly string[];
}

export interface TimeOptions {
  /** Milliseconds since the epoch; defaults to the store's clock. */
  readonly now?: number;
}

/**
 * - `claim` (default): the conditional write described on {@link LeaseStore.commit}. The server uses this.
 * - `insert`: only when there is no lease at all at the address, expired or not (Kea `lease4-add`); otherwise
 *   `{ ok: false, reason: 'exists', holder }`.
 * - `update`: only when a lease exists at the address (Kea `lease4-update`); otherwise `{ ok: false, reason: 'missing' }`.
 * - `upsert`: unconditional (Kea `lease4-update` with `force-create`).
 */
export type CommitMode = 'claim' | 'insert' | 'update' | 'upsert';

export interface CommitOptions extends TimeOptions {
  readonly mode?: CommitMode;
  /**
   * Kea's `match-client-id`: when false, a `claim` recognises the holder by hardware address only, ignoring
   * client ids (for clients whose identifier changes between boots). Default true.
   */
  readonly matchClientId?: boolean;
}

export type CommitResult =
  | {
      readonly ok: true;
      readonly kind: 'added' | 'updated';
      readonly lease: Lease;
      readonly previous: Lease | null;
    }
  | { readonly ok: false; readonly reason: 'conflict' | 'exists'; readonly holder: Lease }
  | { readonly ok: false; readonly reason: 'missing' };

export interface ClientQuery {
  readonly subnetId: number;
  readonly clientId: string | null;
  readonly hwAddress: string;
}

export interface SubnetFilter {
  /** Only these subnets; an empty list matches nothing, an absent list everything. */
  readonly subnetIds?: readonly number[];
}

export interface ReclaimOptions extends TimeOptions {
  /** Delete the lease instead of keeping it as `expired-reclaimed`. */
  readonly remove: boolean;
}

export interface SubnetLeaseStats {
  readonly subnetId: number;
  /** All leases in the subnet, whatever their state. */
  readonly total: number;
  /** Leases per state; `default` is Kea's `assigned-addresses` less declined ones. */
  readonly byState: Readonly<Record<LeaseState, number>>;
}

export type LeaseChangeKind = 'added' | 'updated' | 'removed';

export interface LeaseChange {
  readonly kind: LeaseChangeKind;
  /** The lease now (for `removed`: the lease that was removed). */
  readonly lease: Lease;
  /** The lease before the change; null for `added`. */
  readonly previous: Lease | null;
  /** `local` for changes made through this store instance, `remote` for those another server made. */
  readonly origin: 'local' | 'remote';
}

export type LeaseChangeListener = (change: LeaseChange) => void;

/**
 * Whether two leases belong to the same client: equal client ids, or equal hardware addresses when neither has a
 * client id (RFC 4361 6.1: the client identifier, if given, identifies the client; else chaddr). With
 * `matchClientId` false (Kea's `match-client-id: false`) only the hardware addresses are compared.
 */
export function sameOwner(
  a: Pick<Lease, 'clientId' | 'hwAddress'>,
  b: Pick<Lease, 'clientId' | 'hwAddress'>,
  matchClientId = true,
): boolean {
  if (matchClientId && (a.clientId !== null || b.clientId !== null)) return a.clientId === b.clientId;
  return a.hwAddress !== '' && a.hwAddress === b.hwAddress;
}

/** Whether `existing` may be replaced by a `claim` commit of `incoming` at time `now`. */
export function claimable(
  existing: Lease,
  incoming: Pick<Lease, 'clientId' | 'hwAddress'>,
  now: number,
  matchClientId = true,
): boolean {
  return (
    existing.state === 'expired-reclaimed' ||
    existing.expiresAt <= now ||
    sameOwner(existing, incoming, matchClientId)
  );
}
