import type { Logger } from 'pino';
import type { LeaseStoreHealth } from '../leases/index.ts';
import type { ListenResync } from '../leases/index.ts';
import { RateLimitedLog, loggedFailure, type LoggedFailure } from '../log/index.ts';

/**
 * PostgreSQL's LISTEN connection (how this server hears of the leases the others write): logged without
 * flooding, since the listener retries every second while the database is away. One WARN line when it is
 * lost, then at most one per interval with the count of failed reconnections, and one when it is back (with
 * how many changed rows it re-read to catch up);
 * `snapshot()` is status-get's `lease-store.listen`.
 */
export class ListenHealth {
  readonly #logger: Logger;
  readonly #clock: () => number;
  readonly #log: RateLimitedLog<LoggedFailure>;
  #state: 'ok' | 'reconnecting' = 'ok';
  #failures = 0;
  /** Failures since the connection was last up. */
  #failuresInOutage = 0;
  #lastError = '';
  #lastErrorAt = 0;

  constructor(o: { logger: Logger; clock: () => number; intervalMs: number }) {
    this.#logger = o.logger;
    this.#clock = o.clock;
    this.#log = new RateLimitedLog<LoggedFailure>({
      intervalMs: o.intervalMs,
      emit: (count, failure) => this.#report(count, failure),
    });
  }

  /** The connection was lost, or a reconnection failed. Writes are unaffected. */
  failed(err: unknown): void {
    const failure = loggedFailure(err);
    const { message } = failure;
    this.#state = 'reconnecting';
    this.#failures++;
    this.#failuresInOutage++;
    this.#lastError = message;
    this.#lastErrorAt = this.#clock();
    this.#log.hit(failure);
  }

  /** Back, after re-reading `resync.rows` rows the other servers changed while it was down. */
  reconnected(resync: ListenResync): void {
    if (this.#state === 'ok') return;
    this.#log.flush();
    this.#state = 'ok';
    this.#logger.warn(
      {
        leaseStore: 'listen-recovered',
        failures: this.#failuresInOutage,
        reread: resync.rows,
        ms: resync.ms,
      },
      `lease store: LISTEN connection back after ${this.#failuresInOutage} failure(s); re-read ${resync.rows} lease row(s) changed meanwhile in ${resync.ms} ms`,
    );
    this.#failuresInOutage = 0;
  }

  /** Writes the count still pending (server stop). */
  close(): void {
    this.#log.flush();
  }

  /** Undefined until the connection first failed. */
  snapshot(): LeaseStoreHealth['listen'] {
    if (this.#failures === 0) return undefined;
    return {
      state: this.#state,
      failures: this.#failures,
      lastError: this.#lastError,
      lastErrorAt: new Date(this.#lastErrorAt).toISOString(),
    };
  }

  #report(count: number, { err, message }: LoggedFailure): void {
    if (count === 1 && this.#failuresInOutage === 1) {
      this.#logger.warn(
        { err, leaseStore: 'listen-failing' },
        `lease store: LISTEN connection to PostgreSQL lost: ${message}; other servers' lease changes are not seen until it reconnects`,
      );
      return;
    }
    this.#logger.warn(
      { err, leaseStore: 'listen-failing', failures: count },
      `lease store: ${count} more LISTEN connection failures (${this.#failuresInOutage} since it was lost); last error: ${message}`,
    );
  }
}
