import type { Queued } from '../../src/leases/group-commit.ts';

/** A commit callback that records its batches and settles them when told. */
export function recorder(): {
  batches: number[][];
  open: { batch: readonly Queued<number>[]; finish: () => void }[];
  commit: (batch: readonly Queued<number>[]) => Promise<void>;
} {
  const batches: number[][] = [];
  const open: { batch: readonly Queued<number>[]; finish: () => void }[] = [];
  return {
    batches,
    open,
    commit: (batch) => {
      batches.push(batch.map((e) => e.op));
      return new Promise<void>((done) =>
        open.push({
          batch,
          finish: () => {
            for (const e of batch) e.resolve(e.op * 10);
            done();
          },
        }),
      );
    },
  };
}

export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A fake clock and timers: `after` records what it is asked to run and when; `advance` runs what is due. */
export function fakeTime(): {
  now: () => number;
  after: (run: () => void, ms: number) => () => void;
  advance: (ms: number) => void;
  set: (t: number) => void;
  asked: number[];
} {
  let t = 0;
  const timers: { at: number; run: () => void; cancelled: boolean }[] = [];
  const asked: number[] = [];
  return {
    now: () => t,
    asked,
    after: (run, ms) => {
      asked.push(ms);
      const timer = { at: t + ms, run, cancelled: false };
      timers.push(timer);
      return () => (timer.cancelled = true);
    },
    set: (to) => (t = to),
    advance: (ms) => {
      const until = t + ms;
      // Each timer runs at its own time, in order, as a real clock would run them.
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (next === undefined || next.at > until) break;
        timers.shift();
        if (next.cancelled) continue;
        t = Math.max(t, next.at);
        next.run();
      }
      t = until;
    },
  };
}
