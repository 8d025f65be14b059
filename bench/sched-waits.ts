/**
 * SCHED=1 for the perfdhcp bench: the kernel's scheduler trace around a timed run (`perf sched record -a`),
 * summed per thread group as the time from each wake-up to the thread running ("sch delay" in
 * `perf sched timehist`). It answers what the latency trace cannot: whether a thread that waited for a core
 * waited behind another thread of the server, V8's helpers, perfdhcp, or something else on the machine.
 * docs/scaling.md, "V8's helper threads and the scheduler (round 10)", is what it found first.
 */

/** One row of `perf sched timehist`: a thread's stretch on a CPU, ending at `endS`. */
export interface SchedRow {
  /** When the thread left the CPU, seconds (perf's clock). */
  endS: number;
  cpu: number;
  /** The thread's name (comm), which may hold spaces. */
  comm: string;
  tid: number;
  /** The process (thread group) id; the tid itself for a process's first thread. */
  pid: number;
  /** Off the CPU before this stretch, ms. */
  waitMs: number;
  /** From its wake-up to running, ms: the wait for a core. */
  schDelayMs: number;
  /** On the CPU, ms. */
  runMs: number;
}

// `   64053.894235 [0001]  WorkerThread[30572/30564]   5.546   4.764   0.288 `; a name may hold spaces
// (`npm run bench:p[30522]`), so the task is matched from its bracketed ids back.
const ROW =
  /^\s*(\d+\.\d+)\s+\[(\d+)\]\s+(.*)\[(\d+)(?:\/(\d+))?\]\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)\s*$/;

/** Every row of `perf sched timehist`'s default output; headers, separators and idle lines are skipped. */
export function parseTimehist(text: string): SchedRow[] {
  const rows: SchedRow[] = [];
  for (const line of text.split('\n')) {
    const m = ROW.exec(line);
    if (m === null) continue;
    const tid = Number(m[4]);
    rows.push({
      endS: Number(m[1]),
      cpu: Number(m[2]),
      comm: (m[3] ?? '').trimEnd(),
      tid,
      pid: m[5] === undefined ? tid : Number(m[5]),
      waitMs: Number(m[6]),
      schDelayMs: Number(m[7]),
      runMs: Number(m[8]),
    });
  }
  return rows;
}

/** A thread group's waits for a core. */
export interface WaitSummary {
  group: string;
  wakeUps: number;
  p99Ms: number;
  maxMs: number;
  over2Ms: number;
  over5Ms: number;
}

/**
 * Each group's waits for a core, in the order the groups first appear; `groupOf` names a row's group or
 * leaves it out (undefined).
 */
export function summariseWaits(
  rows: readonly SchedRow[],
  groupOf: (row: SchedRow) => string | undefined,
): WaitSummary[] {
  const byGroup = new Map<string, number[]>();
  for (const row of rows) {
    const group = groupOf(row);
    if (group === undefined) continue;
    let delays = byGroup.get(group);
    if (delays === undefined) byGroup.set(group, (delays = []));
    delays.push(row.schDelayMs);
  }
  return [...byGroup].map(([group, delays]) => {
    delays.sort((a, b) => a - b);
    return {
      group,
      wakeUps: delays.length,
      p99Ms: delays[Math.min(delays.length - 1, Math.floor(delays.length * 0.99))] ?? 0,
      maxMs: delays.at(-1) ?? 0,
      over2Ms: delays.filter((d) => d > 2).length,
      over5Ms: delays.filter((d) => d > 5).length,
    };
  });
}

/**
 * The perfdhcp bench's groups: the server's threads by name (its event loop, V8's helpers, the SQLite worker
 * threads, libuv's pool), perfdhcp's threads together, and nothing else.
 */
export function benchGroup(serverPid: number): (row: SchedRow) => string | undefined {
  return (row) => {
    if (row.pid === serverPid) return `server ${row.comm}`;
    if (row.comm === 'perfdhcp') return 'perfdhcp';
    return undefined;
  };
}

/** The trial's line: each group's wake-ups, p99 and longest wait, and how many waited over 2 and 5 ms. */
export function schedLine(summaries: readonly WaitSummary[]): string {
  const part = (s: WaitSummary): string =>
    `${s.group} ${s.wakeUps} wake-ups, p99 ${s.p99Ms.toFixed(2)} max ${s.maxMs.toFixed(1)} ms, ${s.over2Ms} over 2 ms, ${s.over5Ms} over 5`;
  return `scheduler waits for a core (perf sched): ${summaries.length === 0 ? 'none recorded' : summaries.map(part).join('; ')}`;
}
