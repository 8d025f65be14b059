/**
 * A trace of what holds up a server's answers, loaded into the server under test by `bench/perfdhcp.ts`
 * (`TRACE=1`) as `node --import tsx --import bench/latency-trace.ts ...`. Every second it appends one JSON
 * line to `LATENCY_TRACE_FILE`: the SQLite writer's batches (from `WRITER_HOPS_CHANNEL`: how long the oldest
 * write waited before its batch went, the round trip to the thread, the transaction, the checkpoints between
 * batches), V8's garbage collections on the main thread (`PerformanceObserver('gc')`) and the event loop's
 * delay (`monitorEventLoopDelay`, as the time past its timer's interval), plus each single event over `OUTLIER_MS` with its time, and each time the
 * event loop came back `LOOP_LATE_MS` or more late to a 5 ms timer (listed when it came back, so the GC,
 * batch or switch that held it shows just before it).
 */
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import {
  WRITER_HOPS_CHANNEL,
  type RoundTripHops,
  type WriterBatchTrace,
} from '../src/leases/sqlite-writer.ts';
import type { ThreadGc } from '../src/leases/sqlite-writer-protocol.ts';
import { RING_SWITCH_CHANNEL, type RingSwitchTrace } from '../src/runtime/ring-by-load.ts';
import { SATURATION_CHANNEL, type SaturationTrace } from '../src/runtime/saturation-by-load.ts';

const FILE = process.env['LATENCY_TRACE_FILE'];
/** A single batch, checkpoint or GC pause at least this long is listed on its own. */
export const OUTLIER_MS = 5;
const MAX_OUTLIERS_PER_SECOND = 20;
/** A 5 ms timer that fires this much late or more is listed as the loop held. */
export const LOOP_LATE_MS = 10;
const LOOP_PROBE_MS = 5;
const LOOP_RESOLUTION_MS = 5;

/** Count, sum and maximum of one kind of duration over a second. */
export interface Spread {
  n: number;
  sum: number;
  max: number;
}

export interface TraceSecond {
  /** Wall-clock ms at the end of the second. */
  at: number;
  writes: number;
  waited: Spread;
  roundTrip: Spread;
  /** The round trip's hops (`roundTripSplit`), for the batches that carried their timestamps. */
  toThread: Spread;
  inThread: Spread;
  back: Spread;
  tx: Spread;
  checkpoint: Spread;
  checkpointFrames: number;
  gcMinor: Spread;
  gcMajor: Spread;
  gcOther: Spread;
  /** How late the event loop ran its `monitorEventLoopDelay` timer, ms (the histogram less its resolution). */
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
  /** The event loop's utilisation over the second (`performance.eventLoopUtilization`), 0-1. */
  elu: number;
  outliers: string[];
  /** The hops of the round trips of `OUTLIER_MS` or more, summed (`n` of them), every one of them, not only those listed. */
  slowSplit?: SplitSum;
}

/** `RoundTripSplit`s added up; NaN waits (not readable) count as 0. */
export type SplitSum = { n: number } & { -readonly [K in keyof RoundTripSplit]: number };

export function addSplit(sum: SplitSum | undefined, split: RoundTripSplit): SplitSum {
  const to: SplitSum = sum ?? {
    n: 0,
    main: 0,
    toThread: 0,
    threadBusy: 0,
    inThread: 0,
    tx: 0,
    back: 0,
    threadGc: 0,
    mainGc: 0,
    threadCpuWait: 0,
    threadCpuWaitIn: 0,
    mainCpuWait: 0,
  };
  to.n++;
  for (const key of Object.keys(split) as (keyof RoundTripSplit)[]) {
    const ms = split[key];
    if (!Number.isNaN(ms)) to[key] += ms;
  }
  return to;
}

const spread = (): Spread => ({ n: 0, sum: 0, max: 0 });
const add = (s: Spread, ms: number): void => {
  s.n++;
  s.sum += ms;
  if (ms > s.max) s.max = ms;
};

