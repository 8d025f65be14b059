/**
 * Lease store throughput: `tsx bench/leases.ts [--pg]`. A plain script, not a test.
 *
 * For each backend it commits fresh leases (the ACK path: a conditional `claim` of a new address) and renewals
 * (the same client re-committing its address), keeping `inFlight` commits outstanding the way a busy server
 * has many exchanges waiting for their lease at once. Prints commits/s, and what the runs cost the main thread:
 * its event-loop utilisation (the share of wall time it was busy, not waiting in epoll: a synchronous fsync
 * counts as busy) and the event-loop delay (`monitorEventLoopDelay`: how late a timer fires, i.e. how long a
 * packet would wait before being read), p99 and max.
 * `--pg` adds PostgreSQL on a throwaway cluster (needs root and /usr/lib/postgresql/15/bin).
 */
import { statfsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Lease } from '../src/leases/lease.ts';
import { MemoryLeaseStore } from '../src/leases/memory.ts';
import { SqliteLeaseStore } from '../src/leases/sqlite.ts';
import type { LeaseStore } from '../src/leases/store.ts';
import { tempDir } from '../test/leases/tmp.ts';
import { syntheticLease } from './synthetic-lease.ts';

const COUNT = Number(process.env['BENCH_LEASES'] ?? 50_000);
const NOW = Date.now();

function lease(i: number, cltt = NOW): Lease {
  return syntheticLease(i, cltt, { subnetId: 1 + (i % 4), hostname: i % 3 === 0 ? `host-${i}` : null });
}

interface Run {
  readonly perSecond: number;
  /** Main thread busy share of the run, 0..1. */
  readonly utilization: number;
  readonly delayP99Ms: number;
  readonly delayMaxMs: number;
}

/** Commits lease(0..count-1) with `inFlight` outstanding. */
async function run(store: LeaseStore, count: number, inFlight: number, cltt: number): Promise<Run> {
  let next = 0;
  let refused = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const result = await store.commit(lease(next++, cltt), { now: cltt });
      if (!result.ok) refused++;
    }
  };
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const elu = performance.eventLoopUtilization();
  delay.enable();
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  delay.disable();
  const used = performance.eventLoopUtilization(elu);
  if (refused > 0) throw new Error(`${refused} commits refused`);
  return {
    perSecond: count / seconds,
    utilization: used.utilization,
    delayP99Ms: delay.percentile(99) / 1e6,
    delayMaxMs: delay.max / 1e6,
  };
}

interface Backend {
  readonly name: string;
  open(): Promise<{ store: LeaseStore; done: () => Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'memory',
    open: async () => {
      const store = new MemoryLeaseStore();
      return { store, done: () => store.close() };
    },
  },
  ...(['full', 'normal'] as const).flatMap((synchronous) =>
    (['inline', 'worker'] as const).map((writer): Backend => ({
      name: `sqlite ${synchronous} ${writer}`,
      open: async () => {
        const tmp = tempDir('leasekeeper-bench-');
        const store = await SqliteLeaseStore.open({ path: join(tmp.dir, 'leases.db'), synchronous, writer });
        return {
          store,
          done: async () => {
            await store.close();
            tmp.remove();
          },
        };
      },
    })),
  ),
];

if (process.argv.includes('--pg')) {
  const { startTempCluster } = await import('../test/leases/pg-cluster.ts');
  const { PostgresLeaseStore } = await import('../src/leases/postgres.ts');
  const cluster = await startTempCluster();
  process.on('exit', () => cluster.stopSync());
  let db = 0;
  backends.push({
    name: 'postgresql (pool of 8)',
    open: async () => {
      const database = await cluster.createDatabase(`bench${db++}`);
      const store = await PostgresLeaseStore.open({ connection: cluster.connection(database), poolSize: 8 });
      return { store, done: () => store.close() };
    },
  });
}

const tmpFs = statfsSync(os.tmpdir());
console.log(
  `lease store bench: ${COUNT} commits per run, node ${process.version}, ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, ` +
    `tmpdir ${os.tmpdir()} (fs type 0x${tmpFs.type.toString(16)})`,
);
const ONLY = process.env['BENCH_BACKENDS'];
console.log(
  'backend'.padEnd(24) +
    'in flight'.padStart(10) +
    'new leases/s'.padStart(14) +
    'renewals/s'.padStart(12) +
    'loop busy'.padStart(11) +
    'delay p99 ms'.padStart(14) +
    'delay max ms'.padStart(14),
);
for (const backend of backends) {
  if (ONLY !== undefined && !ONLY.split(',').some((name) => backend.name.includes(name))) continue;
  for (const inFlight of [1, 64, 1024]) {
    // A single in-flight commit waits a whole durable sync per lease: fewer of them keep the run short.
    const count = inFlight === 1 ? Math.min(COUNT, 2000) : COUNT;
    const { store, done } = await backend.open();
    try {
      const fresh = await run(store, count, inFlight, NOW);
      const renew = await run(store, count, inFlight, NOW + 1000);
      // Main-thread figures over both runs (the new leases and the renewals).
      const busy = (fresh.utilization + renew.utilization) / 2;
      console.log(
        backend.name.padEnd(24) +
          String(inFlight).padStart(10) +
          Math.round(fresh.perSecond).toLocaleString('en').padStart(14) +
          Math.round(renew.perSecond).toLocaleString('en').padStart(12) +
          `${Math.round(busy * 100)}%`.padStart(11) +
          Math.max(fresh.delayP99Ms, renew.delayP99Ms).toFixed(1).padStart(14) +
          Math.max(fresh.delayMaxMs, renew.delayMaxMs).toFixed(1).padStart(14),
      );
    } finally {
      await done();
    }
  }
}
