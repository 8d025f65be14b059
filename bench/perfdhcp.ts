/**
 * perfdhcp against leasekeeper and Kea 2.2 in the same namespace topology, in one run: for each server the
 * offered rate climbs (5 s per step, a fresh server and lease file per step) until perfdhcp loses more than
 * 1% of the 4-way exchanges twice in a row; the highest rate under 1% is what the server sustains.
 *
 *   load (eth0 198.18.0.2/16, perfdhcp acting as a relay) -- srv (eth0 198.18.0.1/16, the server)
 *
 * leasekeeper: SQLite lease file, every ACK after a durable commit (synchronous=FULL), logging at warn.
 * Kea: memfile with persist true, multi-threading on (2 threads), logging at WARN.
 * Each step is TRIALS runs (default 3), the two servers alternating; the median counts.
 * Run as root: `npm run bench:perfdhcp` (optionally RATES=1000,2000 SECONDS=5 TRIALS=3 SERVERS=leasekeeper,kea;
 * THREADS=1 prints CPU per server thread and perfdhcp's; STORE=memory; PROFILE=dir; NODE_ARGS=...;
 * SERVE_ARGS=... adds `serve` flags (`--udp-gso on` is added unless they give --udp-gso); PERFDHCP_ARGS=... adds perfdhcp flags for both servers; GC=1 prints the
 * main thread's scavenges, mark-compacts and promoted bytes per trial, from `--trace-gc-nvp`).
 * leasekeeper starts with the node flags of the installed command's shebang (`--v8-pool-size=1
 * --no-concurrent-marking`, bench/daemon-flags.ts) before NODE_ARGS; DAEMON_FLAGS=0 starts it without them, for an A/B.
 *
 * WARMUP=seconds (default 1) of untimed load precede every trial, from other simulated clients, so that a
 * trial measures the server's steady state, not its JIT compiling the hot paths; WARMUP=0 turns it off.
 *
 * PIN=1 (or `--pin`) measures per core: every thread of the server on CPU 0 (`taskset -a -p -c 0`, once it
 * is ready; threads it starts later inherit the mask) and perfdhcp on CPU 1 (`taskset -c 1`), so that neither
 * steals the other's core. Pinned, each veth end's receive also runs on its own side's core (RPS, `RPS=0`
 * turns it off, `RPS=load` steers only perfdhcp's end; each trial line says which): without it the veth
 * delivers every reply into perfdhcp's socket in the server's sendmmsg on CPU 0, and every request into the
 * server on CPU 1. Each pinned trial line gives, next to the server's own CPU per DORA, CPU 0's busy time per
 * DORA (softirqs that ran while the server slept included; other load on the machine too); THREADS=1 adds
 * each core's softirqs, backlog packets and RPS kicks. Each trial also prints the DISCOVERs per second
 * perfdhcp really sent, the machine's 1-minute load average and the CPU steal (/proc/stat) during it, next
 * to its figures: a trial taken under other load shows it. The summary gives, per server and rate, the median
 * of each figure over the interleaved trials.
 *
 * TRACE=1: leasekeeper runs with `bench/latency-trace.ts` loaded, and each of its trials prints, under its
 * delay figures, what held answers up during the timed run: the SQLite writer's batches (the oldest write's
 * wait before its batch, the round trip to the writer thread, the transaction), the checkpoints between
 * batches, main-thread GC pauses by kind and the event loop's delay, then every single one over 5 ms.
 *
 * Each trial prints DISCOVER-OFFER and REQUEST-ACK min/avg/max apart (the "max" above is their two maxima
 * added). CAPTURE=1 also runs tcpdump on the server's interface during each timed run and prints each half
 * as the wire saw it (bench/wire-delay.ts) with the slowest exchanges' times, to set beside the trace's.
 * SCHED=1 records the kernel's scheduler during each timed run (`perf sched record -a`; needs `perf`, Debian's
 * linux-perf) and prints each server thread's and perfdhcp's waits for a core (bench/sched-waits.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { traceServerArgs, traceSummary } from './latency-trace-summary.ts';
import { createLab, type Netns } from '../test/lab/netns.ts';
import { startKea } from '../test/lab/peers.ts';
import { wireDelays, wireSummary } from './wire-delay.ts';
import { startLeasekeeper } from '../test/interop/harness.ts';
import { type GcSummary, summariseGcTrace } from './gc-trace.ts';
import { coreDelta, coreLine, readCores, steerReceive } from './core-accounting.ts';
import { daemonNodeArgs } from './daemon-flags.ts';
import { benchGroup, parseTimehist, schedLine, summariseWaits } from './sched-waits.ts';

// 500/s apart where both servers top out on this 2-core machine, so the ratio is not a rounding artifact.
const RATES = (process.env['RATES'] ?? '4000,5000,6000,6500,7000,7500,8000,8500,9000,9500,10000,11000,12000')
  .split(',')
  .map(Number);
const SECONDS = Number(process.env['SECONDS'] ?? 5);
const TRIALS = Number(process.env['TRIALS'] ?? 3);
const SERVERS = (process.env['SERVERS'] ?? 'leasekeeper,kea').split(',');
const PIN = process.env['PIN'] === '1' || process.argv.includes('--pin');
/** Seconds of untimed load before each trial (0: none). */
const WARMUP_SECONDS = Number(process.env['WARMUP'] ?? 1);
const TRACE = process.env['TRACE'] === '1';
/** GC=1: leasekeeper runs with `--trace-gc-nvp`; each trial prints its main thread's collections. */
const GC_TRACE = process.env['GC'] === '1';
/** SCHED=1: the kernel's scheduler trace over each timed run, summed per thread (bench/sched-waits.ts). */
const SCHED = process.env['SCHED'] === '1';
/** CAPTURE=1: tcpdump on the server's interface during each timed run; prints the delays the wire saw. */
const CAPTURE = process.env['CAPTURE'] === '1';
const SERVER_CPU = 0;
const PERFDHCP_CPU = 1;
/**
 * Pinned, each veth end's receive runs on its own side's core (RPS, bench/core-accounting.ts): without it the
 * veth runs perfdhcp's whole receive in the server's sendmmsg on CPU 0, and the server's on CPU 1. RPS=0: off;
 * RPS=load: only perfdhcp's end (the server's receive stays on CPU 1, as with a NIC whose interrupts another
 * core takes), which splits what RPS changes into the two directions.
 */
