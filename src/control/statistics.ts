import type { StatisticsAccess, StatSample } from './target.ts';

export interface StatisticsManagerOptions {
  /** The clock for samples recorded without an explicit time. */
  readonly clock?: () => number;
  /** Samples kept per statistic, newest first (Kea's `statistic-default-sample-count`, 20). */
  readonly maxSamples?: number;
}

/**
 * Named integer statistics with a short history, as Kea's StatsMgr keeps them: every change records a
 * sample `(value, time)`. Implements what the statistic-* commands need; the runtime feeds it.
 */
export class StatisticsManager implements StatisticsAccess {
  readonly #samples = new Map<string, StatSample[]>();
  readonly #clock: () => number;
  readonly #max: number;

  constructor(options: StatisticsManagerOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#max = options.maxSamples ?? 20;
    if (!Number.isInteger(this.#max) || this.#max < 1)
      throw new RangeError('maxSamples must be a positive integer');
  }

  set(name: string, value: number, at: number = this.#clock()): void {
    const list = this.#samples.get(name) ?? [];
    list.unshift({ value, at });
    if (list.length > this.#max) list.length = this.#max;
    this.#samples.set(name, list);
  }

  add(name: string, delta: number, at?: number): void {
    this.set(name, (this.value(name) ?? 0) + delta, at);
  }

  /** The current value, or undefined when the statistic does not exist. */
  value(name: string): number | undefined {
    return this.#samples.get(name)?.[0]?.value;
  }

  get(name: string): readonly StatSample[] | undefined {
    const list = this.#samples.get(name);
    return list === undefined ? undefined : [...list];
  }

  names(): readonly string[] {
    return [...this.#samples.keys()];
  }

  reset(name: string): boolean {
    if (!this.#samples.has(name)) return false;
    this.#samples.set(name, [{ value: 0, at: this.#clock() }]);
    return true;
  }

  resetAll(): void {
    for (const name of this.#samples.keys()) this.reset(name);
  }

  remove(name: string): boolean {
    return this.#samples.delete(name);
  }

  removeAll(): void {
    this.#samples.clear();
  }
}
