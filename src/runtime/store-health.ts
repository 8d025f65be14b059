import type { Logger } from 'pino';
import type { LeaseStoreHealth, LeaseStoreWarning } from '../leases/index.ts';
import { RateLimitedLog, loggedFailure, type LoggedFailure } from '../log/index.ts';
import { ListenHealth } from './listen-health.ts';

/** While the lease store keeps failing, at most one log line per this many ms, with the count since the last. */
export const STORE_FAILURE_LOG_INTERVAL_MS = 10_000;

/** After a failed write the store is probed after this long, then twice as long after each failed probe... */
export const STORE_PROBE_FIRST_MS = 1000;
/** ...up to this. */
export const STORE_PROBE_MAX_MS = 60_000;
/** A probe that has not answered by then counts as failed (a PostgreSQL host that drops packets). */
export const STORE_PROBE_TIMEOUT_MS = 5000;

const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  // A UNIX socket directory without PostgreSQL's socket in it: the server is down.
  'ENOENT',
]);
/** PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now. */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
const CONNECTION_MESSAGE =
  /connection terminated|connection timeout|timeout exceeded when trying to connect|terminating connection|the database system is (?:starting up|shutting down|in recovery mode)/i;

/**
 * Whether a failure is the store being unreachable (a stopped or restarting PostgreSQL, a cut network): then
 * a read that answers means writes will too, and a probe may end the outage. Other failures (a full disk,
 * an I/O error, a read-only standby) leave reads working, so only a write that succeeds ends them.
 */