const RPS_MODE = rpsMode();

function rpsMode(): 'on' | 'off' | 'load' {
  if (!PIN || process.env['RPS'] === '0') return 'off';
  return process.env['RPS'] === 'load' ? 'load' : 'on';
}
const CLIENTS = 50_000;
const SUBNET = '198.18.0.0/16';
const POOL = '198.18.1.0 - 198.18.255.254';

interface Step {
  rate: number;
  /** Server CPU (user + system) per completed DORA, microseconds: robust to other load on the machine. */
  cpuPerDoraUs: number;
  doraPerSecond: number;
  dropPercent: number;
  discoverSent: number;
  ackReceived: number;
  /** 1-minute load average at the end of the trial. */
  loadAverage: number;
  /** Share of all CPU time stolen by the hypervisor during the trial, percent (/proc/stat `steal`). */
  stealPercent: number;
  /** perfdhcp's average and maximum DISCOVER-OFFER plus REQUEST-ACK delay, ms: the server's part of a DORA. */
  avgDelayMs: number;
  maxDelayMs: number;
  /** Each half on its own (perfdhcp's min/avg/max delay, ms), to tell which one the maximum comes from. */
  discoverOffer: HalfDelay;
  requestAck: HalfDelay;
  /**
   * Pinned: everything the server's core did per completed DORA, us (its busy time, softirqs included,
   * whoever they ran for); NaN unpinned. Only meaningful on an otherwise idle machine.
   */
  coreUsPerDora: number;
}

interface HalfDelay {
  min: number;
  avg: number;
  max: number;
}

/** The aggregate `cpu` line of /proc/stat: total jiffies and steal jiffies. */
function cpuTimes(): { total: number; steal: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice: guest time is already in user and nice
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { total, steal: fields[7] ?? 0 };
}

function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/** Puts every thread of `pid` on `cpu`; threads it creates afterwards inherit the mask. */
function pinProcess(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}

/** utime and stime of every thread of a process, in ms (clock ticks of 10 ms), by thread name. */
function threadCpu(pid: number): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = `${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}/${tid}`;
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      const prev = out.get(name) ?? [0, 0];
      out.set(name, [prev[0] + Number(fields[11]) * 10, prev[1] + Number(fields[12]) * 10]);
    }
  } catch {
    // the process is gone
  }
  return out;
}

function threadCpuDelta(a: Map<string, [number, number]>, b: Map<string, [number, number]>): string {
  return [...b]
    .map(([name, [u, s]]) => [name, u - (a.get(name)?.[0] ?? 0), s - (a.get(name)?.[1] ?? 0)] as const)
    .filter(([, u, s]) => u + s > 0)
    .map(([name, u, s]) => `${name} ${u}u+${s}s ms`)
    .join(', ');
}

