import type { Logger } from 'pino';

/** How often the junk count is written, at most (one line per interval, only when there was junk). */
export const JUNK_LOG_INTERVAL_MS = 10_000;

/**
 * Counts junk requests (undecodable, malformed, for no subnet served here) by category and writes one
 * info line per interval with the counts, instead of a line per packet: a flood or a fuzzer would
 * otherwise bury the exchanges operators audit. Each packet is still logged at debug by the caller.
 */
export class JunkTally {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  #counts = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(logger: Logger, intervalMs: number) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
  }

  count(category: string): void {
    this.#counts.set(category, (this.#counts.get(category) ?? 0) + 1);
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.flush(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Writes the line now (if anything was counted) and starts a new interval. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#counts.size === 0) return;
    const counts = Object.fromEntries(this.#counts);
    let total = 0;
    for (const n of this.#counts.values()) total += n;
    this.#counts = new Map();
    const parts = Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([what, n]) => `${n} ${what}`);
    this.#logger.info({ junk: counts }, `${total} junk requests dropped: ${parts.join(', ')}`);
  }
}
