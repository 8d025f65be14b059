/**
 * Virtual time: `VirtualClock` is a discrete-event clock a test advances by hand, so lossy, delayed
 * exchanges run in microseconds and exactly the same way every time.
 */
import { TransportError } from '../errors.ts';
import type { Scheduler } from '../scheduler.ts';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class VirtualClock implements Scheduler {
  private t: number;
  private seq = 0;
  private readonly heap: Pending[] = [];

  constructor(startMs = 0) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): Pending {
    const p: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.push(p);
    return p;
  }

  clearTimeout(handle: unknown): void {
    (handle as Pending).cancelled = true;
  }

  /** Number of scheduled, not cancelled, events. */
  get pending(): number {
    return this.heap.filter((p) => !p.cancelled).length;
  }

  /** The time of the next event, or undefined when idle. */
  nextAt(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /**
   * Runs every event due within `ms` (including those they schedule), in time order, then sets the clock
   * to now + ms. Returns how many ran. `maxEvents` bounds a runaway feedback loop.
   */
  advance(ms: number, maxEvents = 1_000_000): number {
    const until = this.t + Math.max(0, ms);
    let ran = 0;
    for (;;) {
      this.dropCancelled();
      const next = this.heap[0];
      if (!next || next.at > until) break;
      if (ran >= maxEvents)
        throw new TransportError(
          'ERR_TRANSPORT_VIRTUAL_RUNAWAY',
          `VirtualClock: more than ${maxEvents} events in one advance()`,
        );
      this.pop();
      this.t = next.at;
      ran++;
      next.fn();
    }
    this.t = until;
    return ran;
  }

  /** Runs events until none is left (or `maxEvents`), moving the clock as far as the last one. */
  runUntilIdle(maxEvents = 1_000_000): number {
    let ran = 0;
    for (let at = this.nextAt(); at !== undefined; at = this.nextAt()) {
      ran += this.advance(at - this.t, maxEvents - ran);
    }
    return ran;
  }

  private dropCancelled(): void {
    while (this.heap[0]?.cancelled) this.pop();
  }

  private less(a: Pending, b: Pending): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(p: Pending): void {
    const h = this.heap;
    h.push(p);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