export function isConnectionFailure(err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      if (CONNECTION_ERRNOS.has(code) || CONNECTION_SQLSTATES.has(code) || code.startsWith('08')) return true;
    }
    if (typeof message === 'string' && CONNECTION_MESSAGE.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** How the monitor checks, without traffic, that the store answers again (a cheap read). */
export interface StoreProbe {
  readonly run: () => Promise<unknown>;
  readonly firstMs?: number;
  readonly maxMs?: number;
  readonly timeoutMs?: number;
}

interface Outage {
  readonly since: number;
  failed: number;
  /** Whether its first line was written (the next ones say "since"). */
  announced: boolean;
  lastError: string;
  /** The last failure was the store being unreachable: a read that answers tells it is back. */
  unreachable: boolean;
}

/**
 * Counts the store's warnings for status-get (`lease-store.warnings`): the SQLite writer's checkpoint thread
 * stalled or failing, the writer checkpointing the WAL itself. They arrive already rate-limited with a count, and
 * are logged where they arrive; this keeps how many there were since start, and the last one.
 */
export class StoreWarnings {
  readonly #clock: () => number;
  #count = 0;
  #last = '';
  #lastAt = 0;

  constructor(clock: () => number) {
    this.#clock = clock;
  }

  record(warning: LeaseStoreWarning): void {
    this.#count += Math.max(1, warning.count);
    this.#last = warning.message;
    this.#lastAt = this.#clock();
  }

  /** Undefined until the first warning. */
  snapshot(): LeaseStoreHealth['warnings'] {
    if (this.#count === 0) return undefined;
    return { count: this.#count, last: this.#last, lastAt: new Date(this.#lastAt).toISOString() };
  }
}

/**
 * Tracks whether the lease store is failing, from the outcomes of the writes the server makes (a full disk, a
 * stopped PostgreSQL), and logs it without flooding (a full disk at 500 requests/s wrote 30,931 identical lines
 * a minute): one ERROR line when it starts failing, then at most one line per interval with the count of
 * failures since the previous line (`RateLimitedLog`), and one line when a write succeeds again.
 */
export class StoreHealthMonitor {
  readonly #logger: Logger;
  readonly #clock: () => number;
  readonly #log: RateLimitedLog<LoggedFailure>;
  /** PostgreSQL's LISTEN connection, reported with the store's health. */
  readonly listen: ListenHealth;
  /** The store's warnings (already logged by whoever received them), reported with its health. */
  readonly warnings: StoreWarnings;
  #outage: Outage | null = null;
  #lastOutage: LeaseStoreHealth['lastOutage'];
  readonly #probe: StoreProbe | undefined;
  #probeDelayMs = 0;
  #probeTimer: NodeJS.Timeout | undefined;
  #probing = false;
  #closed = false;

  constructor(o: {
    logger: Logger;
    clock: () => number;
    intervalMs?: number;
    probe?: StoreProbe;
    /** Made before the store opened, since the store reports its warnings from its first moment. */
    warnings?: StoreWarnings;
  }) {
    this.#logger = o.logger;
    this.warnings = o.warnings ?? new StoreWarnings(o.clock);
    this.#clock = o.clock;
    this.#probe = o.probe;
    const intervalMs = o.intervalMs ?? STORE_FAILURE_LOG_INTERVAL_MS;
    this.#log = new RateLimitedLog<LoggedFailure>({
      intervalMs,
      emit: (count, failure) => this.#report(count, failure),
    });
    this.listen = new ListenHealth({ logger: o.logger, clock: o.clock, intervalMs });
  }

  /** A write failed: nothing was acknowledged for it. */
  failed(err: unknown): void {
    const failure = loggedFailure(err);
    const { message } = failure;
    this.#outage ??= {
      since: this.#clock(),
      failed: 0,
      announced: false,
      lastError: message,
      unreachable: false,
    };
    this.#outage.failed++;
    this.#outage.lastError = message;
    this.#outage.unreachable = isConnectionFailure(err);
    this.#log.hit(failure);
    this.#scheduleProbe();
  }

  /** A write was made durable: ends an outage. Cheap when there is none (called for every write). */
  succeeded(): void {
    this.#recovered('');
  }

  #recovered(how: string): void {
    const outage = this.#outage;
    if (outage === null) return;
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    this.#probeDelayMs = 0;
    this.#log.flush();
    const now = this.#clock();
    this.#outage = null;
    const since = iso(outage.since);
    this.#lastOutage = { from: since, to: iso(now), failedWrites: outage.failed };
    this.#logger.warn(
      { leaseStore: 'recovered', failedWrites: outage.failed, failingSince: since },
      `lease store recovered${how} after ${Math.round((now - outage.since) / 1000)} s failing since ${since}; ${outage.failed} writes failed meanwhile`,
    );
  }

  /**
   * While an outage lasts and no write comes (an idle server), a cheap read tells whether the store answers
   * again, so status-get stops saying `failing`: one probe at a time, each bounded, backing off.
   */
  #scheduleProbe(): void {
    const probe = this.#probe;
    if (probe === undefined || this.#closed || this.#probing || this.#probeTimer !== undefined) return;
    if (this.#outage === null || !this.#outage.unreachable) return;
    const maxMs = probe.maxMs ?? STORE_PROBE_MAX_MS;
    this.#probeDelayMs =
      this.#probeDelayMs === 0
        ? (probe.firstMs ?? STORE_PROBE_FIRST_MS)
        : Math.min(this.#probeDelayMs * 2, maxMs);
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = undefined;
      void this.#runProbe(probe);
    }, this.#probeDelayMs);
    this.#probeTimer.unref();
  }

  async #runProbe(probe: StoreProbe): Promise<void> {
    const outage = this.#outage;
    if (outage === null || !outage.unreachable || this.#closed) return;
    const failedBefore = outage.failed;
    this.#probing = true;
    let timer: NodeJS.Timeout | undefined;
    let answered: boolean;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error('the probe did not answer')),
          probe.timeoutMs ?? STORE_PROBE_TIMEOUT_MS,
        );
      });
      await Promise.race([probe.run(), timeout]);
      answered = true;
    } catch {
      answered = false;
    } finally {
      clearTimeout(timer);
      this.#probing = false;
    }
    // A write that failed meanwhile decides over the probe.
    if (answered && this.#outage === outage && outage.failed === failedBefore)
      this.#recovered(' (a probe read answered)');
    else this.#scheduleProbe();
  }

  /** Writes the count still pending (server stop). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    this.#log.flush();
    this.listen.close();
  }

  snapshot(): LeaseStoreHealth {
    const outage = this.#outage;
    const listen = this.listen.snapshot();
    const warnings = this.warnings.snapshot();
    const last = {
      ...(this.#lastOutage === undefined ? {} : { lastOutage: this.#lastOutage }),
      ...(listen === undefined ? {} : { listen }),
      ...(warnings === undefined ? {} : { warnings }),
    };
    if (outage === null) return { state: 'ok', ...last };
    return {
      state: 'failing',
      failingSince: iso(outage.since),
      failedWrites: outage.failed,
      lastError: outage.lastError,
      ...last,
    };
  }

  #report(count: number, { err, message }: LoggedFailure): void {
    const outage = this.#outage;
    if (outage === null) return;
    if (!outage.announced) {
      outage.announced = true;
      this.#logger.error(
        { err, leaseStore: 'failing' },
        `lease store failing: ${message}; no lease is granted or renewed until it recovers`,
      );
      return;
    }
    const since = iso(outage.since);
    this.#logger.error(
      { err, leaseStore: 'failing', failedWrites: count, failingSince: since },
      `lease store failing since ${since}: ${count} more writes failed (${outage.failed} in all); last error: ${message}`,
    );
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