function fresh(): TraceSecond {
  return {
    at: 0,
    writes: 0,
    waited: spread(),
    roundTrip: spread(),
    toThread: spread(),
    inThread: spread(),
    back: spread(),
    tx: spread(),
    checkpoint: spread(),
    checkpointFrames: 0,
    gcMinor: spread(),
    gcMajor: spread(),
    gcOther: spread(),
    loopDelayMaxMs: 0,
    loopDelayP99Ms: 0,
    elu: 0,
    outliers: [],
  };
}

function outlier(s: TraceSecond, what: string, ms: number): void {
  if (ms >= OUTLIER_MS && s.outliers.length < MAX_OUTLIERS_PER_SECOND)
    s.outliers.push(`${new Date().toISOString().slice(11, 23)} ${what} ${ms.toFixed(1)} ms`);
}

/** Where one round trip's time went, ms: each hop between the four timestamps, and what overlapped them. */
export interface RoundTripSplit {
  /** Encoding the batch on the main thread, before posting it. */
  readonly main: number;
  /** From posting to the thread's handler getting it. */
  readonly toThread: number;
  /** Of `toThread`: the thread still busy after its previous report (checkpoint scheduling, a fallback checkpoint). */
  readonly threadBusy: number;
  /** In the thread but outside the transaction: decoding the batch. */
  readonly inThread: number;
  readonly tx: number;
  /** From the thread posting its report to the main thread's handler getting it. */
  readonly back: number;
  /** The thread's own GC time inside [posted, report posted]. */
  readonly threadGc: number;
  /** The main thread's GC time inside [report posted, report received]. */
  readonly mainGc: number;
  /** The thread's wait, runnable, for a CPU before it got the batch (NaN for its first traced one). */
  readonly threadCpuWait: number;
  /** Its wait for a CPU while handling the batch. */
  readonly threadCpuWaitIn: number;
  /** The main thread's wait for a CPU over the whole round trip. */
  readonly mainCpuWait: number;
}

/** The time of `spans` inside [from, to], ms. */
export function overlapMs(spans: readonly ThreadGc[], from: number, to: number): number {
  let ms = 0;
  for (const s of spans) ms += Math.max(0, Math.min(to, s.at + s.ms) - Math.max(from, s.at));
  return ms;
}

export function roundTripSplit(
  h: RoundTripHops,
  txMs: number,
  threadGc: readonly ThreadGc[],
  mainGc: readonly ThreadGc[],
): RoundTripSplit {
  return {
    main: h.postedAt - h.startedAt,
    toThread: h.receivedAt - h.postedAt,
    threadBusy: Math.max(0, Math.min(h.previousDoneAt, h.receivedAt) - h.postedAt),
    inThread: h.reportAt - h.receivedAt - txMs,
    tx: txMs,
    back: h.reportReceivedAt - h.reportAt,
    threadGc: overlapMs(threadGc, h.postedAt, h.reportAt),
    mainGc: overlapMs(mainGc, h.reportAt, h.reportReceivedAt),
    threadCpuWait: h.cpuWaitBeforeMs,
    threadCpuWaitIn: h.cpuWaitInMs,
    mainCpuWait: h.mainCpuWaitMs,
  };
}

export function formatSplit(s: RoundTripSplit): string {
  const f = (ms: number): string => ms.toFixed(2);
  return (
    `main ${f(s.main)} + to thread ${f(s.toThread)} (thread busy ${f(s.threadBusy)}) + in thread ${f(s.inThread)}` +
    ` + tx ${f(s.tx)} + back ${f(s.back)}; GC thread ${f(s.threadGc)} main ${f(s.mainGc)}; waiting for a CPU:` +
    ` thread ${f(s.threadCpuWait)} before, ${f(s.threadCpuWaitIn)} in; main ${f(s.mainCpuWait)} over the round trip`
  );
}

/** The latest few of a thread's GCs, for the overlap with a round trip. */
const RECENT_GC = 64;
const remember = (list: ThreadGc[], gc: ThreadGc): void => {
  list.push(gc);
  if (list.length > RECENT_GC) list.shift();
};

