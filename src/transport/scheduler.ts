/**
 * Time as the transports and the runtime see it: `realScheduler` is Node's timers, the only real clock;
 * a test hands a `VirtualClock` (virtual/scheduler.ts) where a `Scheduler` is taken.
 */
export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

type RealHandle = { t: NodeJS.Timeout } | { i: NodeJS.Immediate };

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout(fn, ms): RealHandle {
    // Zero-delay deliveries still go through the loop (never synchronously inside send()).
    return ms <= 0 ? { i: setImmediate(fn) } : { t: setTimeout(fn, ms) };
  },
  clearTimeout(handle) {
    const h = handle as RealHandle;
    if ('i' in h) clearImmediate(h.i);
    else clearTimeout(h.t);
  },
};
