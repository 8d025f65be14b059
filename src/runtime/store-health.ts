import type { Logger } from 'pino';
import type { LeaseStoreHealth } from '../leases/health.ts';

/** While the lease store keeps failing, at most one log line per this many ms, with the count since the last. */
export const STORE_FAILURE_LOG_INTERVAL_MS = 10_000;

interface Outage {
  readonly since: number;
  failed: number;
  /** Failures not yet reported in a log line. */
  unlogged: number;
  loggedAt: number;
  lastError: string;
}

/**
 * Tracks whether the lease store is failing, from the outcomes of the writes the server makes (a full disk, a
 * stopped PostgreSQL), and logs it without flooding: one ERROR line when it starts failing, then at most one
 * line per interval with the count of failures since the previous line, and one line when a write succeeds again.
 */
export class StoreHealthMonitor {
  readonly #logger: Logger;
  readonly #clock: () => number;
  readonly #intervalMs: number;
  #outage: Outage | null = null;
  #lastOutage: LeaseStoreHealth['lastOutage'];

  constructor(o: { logger: Logger; clock: () => number; intervalMs?: number }) {
    this.#logger = o.logger;
    this.#clock = o.clock;
    this.#intervalMs = o.intervalMs ?? STORE_FAILURE_LOG_INTERVAL_MS;
  }

  /** A write failed: nothing was acknowledged for it. */
  failed(err: unknown): void {
    const now = this.#clock();
    const message = err instanceof Error ? err.message : String(err);
    const outage = this.#outage;
    if (outage === null) {
      this.#outage = { since: now, failed: 1, unlogged: 0, loggedAt: now, lastError: message };
      this.#logger.error(
        { err, leaseStore: 'failing' },
        `lease store failing: ${message}; no lease is granted or renewed until it recovers`,
      );
      return;
    }
    outage.failed++;
    outage.unlogged++;
    outage.lastError = message;
    if (now - outage.loggedAt < this.#intervalMs) return;
    this.#logger.error(
      { err, leaseStore: 'failing', failedWrites: outage.unlogged, failingSince: iso(outage.since) },
      `lease store failing since ${iso(outage.since)}: ${outage.unlogged} more writes failed in the last ${Math.round((now - outage.loggedAt) / 1000)} s (${outage.failed} in all); last error: ${message}`,
    );
    outage.unlogged = 0;
    outage.loggedAt = now;
  }

  /** A write was made durable: ends an outage. Cheap when there is none (called for every write). */
  succeeded(): void {
    const outage = this.#outage;
    if (outage === null) return;
    const now = this.#clock();
    this.#outage = null;
    this.#lastOutage = { from: iso(outage.since), to: iso(now), failedWrites: outage.failed };
    this.#logger.warn(
      { leaseStore: 'recovered', failedWrites: outage.failed, failingSince: iso(outage.since) },
      `lease store recovered after ${Math.round((now - outage.since) / 1000)} s failing since ${iso(outage.since)}; ${outage.failed} writes failed meanwhile`,
    );
  }

  get failing(): boolean {
    return this.#outage !== null;
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
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
