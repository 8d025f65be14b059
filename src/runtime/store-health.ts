import type { Logger } from 'pino';
import type { LeaseStoreHealth } from '../leases/index.ts';
import { RateLimitedLog } from '../log/index.ts';

/** While the lease store keeps failing, at most one log line per this many ms, with the count since the last. */
export const STORE_FAILURE_LOG_INTERVAL_MS = 10_000;

interface Outage {
  readonly since: number;
  failed: number;
  /** Whether its first line was written (the next ones say "since"). */
  announced: boolean;
  lastError: string;
}

interface Failure {
  readonly err: unknown;
  readonly message: string;
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
  readonly #log: RateLimitedLog<Failure>;
  #outage: Outage | null = null;
  #lastOutage: LeaseStoreHealth['lastOutage'];

  constructor(o: { logger: Logger; clock: () => number; intervalMs?: number }) {
    this.#logger = o.logger;
    this.#clock = o.clock;
    this.#log = new RateLimitedLog<Failure>({
      intervalMs: o.intervalMs ?? STORE_FAILURE_LOG_INTERVAL_MS,
      emit: (count, failure) => this.#report(count, failure),
    });
  }

  /** A write failed: nothing was acknowledged for it. */
  failed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.#outage ??= { since: this.#clock(), failed: 0, announced: false, lastError: message };
    this.#outage.failed++;
    this.#outage.lastError = message;
    this.#log.hit({ err, message });
  }

  /** A write was made durable: ends an outage. Cheap when there is none (called for every write). */
  succeeded(): void {
    const outage = this.#outage;
    if (outage === null) return;
    this.#log.flush();
    const now = this.#clock();
    this.#outage = null;
    const since = iso(outage.since);
    this.#lastOutage = { from: since, to: iso(now), failedWrites: outage.failed };
    this.#logger.warn(
      { leaseStore: 'recovered', failedWrites: outage.failed, failingSince: since },
      `lease store recovered after ${Math.round((now - outage.since) / 1000)} s failing since ${since}; ${outage.failed} writes failed meanwhile`,
    );
  }

  /** Writes the count still pending (server stop). */
  close(): void {
    this.#log.flush();
  }

  snapshot(): LeaseStoreHealth {
    const outage = this.#outage;
    const last = this.#lastOutage === undefined ? {} : { lastOutage: this.#lastOutage };
    if (outage === null) return { state: 'ok', ...last };
    return {
      state: 'failing',
      failingSince: iso(outage.since),
      failedWrites: outage.failed,
      lastError: outage.lastError,
      ...last,
    };
  }

  #report(count: number, { err, message }: Failure): void {
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