if (FILE !== undefined) {
  let now = fresh();
  const threadGc: ThreadGc[] = [];
  const mainGc: ThreadGc[] = [];
  /**
   * An outlier with its hops waits for the next batch before it is written: a GC of the thread that held it
   * reaches the trace with a later report.
   */
  let pending: { readonly b: WriterBatchTrace & { hops: RoundTripHops }; readonly at: string } | null = null;
  const flushPending = (): void => {
    if (pending === null) return;
    const { b, at } = pending;
    pending = null;
    const split = roundTripSplit(b.hops, b.txMs, threadGc, mainGc);
    now.slowSplit = addSplit(now.slowSplit, split);
    if (now.outliers.length < MAX_OUTLIERS_PER_SECOND)
      now.outliers.push(
        `${at} batch of ${b.writes}: round trip ${b.roundTripMs.toFixed(1)} ms = ${formatSplit(split)}`,
      );
  };
  subscribe(WRITER_HOPS_CHANNEL, (message) => {
    const b = message as WriterBatchTrace;
    now.writes += b.writes;
    add(now.waited, b.waitedMs);
    add(now.roundTrip, b.roundTripMs);
    add(now.tx, b.txMs);
    const hops = b.hops;
    if (hops === undefined) {
      outlier(now, `batch of ${b.writes}: round trip (tx ${b.txMs.toFixed(1)} ms)`, b.roundTripMs);
    } else {
      for (const gc of hops.gc) remember(threadGc, gc);
      flushPending();
      const split = roundTripSplit(hops, b.txMs, [], []);
      add(now.toThread, split.toThread);
      add(now.inThread, split.inThread);
      add(now.back, split.back);
      if (b.roundTripMs >= OUTLIER_MS)
        pending = { b: { ...b, hops }, at: new Date().toISOString().slice(11, 23) };
    }
    if (b.checkpoint !== undefined) {
      add(now.checkpoint, b.checkpoint.ms);
      now.checkpointFrames += b.checkpoint.checkpointedFrames;
      const where = b.checkpoint.inWriter === true ? 'in the writer' : 'in its thread';
      outlier(now, `checkpoint ${where} of ${b.checkpoint.checkpointedFrames} frames`, b.checkpoint.ms);
    }
  });
  subscribe(RING_SWITCH_CHANNEL, (message) => {
    const r = message as RingSwitchTrace;
    if (now.outliers.length < MAX_OUTLIERS_PER_SECOND)
      now.outliers.push(
        `${new Date().toISOString().slice(11, 23)} receive path to ${r.ring ? 'ring' : 'recvmmsg'} at load ${r.load.toFixed(2)}`,
      );
  });
  subscribe(SATURATION_CHANNEL, (message) => {
    const r = message as SaturationTrace;
    if (now.outliers.length < MAX_OUTLIERS_PER_SECOND)
      now.outliers.push(
        `${new Date().toISOString().slice(11, 23)} commit hold ${r.saturated ? 'saturated' : 'back to its bound'} at load ${r.load.toFixed(2)}`,
      );
  });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) add(now.gcMajor, e.duration);
      else if (kind === constants.NODE_PERFORMANCE_GC_MINOR) add(now.gcMinor, e.duration);
      else add(now.gcOther, e.duration);
      remember(mainGc, { at: performance.timeOrigin + e.startTime, ms: e.duration });
      outlier(now, `gc kind ${kind}`, e.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  let probeDue = performance.now() + LOOP_PROBE_MS;
  setInterval(() => {
    const at = performance.now();
    const late = at - probeDue;
    probeDue = at + LOOP_PROBE_MS;
    if (late >= LOOP_LATE_MS) outlier(now, 'event loop held (timer late)', late);
  }, LOOP_PROBE_MS).unref();
  // The histogram records each whole interval between the timer's runs: an idle loop reads the resolution.
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  let lastElu = performance.eventLoopUtilization();
  setInterval(() => {
    flushPending();
    now.elu = performance.eventLoopUtilization(lastElu).utilization;
    lastElu = performance.eventLoopUtilization();
    now.at = Date.now();
    now.loopDelayMaxMs = Math.max(0, loop.max / 1e6 - LOOP_RESOLUTION_MS);
    now.loopDelayP99Ms = Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS);
    loop.reset();
    appendFileSync(FILE, `${JSON.stringify(now)}\n`);
    now = fresh();
  }, 1000).unref();
}
