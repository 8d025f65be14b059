import type { Logger } from 'pino';

/** How often a tally is written, at most (one line per interval, only when something was counted). */
export const TALLY_INTERVAL_MS = 10_000;

export interface TallyOptions {
  readonly logger: Logger;
  readonly level: 'info' | 'warn';
  readonly intervalMs: number;
  /** The line: `what` is e.g. "junk requests dropped", followed by the total and the counts by category. */
  readonly what: string;
}

/**
 * Counts repeated events by category (junk requests, replies the transport refused) and writes one line
 * per interval with the counts, instead of a line per packet: a flood or a fuzzer would otherwise bury
 * the exchanges operators audit. The caller logs each event at debug if it wants the details.
 */
export class IntervalTally {
  readonly #o: TallyOptions;
  #counts = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: TallyOptions) {
    this.#o = options;
  }

  count(category: string): void {
    this.#counts.set(category, (this.#counts.get(category) ?? 0) + 1);
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.flush(), this.#o.intervalMs);
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
    this.#o.logger[this.#o.level]({ counts }, `${total} ${this.#o.what}: ${parts.join(', ')}`);
  }
}
