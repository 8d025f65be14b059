/**
 * Settles the writes of committed batches a slice at a time, giving the event loop back between slices.
 *
 * A batch's report settles every write in it, and each settled write continues its exchange at once (its
 * reply is built and sent in the microtasks that follow). After the writer thread stalled, one report can
 * carry hundreds of writes: settled in one task, a DISCOVER that arrived meanwhile waits for all their
 * replies before it is even read. Sliced, it waits for one slice. Writes settle in order, across reports
 * too: a report that arrives while an earlier one is still being settled waits behind it.
 */
export interface SettleSlicesOptions {
  /** Writes settled per task (default `DEFAULT_SETTLE_SLICE`). */
  readonly slice?: number;
  /** Runs `next` in a later task, after pending I/O (default `setImmediate`; tests inject their own). */
  readonly yieldThen?: (next: () => void) => void;
}

/**
 * About 0.5 ms of the main thread's work at 15-20 us per settled write (its reply built and sent): a batch
 * of the usual size at 6,000-14,000 DORA/s (6-21 writes) settles in the task its report arrived in, as
 * before slicing.
 */
export const DEFAULT_SETTLE_SLICE = 32;

interface Report<T> {
  readonly items: readonly T[];
  readonly settle: (item: T, index: number) => void;
  readonly failed: (item: T, error: unknown) => void;
  next: number;
}

const realYield = (next: () => void): void => {
  setImmediate(next);
};

export class SettleSlices {
  readonly #slice: number;
  readonly #yieldThen: (next: () => void) => void;
  readonly #reports: Report<unknown>[] = [];
  #yielded = false;
  #idle: (() => void)[] = [];

  constructor(options: SettleSlicesOptions = {}) {
    this.#slice = Math.max(1, Math.floor(options.slice ?? DEFAULT_SETTLE_SLICE));
    this.#yieldThen = options.yieldThen ?? realYield;
  }

  /** Writes not settled yet, over every report queued. */
  get pending(): number {
    let n = 0;
    for (const r of this.#reports) n += r.items.length - r.next;
    return n;
  }

  /**
   * Settles `items` in order with `settle`, a slice now (unless earlier reports are still being settled)
   * and the rest in later tasks. An item whose `settle` throws is handed to `failed` with the error, and
   * the others are settled all the same.
   */
  add<T>(
    items: readonly T[],
    settle: (item: T, index: number) => void,
    failed: (item: T, error: unknown) => void,
  ): void {
    if (items.length === 0) return;
    this.#reports.push({ items, settle, failed, next: 0 } as Report<unknown>);
    if (!this.#yielded) this.#run();
  }

  /** Resolves once every write added so far is settled. */
  idle(): Promise<void> {
    if (this.#reports.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  readonly #resume = (): void => {
    this.#yielded = false;
    this.#run();
  };

  /** One slice, then a yield when anything is left. */
  #run(): void {
    let budget = this.#slice;
    while (budget > 0 && this.#reports.length > 0) {
      const report = this.#reports[0]!;
      while (budget > 0 && report.next < report.items.length) {
        const i = report.next++;
        budget--;
        const item = report.items[i];
        try {
          report.settle(item, i);
        } catch (error) {
          report.failed(item, error);
        }
      }
      if (report.next >= report.items.length) this.#reports.shift();
    }
    if (this.#reports.length > 0) {
      this.#yielded = true;
      this.#yieldThen(this.#resume);
      return;
    }
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}
