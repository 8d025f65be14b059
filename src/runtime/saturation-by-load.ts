import { channel } from 'node:diagnostics_channel';
import { LoadHysteresis, loadSampler, type RingByLoadOptions } from './ring-by-load.ts';

/** Diagnostics channel: one `SaturationTrace` per change, published only while somebody subscribes. */
export const SATURATION_CHANNEL = 'leasekeeper:saturation:switch';
export interface SaturationTrace {
  readonly saturated: boolean;
  /** The load of the window that decided it, 0-1. */
  readonly load: number;
}
const switches = channel(SATURATION_CHANNEL);

/**
 * Whether the server is saturated, by the signal and marks that switch the receive ring (`RingByLoad`): the
 * load (event loop, or all threads' CPU over the CPUs allowed) averaged 0.7 or more over a second, until it
 * averages 0.4 or less over half a second. The SQLite writer's group commit asks it as it sets each hold, and
 * lets a transaction collect writes for longer while it says so.
 */
export class SaturationByLoad {
  readonly #hysteresis: LoadHysteresis;
  /** The load sampler, made at `start()` so that its first window does not span the server's start. */
  #sample: (() => number) | undefined;
  readonly #windowMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: RingByLoadOptions = {}) {
    this.#hysteresis = new LoadHysteresis(opts.marks);
    this.#windowMs = opts.windowMs ?? 100;
    this.#sample = opts.sample;
  }

  get saturated(): boolean {
    return this.#hysteresis.ringOn;
  }

  /** Samples every window until `stop()`. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#sample ??= loadSampler();
    this.#timer = setInterval(() => this.tick(), this.#windowMs);
    this.#timer.unref();
  }

  /** Ends one window (the timer's job; tests call it directly). */
  tick(): void {
    const before = this.saturated;
    this.#sample ??= loadSampler();
    const load = this.#sample();
    if (this.#hysteresis.observe(load) === before) return;
    if (switches.hasSubscribers) switches.publish({ saturated: !before, load } satisfies SaturationTrace);
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
