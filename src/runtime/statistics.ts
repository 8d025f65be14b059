import { StatisticsManager } from '../control/index.ts';
import type { StatisticsAccess, StatSample } from '../control/index.ts';

/**
 * The control channel's statistics over the engine's counters: `sample()` records a sample for every
 * counter that changed since the last one (the runtime calls it periodically and on every read), so the
 * statistic-* commands see Kea-style histories. The engine's counters never go back, so `reset` keeps an
 * offset, and `remove` hides a statistic until its counter moves again (as in Kea, where the next update
 * recreates it).
 */
export class EngineStatistics implements StatisticsAccess {
  readonly #source: () => Record<string, number>;
  readonly #manager: StatisticsManager;
  readonly #offset = new Map<string, number>();
  readonly #removedAt = new Map<string, number>();
  #last: Record<string, number> = {};

  constructor(source: () => Record<string, number>, clock: () => number = Date.now) {
    this.#source = source;
    this.#manager = new StatisticsManager({ clock });
  }

  /** Records the counters that changed. */
  sample(): void {
    const raw = this.#source();
    this.#last = raw;
    for (const [name, value] of Object.entries(raw)) {
      const removedAt = this.#removedAt.get(name);
      if (removedAt !== undefined) {
        if (removedAt === value) continue;
        this.#removedAt.delete(name);
      }
      const v = value - (this.#offset.get(name) ?? 0);
      if (this.#manager.value(name) !== v) this.#manager.set(name, v);
    }
  }

  /** The current value of one statistic (after a fresh sample), or undefined. */
  value(name: string): number | undefined {
    this.sample();
    return this.#manager.value(name);
  }

  get(name: string): readonly StatSample[] | undefined {
    this.sample();
    return this.#manager.get(name);
  }

  /** Every visible statistic with its current value, after one fresh sample (the metrics scrape). */
  current(): [name: string, value: number][] {
    this.sample();
    const out: [string, number][] = [];
    for (const name of this.#manager.names()) {
      const v = this.#manager.value(name);
      if (v !== undefined) out.push([name, v]);
    }
    return out;
  }

  names(): readonly string[] {
    this.sample();
    return this.#manager.names();
  }

  reset(name: string): boolean {
    this.sample();
    if (!this.#manager.reset(name)) return false;
    this.#offset.set(name, this.#last[name] ?? 0);
    return true;
  }

  resetAll(): void {
    for (const name of this.names()) this.reset(name);
  }

  remove(name: string): boolean {
    this.sample();
    if (!this.#manager.remove(name)) return false;
    this.#offset.delete(name);
    this.#removedAt.set(name, this.#last[name] ?? 0);
    return true;
  }

  removeAll(): void {
    for (const name of this.names()) this.remove(name);
  }
}
