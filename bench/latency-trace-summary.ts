/**
 * The bench side of `bench/latency-trace.ts`: the node flags that load it into a server, and the summary of
 * what it wrote during a timed run.
 */
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OUTLIER_MS, type SplitSum, type Spread, type TraceSecond } from './latency-trace.ts';

const TRACE_MODULE = fileURLToPath(new URL('./latency-trace.ts', import.meta.url));

/**
 * Node flags that load the trace into a server spawned from this process (which inherits its environment, the
 * trace's file name included); removes an old trace at `file`.
 */
export function traceServerArgs(file: string): string[] {
  rmSync(file, { force: true });
  process.env['LATENCY_TRACE_FILE'] = file;
  return ['--import', 'tsx', '--import', TRACE_MODULE];
}

/** The trace's seconds from `from` to `to` (wall clock), summed up in two lines plus the outliers. */
export function traceSummary(file: string, from: number, to: number): string {
  let lines: TraceSecond[];
  try {
    lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as TraceSecond)
      .filter((l) => l.at > from && l.at <= to + 1000);
  } catch {
    return '  trace: none written';
  }
  const sum = (pick: (t: TraceSecond) => Spread): Spread =>
    lines.reduce(
      (a, t) => {
        const s = pick(t);
        return { n: a.n + s.n, sum: a.sum + s.sum, max: Math.max(a.max, s.max) };
      },
      { n: 0, sum: 0, max: 0 },
    );
  const show = (label: string, s: Spread): string =>
    `${label} ${s.n === 0 ? '-' : `avg ${(s.sum / s.n).toFixed(2)} max ${s.max.toFixed(1)}`}`;
  const count = (label: string, s: Spread): string =>
    `${label} ${s.n}${s.n === 0 ? '' : ` (total ${s.sum.toFixed(0)}, max ${s.max.toFixed(1)} ms)`}`;
  const batches = sum((t) => t.tx);
  const writes = lines.reduce((a, t) => a + t.writes, 0);
  const frames = lines.reduce((a, t) => a + t.checkpointFrames, 0);
  return [
    `  trace: ${batches.n} batches, ${batches.n === 0 ? 0 : (writes / batches.n).toFixed(1)} writes each; ms: ` +
      `${show(
        'oldest write waited',
        sum((t) => t.waited),
      )}, ${show(
        'round trip',
        sum((t) => t.roundTrip),
      )}, ` +
      `${show(
        'transaction',
        sum((t) => t.tx),
      )}; ${show(
        'to thread',
        sum((t) => t.toThread ?? { n: 0, sum: 0, max: 0 }),
      )}, ${show(
        'in thread outside tx',
        sum((t) => t.inThread ?? { n: 0, sum: 0, max: 0 }),
      )}, ${show(
        'back',
        sum((t) => t.back ?? { n: 0, sum: 0, max: 0 }),
      )}; ${count(
        'checkpoints',
        sum((t) => t.checkpoint),
      )}, ${frames} frames`,
    `  trace: GC ${count(
      'minor',
      sum((t) => t.gcMinor),
    )}, ${count(
      'major',
      sum((t) => t.gcMajor),
    )}, ` +
      `${count(
        'other',
        sum((t) => t.gcOther),
      )}; event loop late max ` +
      `${Math.max(0, ...lines.map((t) => t.loopDelayMaxMs)).toFixed(1)} ms, worst second's p99 ` +
      `${Math.max(0, ...lines.map((t) => t.loopDelayP99Ms)).toFixed(1)} ms; event loop utilisation per second ` +
      lines.map((t) => (t.elu ?? 0).toFixed(2)).join(' '),
    ...slowSplitLine(lines),
    ...lines.flatMap((t) => t.outliers).map((o) => `    ${o}`),
  ].join('\n');
}

/** Where the slow round trips' time went, all of them together (`TraceSecond.slowSplit`): none if none. */
function slowSplitLine(lines: readonly TraceSecond[]): string[] {
  let all: SplitSum | undefined;
  for (const t of lines) {
    const second = t.slowSplit;
    if (second === undefined) continue;
    if (all === undefined) all = { ...second };
    else for (const key of Object.keys(second) as (keyof SplitSum)[]) all[key] += second[key];
  }
  if (all === undefined) return [];
  const f = (ms: number): string => (ms / all.n).toFixed(2);
  return [
    `  trace: the ${all.n} round trips of ${OUTLIER_MS} ms or more, ms each on average: main ${f(all.main)}, to thread ${f(all.toThread)} ` +
      `(its CPU wait ${f(all.threadCpuWait)}, its GC ${f(all.threadGc)}, busy ${f(all.threadBusy)}), in thread ${f(all.inThread)}, ` +
      `tx ${f(all.tx)} (its CPU wait ${f(all.threadCpuWaitIn)}), back ${f(all.back)} (main GC ${f(all.mainGc)}); ` +
      `the main thread's CPU wait over the round trip ${f(all.mainCpuWait)}`,
  ];
}
