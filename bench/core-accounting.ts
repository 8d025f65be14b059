/**
 * What each CPU did during a trial, whoever it did it for, and Receive Packet Steering on a namespace's veth
 * end: the pinned perfdhcp bench uses both to charge each side's receive processing to its own core.
 *
 * Why per core as well as per process: this kernel accounts CPU time by ticks (CONFIG_TICK_CPU_ACCOUNTING,
 * no CONFIG_IRQ_TIME_ACCOUNTING), so a softirq that runs while a task is on the CPU (at its
 * `local_bh_enable()`, or on the way out of an interrupt that hit it) is charged to that task's system time,
 * but one that runs while the CPU is idle is charged to no process at all, only to the CPU's `softirq`
 * column of /proc/stat. A pinned server's own utime + stime therefore misses receive work its core did for
 * it while it slept; the core's busy time does not.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Netns } from '../test/lab/netns.ts';

/** One CPU's counters, cumulative. Times in ms. */
export interface CoreCounters {
  /**
   * Wall time not spent idle (nor in iowait, nor stolen), softirqs included: the time since boot less /proc/stat's
   * idle, iowait and steal. Idle is exact on this NO_HZ kernel (measured at each idle entry and exit, and
   * an interrupt ends it), while user and system are sampled at the 4 ms tick, which misses most of a
   * server's bursts shorter than a tick: their sum read a third of the pinned server's own exact CPU time.
   */
  busyMs: number;
  /** The softirq column, sampled by ticks: a rough share only. */
  softirqMs: number;
  /** NET_RX softirqs raised on this CPU (/proc/softirqs). */
  netRxSoftirqs: number;
  /** Packets this CPU's backlog and NAPI polls processed (/proc/net/softnet_stat, first column). */
  processedPackets: number;
  /** Packets this CPU's backlog dropped because it was full (softnet_stat, second column). */
  backlogDrops: number;
  /** Times another CPU steered packets to this one and kicked it (softnet_stat `received_rps`). */
  rpsKicks: number;
  /** utime + stime of this CPU's ksoftirqd thread, ms: softirq work deferred out of interrupt exits. */
  ksoftirqdMs: number;
}

const TICK_MS = 10;

function perCpuStat(): Map<number, { busyMs: number; softirqMs: number }> {
  const out = new Map<number, { busyMs: number; softirqMs: number }>();
  const uptimeMs = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    // user nice system idle iowait irq softirq steal ...
    const f = (m[2] ?? '').split(/\s+/).map(Number);
    const at = (i: number): number => f[i] ?? 0;
    out.set(Number(m[1]), {
      busyMs: uptimeMs - (at(3) + at(4) + at(7)) * TICK_MS,
      softirqMs: at(6) * TICK_MS,
    });
  }
  return out;
}

function netRxSoftirqs(): number[] {
  const line = readFileSync('/proc/softirqs', 'utf8')
    .split('\n')
    .find((l) => l.trim().startsWith('NET_RX:'));
  return (line ?? '').trim().split(/\s+/).slice(1).map(Number);
}

/** Rows of /proc/net/softnet_stat by CPU: the last column is the CPU (Linux >= 5.10), else the row index. */
function softnet(): Map<number, number[]> {
  const out = new Map<number, number[]>();
  readFileSync('/proc/net/softnet_stat', 'utf8')
    .trim()
    .split('\n')
    .forEach((row, i) => {
      const f = row
        .trim()
        .split(/\s+/)
        .map((h) => parseInt(h, 16));
      out.set(f.length >= 13 ? (f[12] ?? i) : i, f);
    });
  return out;
}

const ksoftirqdPids = new Map<number, number>();

function ksoftirqdPid(cpu: number): number | undefined {
  if (ksoftirqdPids.size === 0) {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const m = /^ksoftirqd\/(\d+)$/.exec(readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
        if (m !== null) ksoftirqdPids.set(Number(m[1]), Number(pid));
      } catch {
        // a process that exited while the list was read
      }
    }
  }
  return ksoftirqdPids.get(cpu);
}

function threadCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** The counters of `cpus` now. */
export function readCores(cpus: readonly number[]): Map<number, CoreCounters> {
  const stat = perCpuStat();
  const softirqs = netRxSoftirqs();
  const net = softnet();
  return new Map(
    cpus.map((cpu) => {
      const row = net.get(cpu) ?? [];
      return [
        cpu,
        {
          busyMs: stat.get(cpu)?.busyMs ?? 0,
          softirqMs: stat.get(cpu)?.softirqMs ?? 0,
          netRxSoftirqs: softirqs[cpu] ?? 0,
          processedPackets: row[0] ?? 0,
          backlogDrops: row[1] ?? 0,
          rpsKicks: row[9] ?? 0,
          ksoftirqdMs: threadCpuMs(ksoftirqdPid(cpu)),
        },
      ];
    }),
  );
}

/** What each CPU did between two readings. */
export function coreDelta(
  before: ReadonlyMap<number, CoreCounters>,
  after: ReadonlyMap<number, CoreCounters>,
): Map<number, CoreCounters> {
  return new Map(
    [...after].map(([cpu, a]) => {
      const b = before.get(cpu);
      const fields = Object.keys(a) as (keyof CoreCounters)[];
      return [
        cpu,
        Object.fromEntries(fields.map((k) => [k, a[k] - (b?.[k] ?? 0)])) as unknown as CoreCounters,
      ];
    }),
  );
}

/** One line per trial: each CPU's busy and softirq time per DORA, its NET_RX softirqs and backlog packets. */
export function coreLine(delta: ReadonlyMap<number, CoreCounters>, doras: number): string {
  const per = (n: number, scale = 1): string => (doras > 0 ? ((n * scale) / doras).toFixed(1) : '-');
  return [...delta]
    .map(
      ([cpu, c]) =>
        `CPU ${cpu} busy ${per(c.busyMs, 1000)} us/DORA (softirq ${per(c.softirqMs, 1000)}, ksoftirqd ` +
        `${c.ksoftirqdMs} ms), NET_RX ${per(c.netRxSoftirqs)}/DORA, backlog packets ${per(c.processedPackets)}/DORA ` +
        `(RPS kicks ${per(c.rpsKicks)}/DORA, ${c.backlogDrops} dropped)`,
    )
    .join('; ');
}

/**
 * Steers what `ifname`'s single receive queue gets to `cpu` (RPS: its `rps_cpus` mask): a veth transmit
 * then queues the frame to that CPU's backlog and kicks it, instead of running the whole receive (IP, UDP,
 * packet sockets, waking the reader) in the sender's softirq. Written inside the namespace (`ip netns exec`
 * mounts its own /sys), so the setting lives and dies with the namespace's device.
 */
export async function steerReceive(ns: Netns, ifname: string, cpu: number): Promise<void> {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(ifname)) throw new Error(`bad interface name '${ifname}'`);
  const file = `/sys/class/net/${ifname}/queues/rx-0/rps_cpus`;
  const mask = 1 << cpu;
  const r = await ns.run('sh', ['-c', `echo ${mask.toString(16)} > ${file} && cat ${file}`]);
  const read = parseInt(r.stdout.trim().replaceAll(',', ''), 16);
  if (r.code !== 0 || read !== mask)
    throw new Error(`setting ${file} in ${ns.name} to ${mask.toString(16)} failed: ${r.stderr.trim()}`);
}
