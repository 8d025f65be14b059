/**
 * What a large lease file costs in memory and start-up time: `npm run bench:leases-memory -- [N] [--sqlite]
 * [--getall]` (N defaults to 1,000,000). A plain script, not a test.
 *
 * Leases look like a large site's: a /8 pool, every lease with a client identifier, a third with a hostname,
 * a tenth with a user context.
 * - Default: loads N leases from a generator into a fresh engine and prints the heap and RSS it grew by, per
 *   lease, and the load time: what the engine itself holds.
 * - `--sqlite`: writes N leases into a fresh SQLite lease file, then in a fresh process does what `serve` does
 *   before it serves (open and check the file, read every lease in pages into the engine) and prints the time
 *   that took, the RSS then and the peak RSS, per lease. `--getall` reads them with one `getAll()` instead,
 *   the way `serve` did before the paged load, for an A/B. Then it runs `serve` itself on the file (no
 *   interfaces) and prints the time from spawning it to its "serving" line (sd_notify READY=1) and its RSS.
 *   `--file PATH` keeps the lease file there (written once, reused by later runs); `--serve PATH` only runs
 *   `serve` on an existing file (SERVE_NODE_ARGS: node flags for it; SERVE_DIST=1: the compiled CLI,
 *   SERVE_DIST=DIR: the one in DIR, e.g. a copy of an older build's dist). It prints the server's CPU time.
 *   `serve` starts with the installed command's node flags (bench/daemon-flags.ts) before SERVE_NODE_ARGS;
 *   DAEMON_FLAGS=0 without them; GC=1 adds `--trace-gc-nvp` and prints its main thread's collections before
 *   it served.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { compileConfig } from '../src/config/compile.ts';
import type { Lease } from '../src/leases/lease.ts';
import { openLeaseStore } from '../src/leases/open.ts';
import { LEASE_LOAD_PAGE, loadStoreInPages } from '../src/runtime/lease-load.ts';
import { DhcpServerEngine } from '../src/server/index.ts';
import { writeLeaseFile } from './lease-file.ts';
import { daemonNodeArgs } from './daemon-flags.ts';
import { summariseGcTrace } from './gc-trace.ts';
import { syntheticLease } from './synthetic-lease.ts';

const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? process.env['BENCH_LEASES'] ?? 1_000_000);
const NOW = Date.now();
const MiB = 2 ** 20;
/** `LEASE_PAGE=n`: the paged load's page size (default: what `serve` uses). */
const PAGE = Number(process.env['LEASE_PAGE'] ?? LEASE_LOAD_PAGE);
/** `LEASE_IDLE_MS=n`: how long to idle before the last reading (default 15 s). */
const IDLE_MS = Number(process.env['LEASE_IDLE_MS'] ?? 15_000);
/** GC=1: serve runs with `--trace-gc-nvp`; prints its main thread's collections before it served. */
const GC_TRACE = process.env['GC'] === '1';

function* leases(count: number): Generator<Lease> {
  for (let i = 0; i < count; i++) {
    const cltt = NOW - (i % 1800) * 1000;
    yield syntheticLease(i, cltt, {
      hostname: i % 3 === 0 ? `host-${i}` : null,
      userContext: i % 10 === 0 ? { 'circuit-id': `port-${i % 48}` } : null,
    });
  }
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  gc();
}

function settle(): { heap: number; rss: number } {
  collect();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.arrayBuffers, rss: m.rss };
}

const newEngine = (): DhcpServerEngine =>
  new DhcpServerEngine(
    compileConfig({
      Dhcp4: { subnet4: [{ id: 1, subnet: '10.0.0.0/8', pools: [{ pool: '10.0.0.1 - 10.255.255.254' }] }] },
    }),
  );
const perLease = (bytes: number, count: number): string => (bytes / count).toFixed(0);