/** utime + stime of a process, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

function parsePerfdhcp(
  out: string,
  rate: number,
  cpu: number,
  machine: Pick<Step, 'loadAverage' | 'stealPercent'>,
  coreMs: number,
): Step {
  const section = (name: string): string => out.split(`***Statistics for: ${name}***`)[1] ?? '';
  const num = (text: string, label: string): number =>
    Number(new RegExp(`${label}: ([\\d.]+)`).exec(text)?.[1] ?? 0);
  const discoverSent = num(section('DISCOVER-OFFER'), 'sent packets');
  const ackReceived = num(section('REQUEST-ACK'), 'received packets');
  const half = (name: string): HalfDelay => ({
    min: num(section(name), 'min delay'),
    avg: num(section(name), 'avg delay'),
    max: num(section(name), 'max delay'),
  });
  const discoverOffer = half('DISCOVER-OFFER');
  const requestAck = half('REQUEST-ACK');
  return {
    rate,
    cpuPerDoraUs: ackReceived === 0 ? NaN : Math.round((cpu * 1000) / ackReceived),
    doraPerSecond: Math.round(ackReceived / SECONDS),
    dropPercent: discoverSent === 0 ? 100 : Math.max(0, 100 * (1 - ackReceived / discoverSent)),
    discoverSent,
    ackReceived,
    avgDelayMs: discoverOffer.avg + requestAck.avg,
    maxDelayMs: discoverOffer.max + requestAck.max,
    discoverOffer,
    requestAck,
    coreUsPerDora: ackReceived === 0 ? NaN : Math.round((coreMs * 1000) / ackReceived),
    ...machine,
  };
}

type Started = {
  pid: number;
  stop: () => Promise<unknown>;
  /** leasekeeper: datagrams it dropped unanswered so far (pkt4-receive-drop: overload shedding, HA scopes). */
  receiveDrops?: () => Promise<number>;
  /**
   * leasekeeper: frames its packet sockets' kernel side dropped so far (`interface[eth0].pkt4-kernel-drop`:
   * a full ring or queue), which `ss -0 -m` cannot see for a ring.
   */
  kernelDrops?: () => Promise<number>;
  /** leasekeeper: how often eth0's adaptive packet socket switched between recvmmsg and the ring so far. */
  receiveSwitches?: () => Promise<number>;
  /** leasekeeper: its log so far (the overload warn lines give the drops by reason). */
  output?: () => string;
  /** leasekeeper with TRACE=1: where its latency trace is written. */
  traceFile?: string;
};

