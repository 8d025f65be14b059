import type { Logger } from 'pino';
import type { HaConfig } from '../config/index.ts';
import type { JsonObject } from '../control/index.ts';
import type { Lease } from '../leases/index.ts';
import type { ClaimResult, PgCoordination } from '../leases/index.ts';
import { ipv4ToNumber } from '../leases/index.ts';
import { messageTypeOf, type DhcpMessage } from '../protocol/index.ts';
import { identify } from '../server/index.ts';
import { loadBalanceHash, loadBalanceKey } from './hash.ts';
import type { ScopeDecision } from './service.ts';
import { HA_MESSAGE_TYPES } from './states.ts';

/** The database calls active-active needs, as the PostgreSQL store's coordination makes them. */
export type Coordination = Pick<PgCoordination, 'heartbeat' | 'alive' | 'leave' | 'claimOffer'>;

export interface ActiveActiveOptions {
  readonly config: HaConfig;
  readonly coordination: Coordination;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** The subnet id of an address, to describe a peer's claim to the engine as a lease. */
  readonly subnetOf: (address: string) => number | undefined;
  /** Called with this server's rank among the live ones as a fraction (0..1): where it should allocate. */
  readonly onSplit?: (fraction: number) => void;
}

/** What the pipeline must know before it sends an OFFER. */
export interface OfferToClaim {
  readonly address: string;
  readonly request: DhcpMessage;
}

const LOG_INTERVAL_MS = 10_000;

/**
 * Bucket `b` (RFC 3074 hash of the client) belongs to the live server with the highest hash of (name, b):
 * rendezvous hashing, so a server that leaves moves only its own buckets, each to one of the others, and
 * takes exactly those back when it returns.
 */
export function bucketOwner(bucket: number, servers: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const name of servers) {
    const score = fnv1a(`${name}\u0000${bucket}`);
    if (score > bestScore || (score === bestScore && best !== undefined && name < best)) {
      best = name;
      bestScore = score;
    }
  }
  return best;
}

/** FNV-1a, then MurmurHash3's finalizer: FNV alone mixes short keys too little for an even split. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Active-active HA over one PostgreSQL lease database: every server heartbeats a row; the live ones split
 * the 256 buckets by rendezvous hashing; a server silent past `max-response-delay` loses its buckets to the
 * others until its heartbeat returns. Offers are claimed in the database first. No ACK is ever at risk: the
 * lease commit itself is the database's conditional write, whoever answers.
 */
export class ActiveActive {
  readonly config: HaConfig;
  readonly #o: ActiveActiveOptions;
  readonly #name: string;
  readonly #log: Logger;
  readonly #clock: () => number;
  #servers: readonly string[];
  /** bucket -> whether this server answers it. */
  #mine = new Uint8Array(256).fill(1);
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #databaseOk = true;
  #failures = 0;
  #loggedAt = -Infinity;

  constructor(options: ActiveActiveOptions) {
    this.#o = options;
    this.config = options.config;
    this.#name = options.config.thisServerName;
    this.#clock = options.clock ?? Date.now;
    this.#log = options.logger.child({ ha: this.#name });
    this.#servers = [this.#name];
  }

  get servers(): readonly string[] {
    return this.#servers;
  }

  /** How many of the 256 buckets this server answers now. */
  get bucketCount(): number {
    return this.#mine.reduce((n, b) => n + b, 0);
  }

  async start(): Promise<void> {
    this.#log.info(`HA: active-active as ${this.#name} on the PostgreSQL lease database`);
    await this.#beat();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#o.coordination.leave(this.#name).catch(() => undefined);
  }

  async #beat(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#o.coordination.heartbeat(this.#name);
      const alive = await this.#o.coordination.alive(this.config.maxResponseDelay);
      if (!alive.includes(this.#name)) alive.push(this.#name);
      alive.sort();
      this.#setServers(alive);
      if (!this.#databaseOk) this.#log.info('HA: the lease database answers again');
      this.#databaseOk = true;
    } catch (err) {
      // Keep the last known split: without the database nobody can commit anyway, and with it back the
      // next heartbeat corrects the split.
      this.#databaseOk = false;
      this.#failed(err);
    }
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#beat(), Math.max(100, this.config.heartbeatDelay));
    this.#timer.unref();
  }

  #setServers(alive: readonly string[]): void {
    if (alive.join('\u0000') === this.#servers.join('\u0000')) return;
    const mine = new Uint8Array(256);
    for (let b = 0; b < 256; b++) mine[b] = bucketOwner(b, alive) === this.#name ? 1 : 0;
    this.#mine = mine;
    this.#log.info(
      { servers: alive, buckets: this.bucketCount },
      `HA: servers ${alive.join(', ')}; this one answers ${this.bucketCount} of 256 buckets`,
    );
    this.#servers = alive;
    this.#o.onSplit?.(alive.indexOf(this.#name) / alive.length);
  }

  #failed(err: unknown): void {
    this.#failures++;
    const now = this.#clock();
    if (now - this.#loggedAt < LOG_INTERVAL_MS) return;
    this.#log.warn(
      { failures: this.#failures },
      `HA: the lease database is unavailable (${this.#failures} failed calls since the last report): ${err instanceof Error ? err.message : String(err)}`,
    );
    this.#loggedAt = now;
    this.#failures = 0;
  }

  /** Whether this server answers the query: its bucket is ours. Other message types: everyone. */
  scope(msg: DhcpMessage): ScopeDecision {
    const type = messageTypeOf(msg);
    if (type === undefined || !HA_MESSAGE_TYPES.has(type)) return { serve: true, classes: [] };
    const key = loadBalanceKey(msg);
    if (key === undefined) return { serve: false };
    return this.#mine[loadBalanceHash(key)] === 1 ? { serve: true, classes: [] } : { serve: false };
  }

  /**
   * Claims the offered address in the database. Resolves null when this server may send the OFFER, or with
   * the peer's claim as a lease for the engine (so it picks another address); rejects when the database
   * is unavailable (no OFFER: nothing could be committed either).
   */
  async claimOffer(offer: OfferToClaim): Promise<Lease | null> {
    const id = identify(offer.request);
    let r: ClaimResult;
    try {
      r = await this.#o.coordination.claimOffer(
        ipv4ToNumber(offer.address),
        id.hwAddress,
        id.clientId,
        this.#name,
        this.config.offerClaimLifetime,
      );
    } catch (err) {
      this.#failed(err);
      throw err;
    }
    if (r.ok) return null;
    const subnetId = this.#o.subnetOf(offer.address) ?? 0;
    const now = this.#clock();
    const seconds = Math.max(1, Math.ceil(r.holder.remainingMs / 1000));
    return {
      address: offer.address,
      hwAddress: r.holder.hwAddress === '' ? '00:00:00:00:00:00' : r.holder.hwAddress,
      clientId: r.holder.clientId,
      subnetId,
      validLifetime: seconds,
      cltt: now,
      expiresAt: now + seconds * 1000,
      hostname: null,
      state: 'default',
      userContext: { 'offered-by': r.holder.server },
    };
  }

  /** status-get's `high-availability` entry. */
  status(): JsonObject {
    return {
      'ha-mode': 'active-active',
      'ha-servers': {
        local: {
          role: 'active',
          scopes: [this.#name],
          state: this.#databaseOk ? 'active-active' : 'database-unavailable',
          buckets: this.bucketCount,
        },
        peers: this.#servers.filter((s) => s !== this.#name),
      },
    };
  }
}