/** The engine alone: leases from a generator, so what stays is the engine's copy. */
function engineOnly(): void {
  const engine = newEngine();
  const before = settle();
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  engine.loadLeases(leases(N));
  const loadMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const after = settle();
  console.log(
    `${N} leases loaded into the engine in ${loadMs.toFixed(0)} ms (CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms)`,
  );
  console.log(
    `heap + array buffers: +${((after.heap - before.heap) / MiB).toFixed(1)} MiB, ${perLease(after.heap - before.heap, N)} B a lease`,
  );
  console.log(
    `RSS: +${((after.rss - before.rss) / MiB).toFixed(1)} MiB, ${perLease(after.rss - before.rss, N)} B a lease (load peak included)`,
  );
  console.log(`the engine holds ${engine.leases().length} leases`);
}

/** In a fresh process: open the file and load it the way `serve` does before it is ready. */
async function loadLeaseFile(path: string, getAll: boolean): Promise<void> {
  const base = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const store = await openLeaseStore({ type: 'sqlite', path });
  const engine = newEngine();
  let loaded: number;
  if (getAll) {
    const all = await store.getAll();
    engine.loadLeases(all);
    loaded = all.length;
  } else loaded = await loadStoreInPages(store, (page) => engine.loadLeases(page), PAGE);
  const readyMs = performance.now() - start;
  // CPU time as well: on a shared machine it varies less than the wall time
  const cpu = process.cpuUsage(cpuBefore);
  const ready = process.memoryUsage().rss;
  const peak = process.resourceUsage().maxRSS * 1024;
  const { rss: settled, heap } = settle();
  console.log(
    `${loaded} leases from SQLite (${getAll ? 'one getAll()' : `paged load, ${PAGE} a page`}): ready in ${readyMs.toFixed(0)} ms ` +
      `(CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms); ` +
      `RSS at ready +${((ready - base) / MiB).toFixed(0)} MiB (${perLease(ready - base, loaded)} B a lease), ` +
      `after GC +${((settled - base) / MiB).toFixed(0)} MiB (${perLease(settled - base, loaded)} B a lease), ` +
      `process peak ${(peak / MiB).toFixed(0)} MiB, whole process at ready ${(ready / MiB).toFixed(0)} MiB ` +
      `(${perLease(ready, loaded)} B a lease); heap + array buffers after GC ${(heap / MiB).toFixed(0)} MiB`,
  );
  // Where the RSS that is not live data sits: V8's committed heap beyond its live objects, or outside V8.
  const m = process.memoryUsage();
  console.log(
    `  after GC: V8 heap committed ${(m.heapTotal / MiB).toFixed(0)} MiB, live ${(m.heapUsed / MiB).toFixed(0)} MiB; ` +
      `array buffers ${(m.arrayBuffers / MiB).toFixed(0)} MiB; external ${(m.external / MiB).toFixed(0)} MiB`,
  );
  // V8 gives back the pages the load churned through when the process idles (its memory reducer): what a
  // server that has been up a little while holds.
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const idle = process.memoryUsage().rss;
  console.log(
    `  after ${IDLE_MS / 1000} s idle: whole process ${(idle / MiB).toFixed(0)} MiB (${perLease(idle, loaded)} B a lease), ` +
      `+${((idle - base) / MiB).toFixed(0)} MiB over the process before the load (${perLease(idle - base, loaded)} B a lease)`,
  );
  await store.close();
}

/**
 * User and system CPU time of a process so far, all its threads and its children that exited (the lease file's
 * check), from /proc in clock ticks of 10 ms.
 */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) * 10;
}

const rssOf = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;

/**
 * `serve` itself on the lease file (no interfaces: it loads the leases and waits): the time from spawning the
 * process to its "serving" line (logged with sd_notify READY=1), its RSS then and after IDLE_MS idle.
 */
