/**
 * Does reclaiming a large batch of expired leases hold up the exchanges being served? perfdhcp runs DORAs
 * against `serve` (SQLite, every ACK after a durable commit) while EXPIRED leases (default 100,000) expire and
 * are reclaimed; a control trial has the same leases expiring long after the run. Each trial prints perfdhcp's
 * maximum and average DISCOVER-OFFER and REQUEST-ACK delay and how many leases the server reclaimed meanwhile.
 * Trials alternate (reclaim, control, ...) so whatever else the machine does hits both alike.
 *
 *   load (eth0 198.18.0.2/15, perfdhcp acting as a relay) -- srv (eth0 198.18.0.1/15, the server)
 *
 * The expired leases are in 198.19.0.0/16 and the second half of the /15 (outside perfdhcp's pool, so what
 * perfdhcp measures is the reclaim, not allocation among them); `max-reclaim-leases` and `max-reclaim-time`
 * are 0, so the expiry timer reclaims all of them in one run, in slices.
 * Run as root: `npm run bench:reclaim-delay` (optionally EXPIRED=100000 RATE=1000 SECONDS=20 TRIALS=2).
 * TRACE=1 prints under each trial what held answers up (`bench/latency-trace.ts`: the SQLite writer's batches
 * and checkpoints, GC pauses, the event loop's delay), as `bench:perfdhcp` does. The server starts with the
 * installed command's node flags (bench/daemon-flags.ts); DAEMON_FLAGS=0 without them.
 *
 * `npm run bench:reclaim-delay -- --event-loop` (no root, no perfdhcp): the same leases, already expired, in a
 * SQLite store loaded into an engine in this process; `leases-reclaim` reclaims them while
 * `monitorEventLoopDelay` records how long the event loop was held (what a DORA arriving meanwhile would
 * wait for), TRIALS times.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { compileConfig } from '../src/config/compile.ts';
import Database from 'better-sqlite3';
import { intToIpv4 } from '../src/config/ipv4.ts';
import type { Lease } from '../src/leases/lease.ts';
import { openLeaseStore } from '../src/leases/open.ts';
import { loadStoreInPages } from '../src/runtime/lease-load.ts';
import { Reclaimer } from '../src/runtime/reclaimer.ts';
import { DhcpServerEngine } from '../src/server/index.ts';
import { createLab, type Netns } from '../test/lab/netns.ts';
import { runPerfdhcp, startLeasekeeper, type Leasekeeper } from '../test/interop/harness.ts';
import { writeLeaseFile } from './lease-file.ts';
import { traceServerArgs, traceSummary } from './latency-trace-summary.ts';
import { daemonNodeArgs } from './daemon-flags.ts';

const EXPIRED = Math.min(Number(process.env['EXPIRED'] ?? 100_000), 131_000);
const RATE = Number(process.env['RATE'] ?? 1000);
const SECONDS = Number(process.env['SECONDS'] ?? 20);
const TRIALS = Number(process.env['TRIALS'] ?? 2);
const TRACE = process.env['TRACE'] === '1';
/** The leases expire this long after perfdhcp starts: the reclaim runs in the middle of the measurement. */
const EXPIRE_AFTER_MS = (SECONDS * 1000) / 3;
const SUBNET = '198.18.0.0/15';
const POOL = '198.18.1.0 - 198.18.255.254';
const EXPIRED_BASE = 0xc6130000; // 198.19.0.0

function* expiredLeases(count: number, now: number): Generator<Lease> {
  for (let i = 0; i < count; i++) {
    const hex = [(i >> 16) & 255, (i >> 8) & 255, i & 255]
      .map((b) => b.toString(16).padStart(2, '0'))
      .join(':');
    yield {
      address: intToIpv4(EXPIRED_BASE + i),
      hwAddress: `0a:00:00:${hex}`,
      clientId: `01:0a:00:00:${hex}`,
      subnetId: 1,
      validLifetime: 3600,
      cltt: now - 3_600_000,
      expiresAt: now,
      hostname: i % 3 === 0 ? `old-${i}` : null,
      state: 'default',
      userContext: null,
    };
  }
}

interface Delays {
  offerMaxMs: number;
  offerAvgMs: number;
  ackMaxMs: number;
  ackAvgMs: number;
  acks: number;
  reclaimed: number;
  /** What `bench/latency-trace.ts` saw during the run (TRACE=1). */
  trace?: string;
}

function parse(out: string): Omit<Delays, 'reclaimed'> {
  const section = (name: string): string => out.split(`***Statistics for: ${name}***`)[1] ?? '';
  const num = (text: string, label: string): number =>
    Number(new RegExp(`${label}: ([\\d.]+)`).exec(text)?.[1] ?? NaN);
  const offer = section('DISCOVER-OFFER');
  const ack = section('REQUEST-ACK');
  return {
    offerMaxMs: num(offer, 'max delay'),
    offerAvgMs: num(offer, 'avg delay'),
    ackMaxMs: num(ack, 'max delay'),
    ackAvgMs: num(ack, 'avg delay'),
    acks: num(ack, 'received packets'),
  };
}

const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ')[0] ?? '?';

/** The server's `reclaimed-leases` statistic. */
async function reclaimedLeases(lk: Leasekeeper): Promise<number> {
  const a = await lk.ctl('statistic-get', { name: 'reclaimed-leases' });
  const samples = a.arguments?.['reclaimed-leases'] as [number, string][] | undefined;
  return samples?.[0]?.[0] ?? 0;
}

