import { channel } from 'node:diagnostics_channel';
import { availableParallelism } from 'node:os';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** Diagnostics channel: one `RingSwitchTrace` per switch, published only while somebody subscribes. */
export const RING_SWITCH_CHANNEL = 'leasekeeper:receive-ring:switch';
export interface RingSwitchTrace {
  readonly ring: boolean;
  /** The load of the window that decided it, 0-1. */
  readonly load: number;
}
const switches = channel(RING_SWITCH_CHANNEL);

/**
 * The adaptive packet sockets' receive path, by load rather than by frame rate. The TPACKET_V3 ring holds
 * each frame for up to its 1 ms block timeout, which saves a third of the CPU per DORA at saturation but
 * only adds delay while the core has time to spare. So the ring is forced on once the load (`loadSampler`)
 * averaged `high` or more over the last `windowsAbove` windows, and off once it averaged `low` or less over
 * the last `windowsBelow`; an average between the marks keeps the current path, and a switch starts the
 * averages afresh, so no decision rests on windows from before it. Averages, not every window, because
 * 100 ms windows of a steady rate swing by +-0.1. The ring itself lowers the load it answers (less CPU per
 * frame), so `low` must lie under what the ring leaves of a load that reached `high`.
 */
export interface LoadMarks {
  /** Average load (0-1) at or above which the ring is read. */
  readonly high: number;
  /** Average load (0-1) at or below which recvmmsg is read again. */
  readonly low: number;
  /** Windows averaged for the switch to the ring. */
  readonly windowsAbove: number;
  /** Windows averaged for the switch back to recvmmsg. */
  readonly windowsBelow: number;
}

/**
 * Pinned to one core at 6,000 DORA/s, 100 ms windows on recvmmsg read 0.3-0.9 (bursts, collections,
 * checkpoints): 0.65 over two windows switched to the ring and back every 0.5-1 s there, and 0.7 over three
 * still switched two or three times in a 4 s trial, each on a burst. Over ten windows (a second) a burst of
 * three busy windows no longer reaches the mark, while a saturated core (10,000/s) still engages the ring
 * within a second. 0.85 left 10,000/s on recvmmsg (60 against 48 us per DORA) (docs/scaling.md, "Latency").
 */
export const DEFAULT_LOAD_MARKS: LoadMarks = { high: 0.7, low: 0.4, windowsAbove: 10, windowsBelow: 5 };

/** The hysteresis alone: fed one load per window, says which path to read. */
export class LoadHysteresis {
  private ring = false;
  private readonly recent: number[] = [];
  private readonly marks: LoadMarks;

  constructor(marks: LoadMarks = DEFAULT_LOAD_MARKS) {
    this.marks = marks;
    const { high, low, windowsAbove, windowsBelow } = marks;
    if (!(low >= 0 && low < high && high <= 1))
      throw new RangeError(`load marks need 0 <= low < high <= 1 (low ${low}, high ${high})`);
    if (
      !Number.isInteger(windowsAbove) ||
      windowsAbove < 1 ||
      !Number.isInteger(windowsBelow) ||
      windowsBelow < 1
    )
      throw new RangeError('load marks need whole window counts of at least 1');
  }

  get ringOn(): boolean {
    return this.ring;
  }

  /** One window's load; returns whether to read the ring from now on. A sample that is not a number is ignored. */
  observe(load: number): boolean {
    if (!Number.isFinite(load)) return this.ring;
    this.recent.push(load);
    if (this.recent.length > Math.max(this.marks.windowsAbove, this.marks.windowsBelow)) this.recent.shift();
    const n = this.ring ? this.marks.windowsBelow : this.marks.windowsAbove;
    if (this.recent.length < n) return this.ring;
    let sum = 0;
    for (let i = this.recent.length - n; i < this.recent.length; i++) sum += this.recent[i]!;
    const average = sum / n;
    if (this.ring ? average <= this.marks.low : average >= this.marks.high) {
      this.ring = !this.ring;
      this.recent.length = 0;
    }
    return this.ring;
  }
}

/** What the policy drives: the linux transport's `setReceiveRing`. */
export interface RingSwitch {
  /** true: the ring; false: recvmmsg; null: the sockets' own frame-rate policy. */
  setReceiveRing(on: boolean | null): void;
}

export interface RingByLoadOptions {
  readonly marks?: LoadMarks;
  /** Length of one window, ms (default 100). */
  readonly windowMs?: number;
  /** The load of the window that just ended, 0-1; default `loadSampler()`. */
  readonly sample?: () => number;
}

/** Samples the load every window and forces the transport's path on each change; stop() hands it back. */
export class RingByLoad {
  private readonly hysteresis: LoadHysteresis;
  private readonly sample: () => number;
  private readonly windowMs: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly target: RingSwitch;

  constructor(target: RingSwitch, opts: RingByLoadOptions = {}) {
    this.target = target;
    this.hysteresis = new LoadHysteresis(opts.marks);
    this.windowMs = opts.windowMs ?? 100;
    this.sample = opts.sample ?? loadSampler();
  }

  /** Starts on recvmmsg and samples every window. */
  start(): void {
    this.target.setReceiveRing(this.hysteresis.ringOn);
    this.timer = setInterval(() => this.tick(), this.windowMs);
    this.timer.unref();
  }

  /** Ends one window (the timer's job; tests call it directly). */
  tick(): void {
    if (this.stopped) return;
    const before = this.hysteresis.ringOn;
    const load = this.sample();
    if (this.hysteresis.observe(load) === before) return;
    this.target.setReceiveRing(!before);
    if (switches.hasSubscribers) switches.publish({ ring: !before, load } satisfies RingSwitchTrace);
  }

  get ringOn(): boolean {
    return this.hysteresis.ringOn;
  }

  /** Stops sampling and gives the path back to the sockets' frame-rate policy. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.target.setReceiveRing(null);
  }
}

/**
 * The load of one window: the larger of the event loop's utilisation and the process's CPU time (all
 * threads) per wall-clock time over the CPUs it may run on, capped at 1. The loop alone under-reads a shared
 * core: with the server pinned to one CPU, the SQLite writer thread and the kernel's work for the replies
 * take about a third of it, and the loop read 0.55-0.75 busy at 10,000 DORA/s, where that core was
 * saturated. Not divided, the CPU time over-reads a process free to use several: at start-up V8's compiler
 * threads and the writer thread ran beside an event loop 0.3-0.5 busy and read 1.0 on two CPUs, which
 * engaged the ring at 6,000 DORA/s, and each switch back to recvmmsg held the frames in flight for 6-14 ms.
 */
export function loadOf(loopShare: number, cpuShare: number, cpus: number): number {
  return Math.min(1, Math.max(loopShare, cpuShare / Math.max(1, cpus)));
}

/** `loadOf` over each window, the CPUs read from the process's affinity each time (taskset may change it). */
export function loadSampler(): () => number {
  let lastLoop: EventLoopUtilization = performance.eventLoopUtilization();
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  return () => {
    const loop = performance.eventLoopUtilization();
    const cpu = process.cpuUsage();
    const at = performance.now();
    const loopShare = performance.eventLoopUtilization(loop, lastLoop).utilization;
    const wallUs = (at - lastAt) * 1000;
    const cpuShare = wallUs > 0 ? (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / wallUs : 0;
    lastLoop = loop;
    lastCpu = cpu;
    lastAt = at;
    return loadOf(loopShare, cpuShare, availableParallelism());
  };
}