async function serveLeaseFile(path: string, leases: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lk-leases-serve-'));
  const config = join(dir, 'kea-dhcp4.json');
  writeFileSync(
    config,
    JSON.stringify({
      Dhcp4: {
        'interfaces-config': { interfaces: [] },
        subnet4: [{ id: 1, subnet: '10.0.0.0/8', pools: [{ pool: '10.0.0.1 - 10.255.255.254' }] }],
      },
    }),
  );
  // SERVE_DIST=1: the compiled CLI (`npm run build` first), as installed, without tsx's start-up;
  // SERVE_DIST=DIR: the compiled CLI in DIR (a copy of an older build's dist, for an A/B)
  const distDir = process.env['SERVE_DIST'];
  const dist = distDir !== undefined && distDir !== '' && distDir !== '0';
  const main =
    distDir !== undefined && dist && distDir !== '1'
      ? join(distDir, 'cli', 'main.js')
      : fileURLToPath(new URL(dist ? '../dist/cli/main.js' : '../src/cli/main.ts', import.meta.url));
  const start = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...daemonNodeArgs(),
      ...(GC_TRACE ? ['--trace-gc-nvp'] : []),
      // e.g. SERVE_NODE_ARGS=--max-semi-space-size=16 (docs/scaling.md)
      ...(process.env['SERVE_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== ''),
      ...(dist ? [] : ['--import', 'tsx']),
      main,
      'serve',
      '--config',
      config,
      '--lease-file',
      path,
      '--log-level',
      'info',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    // Everything serve wrote before it served (its GC lines with GC=1), up to a bound.
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        seen = (seen + chunk.toString()).slice(-(16 << 20));
        if (seen.includes('leasekeeper serving')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`serve exited (${code}) before serving`)));
    });
    const readyMs = performance.now() - start;
    const ready = rssOf(child.pid!);
    const cpuMs = cpuMsOf(child.pid!);
    console.log(
      `serve ${[...daemonNodeArgs(), process.env['SERVE_NODE_ARGS'] ?? ''].join(' ')} with ${leases} leases: serving ${readyMs.toFixed(0)} ms after spawn (${dist ? main : 'tsx'}), ` +
        `CPU ${cpuMs.toFixed(0)} ms (all threads and children), RSS ${(ready / MiB).toFixed(0)} MiB (${perLease(ready, leases)} B a lease); ` +
        `load average ${loadavg()[0]!.toFixed(2)}`,
    );
    if (GC_TRACE) {
      const gc = summariseGcTrace(seen);
      console.log(
        `  main thread GC before serving: ${gc.scavenges} scavenges, ${gc.markCompacts} mark-compacts, ` +
          `${(gc.promotedBytes / MiB).toFixed(0)} MiB promoted; longest pause: scavenge ` +
          `${gc.longestScavengeMs.toFixed(1)} ms, mark-compact ${gc.longestMarkCompactMs.toFixed(1)} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idle = rssOf(child.pid!);
    console.log(
      `  after ${IDLE_MS / 1000} s idle: RSS ${(idle / MiB).toFixed(0)} MiB (${perLease(idle, leases)} B a lease)`,
    );
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

const loadIndex = args.indexOf('--load');
const serveIndex = args.indexOf('--serve');
if (loadIndex >= 0) await loadLeaseFile(args[loadIndex + 1]!, args.includes('--getall'));
else if (serveIndex >= 0) await serveLeaseFile(args[serveIndex + 1]!, N);
else if (args.includes('--sqlite')) {
  // `--file PATH`: keep the lease file there (made once, reused by later runs: A/B without rewriting it).
  const fileIndex = args.indexOf('--file');
  const kept = fileIndex >= 0 ? args[fileIndex + 1] : undefined;
  const dir = kept === undefined ? mkdtempSync(join(tmpdir(), 'lk-leases-memory-')) : undefined;
  try {
    const path = kept ?? join(dir!, 'leases.sqlite');
    if (!existsSync(path)) {
      const start = performance.now();
      await writeLeaseFile(path, leases(N));
      console.log(`${N} leases written to ${path} in ${(performance.now() - start).toFixed(0)} ms`);
    }
    const modes = args.includes('--getall') ? [false, true] : [false];
    for (const getAll of modes) {
      execFileSync(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', process.argv[1]!, '--load', path, ...(getAll ? ['--getall'] : [])],
        { stdio: 'inherit' },
      );
    }
    await serveLeaseFile(path, N);
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
} else engineOnly();