/** Time allowed for the server to load the file and come up before the leases' deadline. */
const STARTUP_ALLOWANCE_MS = 20_000;

async function trial(srv: Netns, load: Netns, reclaim: boolean, n: number): Promise<Delays> {
  const leaseFile = join(srv.dir, `reclaim-${n}.sqlite`);
  rmSync(leaseFile, { force: true });
  await writeLeaseFile(leaseFile, expiredLeases(EXPIRED, Date.now()));
  // The leases expire (or, for the control, stay for a day) EXPIRE_AFTER_MS after perfdhcp starts: set in
  // the file before the server loads it, so the server's own expiry timer reclaims them mid-run.
  const expiry = Math.round(Date.now() + STARTUP_ALLOWANCE_MS + EXPIRE_AFTER_MS);
  const db = new Database(leaseFile);
  db.prepare('UPDATE lease4 SET expires_at = ?').run(reclaim ? expiry : expiry + 86_400_000);
  db.close();
  const traceFile = TRACE ? join(srv.dir, `trace-${n}.jsonl`) : undefined;
  const lk = await startLeasekeeper(srv, {
    name: `rd${n}`,
    nodeArgs: [...daemonNodeArgs(), ...(traceFile === undefined ? [] : traceServerArgs(traceFile))],
    logLevel: 'warn',
    leaseFile,
    dhcp4: {
      'valid-lifetime': 3600,
      'expired-leases-processing': { 'max-reclaim-leases': 0, 'max-reclaim-time': 0 },
      subnet4: [{ id: 1, subnet: SUBNET, pools: [{ pool: POOL }] }],
    },
  });
  try {
    const wait = expiry - EXPIRE_AFTER_MS - Date.now();
    if (wait < 0) throw new Error(`the server took more than ${STARTUP_ALLOWANCE_MS} ms to come up`);
    await new Promise((r) => setTimeout(r, wait));
    const before = await reclaimedLeases(lk);
    const from = Date.now();
    const r = await runPerfdhcp(load, { rate: RATE, maxRate: 50000, seconds: SECONDS });
    const trace = traceFile === undefined ? undefined : traceSummary(traceFile, from, Date.now());
    return {
      ...parse(r.stdout),
      reclaimed: (await reclaimedLeases(lk)) - before,
      ...(trace === undefined ? {} : { trace }),
    };
  } finally {
    await lk.stop();
    rmSync(leaseFile, { force: true });
  }
}

/** `--event-loop`: the reclaim in this process, the event loop's delay measured meanwhile. */
async function eventLoopTrial(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lk-reclaim-delay-'));
  try {
    const path = join(dir, 'leases.sqlite');
    await writeLeaseFile(path, expiredLeases(EXPIRED, Date.now() - 1000));
    const store = await openLeaseStore({ type: 'sqlite', path });
    const engine = new DhcpServerEngine(
      compileConfig({
        Dhcp4: {
          // unbounded, for a reclaimer whose `leases-reclaim` still obeyed max-reclaim-leases (an A/B)
          'expired-leases-processing': { 'max-reclaim-leases': 0, 'max-reclaim-time': 0 },
          subnet4: [{ id: 1, subnet: SUBNET, pools: [{ pool: POOL }] }],
        },
      }),
    );
    await loadStoreInPages(store, (page) => engine.loadLeases(page));
    const unsubscribe = store.onChange((c) => engine.applyLeaseChange(c));
    const reclaimer = new Reclaimer({ engine, store, clock: Date.now, logger: pino({ level: 'silent' }) });
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const start = performance.now();
    await reclaimer.run(false);
    delay.disable();
    const ms = (ns: number): string => (ns / 1e6).toFixed(1);
    console.log(
      `${EXPIRED} leases reclaimed in ${(performance.now() - start).toFixed(0)} ms; event loop delay max ` +
        `${ms(delay.max)} ms, p99 ${ms(delay.percentile(99))} ms, mean ${ms(delay.mean)} ms (load ${loadAverage()})`,
    );
    reclaimer.stop();
    unsubscribe();
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--event-loop')) {
  for (let t = 0; t < TRIALS; t++) await eventLoopTrial();
  process.exit(0);
}

const lab = await createLab('rd');
try {
  const srv = await lab.namespace('srv');
  const load = await lab.namespace('load');
  await lab.veth(srv, 'eth0', load, 'eth0');
  await srv.addAddress('eth0', '198.18.0.1/15');
  await load.addAddress('eth0', '198.18.0.2/15');
  console.log(
    `${EXPIRED} leases expiring ${EXPIRE_AFTER_MS / 1000} s into a ${SECONDS} s perfdhcp run at ${RATE} DORA/s offered`,
  );
  let n = 0;
  for (let t = 0; t < TRIALS; t++) {
    for (const reclaim of [true, false]) {
      const d = await trial(srv, load, reclaim, n++);
      console.log(
        `${reclaim ? 'reclaim' : 'control'}: DISCOVER-OFFER max ${d.offerMaxMs.toFixed(1)} ms (avg ${d.offerAvgMs.toFixed(2)}), ` +
          `REQUEST-ACK max ${d.ackMaxMs.toFixed(1)} ms (avg ${d.ackAvgMs.toFixed(2)}), ${d.acks} ACKs, ` +
          `${d.reclaimed} leases reclaimed during the run (load ${loadAverage()})`,
      );
      if (d.trace !== undefined) console.log(d.trace);
    }
  }
} finally {
  await lab.close();
}