async function startOne(server: string, srv: Netns, step: number): Promise<Started> {
  if (server === 'kea') {
    // A fresh lease file for every trial, as leasekeeper gets (Kea would load the last trial's leases).
    const dir = join(srv.dir, 'kea-eth0');
    if (existsSync(dir))
      for (const f of readdirSync(dir))
        if (f.startsWith('kea-leases4')) rmSync(join(dir, f), { force: true });
    const kea = await startKea(srv, 'eth0', {
      subnet: SUBNET,
      pool: POOL,
      validLifetime: 3600,
      extraDhcp4: {
        // Leases and packets at WARN (INFO logs every lease); the dhcp4 logger at INFO so the start-up
        // message the helper waits for is printed.
        loggers: [
          { name: 'kea-dhcp4', output_options: [{ output: 'stdout' }], severity: 'WARN' },
          { name: 'kea-dhcp4.dhcp4', output_options: [{ output: 'stdout' }], severity: 'INFO' },
        ],
        'multi-threading': { 'enable-multi-threading': true, 'thread-pool-size': 2, 'packet-queue-size': 64 },
      },
    });
    return { pid: kea.proc.pid, stop: () => kea.stop() };
  }
  const traceFile = TRACE ? join(srv.dir, `trace-${step}.jsonl`) : undefined;
  const lk = await startLeasekeeper(srv, {
    name: `lk${step}`,
    logLevel: 'warn',
    dhcp4: {
      'valid-lifetime': 3600,
      subnet4: [{ id: 1, subnet: SUBNET, pools: [{ pool: POOL }] }],
      ...(process.env['STORE'] === 'memory' ? { 'lease-database': { type: 'memfile', persist: false } } : {}),
    },
    ...(process.env['STORE'] === 'memory' ? { leaseFile: null } : {}),
    serveArgs: serveArgs(),
    nodeArgs: [
      ...daemonNodeArgs(),
      ...(traceFile === undefined ? [] : traceServerArgs(traceFile)),
      ...(process.env['PROFILE'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['PROFILE']}`] : []),
      ...(GC_TRACE ? ['--trace-gc-nvp'] : []),
      ...(process.env['NODE_ARGS'] ?? '').split(' ').filter((a) => a !== ''),
    ],
  });
  const statistic = async (name: string): Promise<number> => {
    const answer = await lk.ctl('statistic-get', { name });
    const samples = (answer.arguments as Record<string, [number, string][]> | undefined)?.[name];
    return samples?.[0]?.[0] ?? 0;
  };
  return {
    pid: lk.proc.pid,
    stop: () => lk.stop(),
    receiveDrops: () => statistic('pkt4-receive-drop'),
    kernelDrops: () => statistic('interface[eth0].pkt4-kernel-drop'),
    receiveSwitches: () => statistic('interface[eth0].receive-path-switches'),
    output: lk.proc.output,
    ...(traceFile === undefined ? {} : { traceFile }),
  };
}

const WARMUP_MAC = '02:77';

/**
 * The warm-up's perfdhcp: the trial's rate and flags, but its own simulated clients (a MAC prefix the trial
 * does not use, `-b mac=`), so the timed run starts with the same empty lease table as without it.
 */
function warmUpArgs(rate: number): string[] {
  return [
    '-4',
    '-r',
    String(rate),
    '-R',
    String(CLIENTS),
    '-b',
    `mac=${WARMUP_MAC}:00:00:00:00`,
    '-p',
    String(WARMUP_SECONDS),
    ...(process.env['PERFDHCP_ARGS'] ?? '').split(' ').filter((a) => a !== ''),
    '-l',
    'eth0',
    '198.18.0.1',
  ];
}

interface Lab {
  srv: Netns;
  load: Netns;
}

/** The sums of leasekeeper's overload warn lines in `log` (from `from` on): DISCOVERs shed by reason, stale requests. */
function overloadLines(log: string, from: number): string {
  const sum = [0, 0, 0, 0];
  for (const m of log
    .slice(from)
    .matchAll(
      /dropped unanswered (\d+) DISCOVERs that waited[^,]*, (\d+) DISCOVERs behind[^,]*, (\d+) requests[^,\n]*(?:, (\d+) datagrams past)?/g,
    ))
    for (let i = 0; i < 4; i++) sum[i]! += Number(m[i + 1] ?? 0);
  const serviceUs = [...log.slice(from).matchAll(/overloaded:.* serviceUs=(\d+)/g)].map((m) => Number(m[1]));
  return (
    `${sum[0]} DISCOVERs past their wait limit, ${sum[1]} for the backlog, ${sum[2]} stale requests, ` +
    `${sum[3]} past the count bound` +
    (serviceUs.length === 0
      ? ''
      : `; measured service time ${Math.min(...serviceUs)}-${Math.max(...serviceUs)} us`)
  );
}

/** UDP RcvbufErrors of each namespace (/proc/net/snmp): datagrams dropped because a socket's buffer was full. */
/**
 * Frames the server's packet sockets dropped because their receive buffer was full (`ss -0 -m`: the `d`
 * of skmem), for Kea. leasekeeper receives through a packet socket, whose drops /proc/net/snmp does not
 * count, and a TPACKET ring's drops are not in skmem either: its own counter is read instead.
 */
async function packetSocketDrops(srv: Netns): Promise<number> {
  const out = (await srv.run('ss', ['-0', '-m'])).stdout;
  let drops = 0;
  for (const m of out.matchAll(/skmem:\([^)]*?,d(\d+)\)/g)) drops += Number(m[1]);
  return drops;
}

async function udpErrors(lab: Lab): Promise<{ srv: number; load: number }> {
  const read = async (ns: Netns): Promise<number> => {
    const lines = (await ns.run('cat', ['/proc/net/snmp'])).stdout
      .split('\n')
      .filter((l) => l.startsWith('Udp:'));
    const names = lines[0]?.split(/\s+/) ?? [];
    const values = lines[1]?.split(/\s+/) ?? [];
    return Number(values[names.indexOf('RcvbufErrors')] ?? 0);
  };
  return { srv: await read(lab.srv), load: await read(lab.load) };
}

/**
 * tcpdump on the server's eth0 for CAPTURE=1: whole frames, read from its kernel ring a block at a
 * time (no --immediate-mode: woken for every frame, at 12,000 frames/s it took a core's share from the server
 * and perfdhcp and lost 10% of the exchanges). `stop()` returns the file once tcpdump has written it.
 */
async function startWireCapture(srv: Netns, file: string): Promise<{ stop: () => Promise<string> }> {
  const proc = srv.spawn('tcpdump', [
    '-i',
    'eth0',
    '-n',
    '-U',
    '-Z',
    'root',
    // Whole frames: a run of replies sent with UDP GSO is one frame here (bench/wire-delay.ts splits it).
    '-s',
    '65535',
    '-B',
    '32768',
    '-w',
    file,
    'udp port 67',
  ]);
  await proc.waitFor(/listening on/, 30_000);
  return {
    stop: async () => {
      await proc.stop('SIGINT', 5000);
      return file;
    },
  };
}

/**
 * `perf sched record -a` over a timed run, from the root namespace (the lab's namespaces share its PIDs).
 * `stop(serverPid)` ends it with SIGINT, which makes perf finish its file, and gives the trial's line.
 */
async function startSchedRecord(
  file: string,
): Promise<{ stop: (serverPid: number) => Promise<string>; abandon: () => void }> {
  const perf = spawn('perf', ['sched', 'record', '-a', '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  perf.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(perf, 'exit');
  // perf writes its file's header once it records; an absent file after 10 s means it never started.
  for (let waited = 0; !(existsSync(file) && statSync(file).size > 0); waited += 50) {
    if (waited > 10_000 || perf.exitCode !== null) {
      perf.kill('SIGKILL');
      throw new Error(`perf sched record did not start: ${stderr}`);
    }
    await sleep(50);
  }
  return {
    stop: async (serverPid) => {
      perf.kill('SIGINT');
      await exited;
      const text = execFileSync('perf', ['sched', 'timehist', '-i', file], {
        encoding: 'utf8',
        maxBuffer: 1 << 30,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      rmSync(file, { force: true });
      return `  ${schedLine(summariseWaits(parseTimehist(text), benchGroup(serverPid)))}`;
    },
    // a trial that failed: no summary, and no perf left recording the machine
    abandon: () => {
      if (perf.exitCode === null) perf.kill('SIGKILL');
      rmSync(file, { force: true });
    },
  };
}

/**
 * SERVE_ARGS, and `--udp-gso on` unless they say otherwise: the server's eth0 is a veth, where `auto` leaves GSO
 * off (a same-host relay reading through a packet socket would see a run as one datagram), and perfdhcp, the
 * relay here, reads through a UDP socket, as a relay across a wire does.
 */
function serveArgs(): string[] {
  const given = (process.env['SERVE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  return given.some((a) => a.startsWith('--udp-gso')) ? given : [...given, '--udp-gso', 'on'];
}

/** One perfdhcp run at `rate` against a fresh server (fresh lease file). */
async function trial(server: string, lab: Lab, rate: number, n: number): Promise<Step> {
  const s = await startOne(server, lab.srv, n);
  let logBefore = 0;
  try {
    if (PIN) pinProcess(s.pid, SERVER_CPU);
    const args = [
      '-4',
      '-r',
      String(rate),
      '-R',
      String(CLIENTS),
      '-p',
      String(SECONDS),
      // wait 1 s after the period for late answers: only exchanges that never complete count as lost
      '-W',
      '1000000',
      // e.g. PERFDHCP_ARGS='-g single': perfdhcp's receiving thread otherwise takes a core of its own
      ...(process.env['PERFDHCP_ARGS'] ?? '').split(' ').filter((a) => a !== ''),
      '-l',
      'eth0',
      '198.18.0.1',
    ];
    if (WARMUP_SECONDS > 0) {
      // An untimed run first, so the figures are the server's steady state rather than its JIT compiling
      // the hot paths under the first real traffic (V8 threads, deoptimisations): both servers get it.
      await lab.load.run(
        'bash',
        [
          '-c',
          `${PIN ? `taskset -c ${PERFDHCP_CPU} ` : ''}perfdhcp "$@" >/dev/null`,
          'perfdhcp',
          ...warmUpArgs(rate),
        ],
        { timeoutMs: (WARMUP_SECONDS + 30) * 1000 },
      );
    }
    const gcFrom = s.output?.().length ?? 0;
    const before = cpuMs(s.pid);
    const threadsBefore = threadCpu(s.pid);
    const udpBefore = await udpErrors(lab);
    const packetDrops = s.kernelDrops ?? (() => packetSocketDrops(lab.srv));
    const packetDropsBefore = await packetDrops();
    const shedBefore = (await s.receiveDrops?.()) ?? 0;
    const switchesBefore = (await s.receiveSwitches?.()) ?? 0;
    logBefore = s.output?.().length ?? 0;
    const machineBefore = cpuTimes();
    const capture = CAPTURE ? await startWireCapture(lab.srv, join(lab.srv.dir, `wire-${n}.pcap`)) : null;
    const sched = SCHED ? await startSchedRecord(join(lab.srv.dir, `sched-${n}.data`)) : null;
    const coresBefore = readCores([SERVER_CPU, PERFDHCP_CPU]);
    const perfdhcp = PIN ? `taskset -c ${PERFDHCP_CPU} perfdhcp` : 'perfdhcp';
    const timedFrom = Date.now();
    // `times` prints perfdhcp's own user and system CPU after it exits
    const r = await lab.load
      .run('bash', ['-c', `${perfdhcp} "$@"; times`, 'perfdhcp', ...args], {
        timeoutMs: (SECONDS + 30) * 1000,
      })
      .catch((err: unknown) => {
        sched?.abandon();
        throw err;
      });
    const machineAfter = cpuTimes();
    const cores = coreDelta(coresBefore, readCores([SERVER_CPU, PERFDHCP_CPU]));
    const jiffies = machineAfter.total - machineBefore.total;
    // after the machine's counters: perf's reading of its file is not the trial's
    const schedSummary = sched === null ? null : await sched.stop(s.pid);
    const step = parsePerfdhcp(
      r.stdout,
      rate,
      cpuMs(s.pid) - before,
      {
        loadAverage: loadAverage(),
        stealPercent: jiffies > 0 ? (100 * (machineAfter.steal - machineBefore.steal)) / jiffies : 0,
      },
      PIN ? (cores.get(SERVER_CPU)?.busyMs ?? NaN) : NaN,
    );
    console.log(
      `${server.padEnd(11)} offered ${String(rate).padStart(6)}/s (sent ${Math.round(step.discoverSent / SECONDS)}): ` +
        `${String(step.doraPerSecond).padStart(6)} DORA/s, ` +
        `${step.dropPercent.toFixed(2)}% lost, server CPU ${step.cpuPerDoraUs} us/DORA` +
        `${PIN ? ` (CPU ${SERVER_CPU} busy ${step.coreUsPerDora})` : ''}, ` +
        `delay avg ${step.avgDelayMs.toFixed(2)} max ${step.maxDelayMs.toFixed(1)} ms (load ${step.loadAverage.toFixed(1)}, steal ${step.stealPercent.toFixed(1)}%` +
        `${PIN ? `, RPS ${RPS_MODE}` : ''})`,
    );
    console.log(`  ${halvesLine(step)}`);
    if (capture !== null)
      console.log(wireSummary(wireDelays(readFileSync(await capture.stop()), WARMUP_MAC)));
    if (s.traceFile !== undefined) console.log(traceSummary(s.traceFile, timedFrom, Date.now()));
    if (schedSummary !== null) console.log(schedSummary);
    if (GC_TRACE && s.output)
      console.log(`  ${gcLine(summariseGcTrace(s.output(), gcFrom), step.ackReceived)}`);
    if (process.env['THREADS']) {
      console.log(`  server threads: ${threadCpuDelta(threadsBefore, threadCpu(s.pid))}`);
      console.log(`  perfdhcp CPU (user, system): ${r.stdout.trim().split('\n').at(-1)}`);
      console.log(`  cores: ${coreLine(cores, step.ackReceived)}`);
      const udpAfter = await udpErrors(lab);
      console.log(
        `  UDP receive buffer errors: perfdhcp side ${udpAfter.load - udpBefore.load}, server side ${udpAfter.srv - udpBefore.srv}; ` +
          `server packet sockets dropped ${(await packetDrops()) - packetDropsBefore}` +
          (s.receiveDrops === undefined
            ? ''
            : `; server shed unanswered (pkt4-receive-drop) ${(await s.receiveDrops()) - shedBefore}`) +
          (s.receiveSwitches === undefined
            ? ''
            : `; receive path switches ${(await s.receiveSwitches()) - switchesBefore}`),
      );
    }
    return step;
  } finally {
    await s.stop();
    // After the stop, which writes the last line (one per 5 s; the first after the warm-up may include its drops).
    if (process.env['THREADS'] && s.output !== undefined)
      console.log(`  server overload lines: ${overloadLines(s.output(), logBefore)}`);
  }
}

/** perfdhcp's two halves of the delay, min/avg/max each (the trial line sums avg and max over both). */
function halvesLine(step: Step): string {
  const show = (h: HalfDelay): string => `${h.min.toFixed(2)}/${h.avg.toFixed(2)}/${h.max.toFixed(1)}`;
  return `delay min/avg/max ms: DISCOVER-OFFER ${show(step.discoverOffer)}, REQUEST-ACK ${show(step.requestAck)}`;
}

function gcLine(gc: GcSummary, doras: number): string {
  const per10k = (n: number): string => (doras > 0 ? ((n * 10_000) / doras).toFixed(1) : '-');
  return (
    `main thread GC: ${gc.scavenges} scavenges, ${gc.markCompacts} mark-compacts (per 10,000 DORAs ` +
    `${per10k(gc.scavenges)}, ${per10k(gc.markCompacts)}), promoted ${(gc.promotedBytes / 1e6).toFixed(1)} MB ` +
    `(${doras > 0 ? Math.round(gc.promotedBytes / doras) : '-'} bytes per DORA; ` +
    `${gc.scavenges > 0 ? Math.round(gc.promotedBytes / gc.scavenges / 1000) : '-'} KB a scavenge, ` +
    `survivors ${gc.scavenges > 0 ? Math.round(gc.survivedBytes / gc.scavenges / 1000) : '-'} KB a scavenge; ` +
    `longest pause: scavenge ${gc.longestScavengeMs.toFixed(1)} ms, mark-compact ${gc.longestMarkCompactMs.toFixed(1)} ms)`
  );
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
}

/** Each figure's own median over the trials (not one trial's figures: DORA/s and CPU need not agree). */
function median(trials: readonly Step[]): Step {
  const of = (pick: (s: Step) => number): number => medianOf(trials.map(pick));
  return {
    rate: trials[0]?.rate ?? 0,
    cpuPerDoraUs: of((s) => s.cpuPerDoraUs),
    doraPerSecond: of((s) => s.doraPerSecond),
    dropPercent: of((s) => s.dropPercent),
    discoverSent: of((s) => s.discoverSent),
    ackReceived: of((s) => s.ackReceived),
    loadAverage: of((s) => s.loadAverage),
    stealPercent: of((s) => s.stealPercent),
    avgDelayMs: of((s) => s.avgDelayMs),
    maxDelayMs: of((s) => s.maxDelayMs),
    discoverOffer: {
      min: of((s) => s.discoverOffer.min),
      avg: of((s) => s.discoverOffer.avg),
      max: of((s) => s.discoverOffer.max),
    },
    requestAck: {
      min: of((s) => s.requestAck.min),
      avg: of((s) => s.requestAck.avg),
      max: of((s) => s.requestAck.max),
    },
    coreUsPerDora: of((s) => s.coreUsPerDora),
  };
}

/**
 * Both servers climb the same rates in one topology; at each rate their trials alternate (a, b, a, b, ...)
 * so that whatever else the machine does hits both alike. A step is sustained when its median trial lost
 * under 1%; a server stops climbing after two failed steps in a row.
 */
async function run(): Promise<Map<string, Step[]>> {
  const lab = await createLab('bp');
  const results = new Map<string, Step[]>(SERVERS.map((s) => [s, []]));
  const failures = new Map<string, number>(SERVERS.map((s) => [s, 0]));
  let n = 0;
  try {
    const srv = await lab.namespace('srv');
    const load = await lab.namespace('load');
    await lab.veth(srv, 'eth0', load, 'eth0');
    await srv.addAddress('eth0', '198.18.0.1/16');
    await load.addAddress('eth0', '198.18.0.2/16');
    if (RPS_MODE === 'on') await steerReceive(srv, 'eth0', SERVER_CPU);
    if (RPS_MODE !== 'off') await steerReceive(load, 'eth0', PERFDHCP_CPU);
    for (const rate of RATES) {
      const climbing = SERVERS.filter((s) => (failures.get(s) ?? 0) < 2);
      if (climbing.length === 0) break;
      const trials = new Map<string, Step[]>(climbing.map((s) => [s, []]));
      for (let t = 0; t < TRIALS; t++) {
        for (const server of climbing)
          trials.get(server)!.push(await trial(server, { srv, load }, rate, n++));
      }
      for (const server of climbing) {
        const m = median(trials.get(server)!);
        results.get(server)!.push(m);
        if (TRIALS > 1) {
          console.log(
            `${server.padEnd(11)} median at ${rate}/s: ${m.doraPerSecond} DORA/s, ${m.dropPercent.toFixed(2)}% lost, ` +
              `${m.cpuPerDoraUs} us/DORA${PIN ? ` (CPU ${SERVER_CPU} busy ${m.coreUsPerDora})` : ''}, delay avg ${m.avgDelayMs.toFixed(2)} max ${m.maxDelayMs.toFixed(1)} ms (load ${m.loadAverage.toFixed(1)}, steal ${m.stealPercent.toFixed(1)}%)`,
          );
        }
        failures.set(server, m.dropPercent < 1 ? 0 : (failures.get(server) ?? 0) + 1);
      }
    }
  } finally {
    await lab.close();
  }
  return results;
}

function best(steps: readonly Step[]): Step | undefined {
  return steps.filter((s) => s.dropPercent < 1).sort((a, b) => b.doraPerSecond - a.doraPerSecond)[0];
}

const results = await run();

console.log(
  `\nhighest rate with < 1% of 4-way exchanges lost (median of ${TRIALS} trials of ${SECONDS} s per step, ${CLIENTS} clients` +
    `${PIN ? `; server on CPU ${SERVER_CPU}, perfdhcp on CPU ${PERFDHCP_CPU}, RPS ${RPS_MODE}` : ', unpinned'}):`,
);
console.log(
  'server        DORA/s   lost %   offered/s   CPU us/DORA   delay avg/max ms   load avg   steal %',
);
for (const [server, steps] of results) {
  const b = best(steps);
  console.log(
    `${server.padEnd(12)} ${String(b?.doraPerSecond ?? 0).padStart(7)}   ${(b?.dropPercent ?? 100).toFixed(2).padStart(6)}   ` +
      `${String(b?.rate ?? 0).padStart(9)}   ${String(b?.cpuPerDoraUs ?? '-').padStart(11)}   ` +
      `${b ? `${b.avgDelayMs.toFixed(2)}/${b.maxDelayMs.toFixed(1)}`.padStart(16) : '-'.padStart(16)}   ` +
      `${(b?.loadAverage ?? NaN).toFixed(1).padStart(8)}   ${(b?.stealPercent ?? NaN).toFixed(1).padStart(7)}`,
  );
}
const lk = best(results.get('leasekeeper') ?? []);
const kea = best(results.get('kea') ?? []);
if (lk && kea) console.log(`leasekeeper / Kea: ${(lk.doraPerSecond / kea.doraPerSecond).toFixed(2)}x`);
const perRate = cpuRatioByRate(results.get('leasekeeper') ?? [], results.get('kea') ?? []);
if (perRate) console.log(perRate);
const perCore = perCoreComparison(results.get('leasekeeper') ?? [], results.get('kea') ?? []);
console.log(perCore ?? 'per core: no rate both servers sustained (under 1% lost) to compare at');

/** Kea's CPU per DORA over leasekeeper's at every rate both ran (medians; lossy rates marked). */
function cpuRatioByRate(lkSteps: readonly Step[], keaSteps: readonly Step[]): string | undefined {
  const pairs = lkSteps.flatMap((l) => {
    const k = keaSteps.find((s) => s.rate === l.rate);
    if (!k || !(l.cpuPerDoraUs > 0) || !(k.cpuPerDoraUs > 0)) return [];
    const lossy = l.dropPercent >= 1 || k.dropPercent >= 1 ? ' (lossy)' : '';
    return [
      `${l.rate}/s ${k.cpuPerDoraUs}/${l.cpuPerDoraUs} = ${(k.cpuPerDoraUs / l.cpuPerDoraUs).toFixed(2)}x${lossy}`,
    ];
  });
  return pairs.length === 0 ? undefined : `CPU per DORA, Kea / leasekeeper: ${pairs.join(', ')}`;
}

/**
 * The per-core figure: CPU per DORA of both servers at the highest offered rate both sustained (their CPU at
 * the same work), and what one core would sustain at that cost. Meaningful pinned, where each server has
 * one core; unpinned it says how much CPU a DORA costs, not what a core sustains.
 */
function perCoreComparison(lkSteps: readonly Step[], keaSteps: readonly Step[]): string | undefined {
  const both = lkSteps
    .filter((l) => l.dropPercent < 1 && keaSteps.some((k) => k.rate === l.rate && k.dropPercent < 1))
    .sort((a, b) => b.rate - a.rate)[0];
  const k = both && keaSteps.find((s) => s.rate === both.rate);
  if (!both || !k || !(both.cpuPerDoraUs > 0) || !(k.cpuPerDoraUs > 0)) return undefined;
  const ceiling = (us: number): string => Math.round(1e6 / us).toLocaleString('en-US');
  return (
    `per core at ${both.rate}/s (the highest rate both sustained${PIN ? ', pinned' : ', unpinned: not a per-core figure'}): ` +
    `leasekeeper ${both.cpuPerDoraUs} us/DORA (one core: ${ceiling(both.cpuPerDoraUs)}/s), ` +
    `Kea ${k.cpuPerDoraUs} us/DORA (${ceiling(k.cpuPerDoraUs)}/s): ` +
    `leasekeeper / Kea per core ${(k.cpuPerDoraUs / both.cpuPerDoraUs).toFixed(2)}x (goal 1.5x)` +
    (both.coreUsPerDora > 0 && k.coreUsPerDora > 0
      ? `; CPU ${SERVER_CPU}'s busy time (softirqs included, RPS ${RPS_MODE}) ${both.coreUsPerDora} vs ` +
        `${k.coreUsPerDora} us/DORA: ${(k.coreUsPerDora / both.coreUsPerDora).toFixed(2)}x`
      : '')
  );
}
