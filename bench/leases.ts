/**
 * Lease store throughput: `tsx bench/leases.ts [--pg]`. A plain script, not a test.
 *
 * For each backend it commits fresh leases (the ACK path: a conditional `claim` of a new address) and renewals
 * (the same client re-committing its address), keeping `inFlight` commits outstanding the way a busy server
 * has many exchanges waiting for their lease at once. Prints commits/s.
 * `--pg` adds PostgreSQL on a throwaway cluster (needs root and /usr/lib/postgresql/15/bin).
 */
import { statfsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Lease } from '../src/leases/lease.ts';
import { MemoryLeaseStore } from '../src/leases/memory.ts';
import { SqliteLeaseStore } from '../src/leases/sqlite.ts';
import type { LeaseStore } from '../src/leases/store.ts';
import { tempDir } from '../test/leases/tmp.ts';

const COUNT = Number(process.env['BENCH_LEASES'] ?? 50_000);
const NOW = Date.now();

function lease(i: number, cltt = NOW): Lease {
  const b = [(i >> 16) & 255, (i >> 8) & 255, i & 255];
  const hex = b.map((x) => x.toString(16).padStart(2, '0')).join(':');
  return {
    address: `10.${b[0]}.${b[1]}.${b[2]}`,
    hwAddress: `02:00:00:${hex}`,
    clientId: `01:02:00:00:${hex}`,
    subnetId: 1 + (i % 4),
    validLifetime: 3600,
    cltt,
    expiresAt: cltt + 3_600_000,
    hostname: i % 3 === 0 ? `host-${i}` : null,
    state: 'default',
    userContext: null,
  };
}

/** Commits lease(0..count-1) with `inFlight` outstanding; returns commits per second. */
async function run(store: LeaseStore, count: number, inFlight: number, cltt: number): Promise<number> {
  let next = 0;
  let refused = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const result = await store.commit(lease(next++, cltt), { now: cltt });
      if (!result.ok) refused++;
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (refused > 0) throw new Error(`${refused} commits refused`);
  return count / seconds;
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
  ...(['full', 'normal'] as const).map((synchronous): Backend => ({
    name: `sqlite synchronous=${synchronous}`,
    open: async () => {
      const tmp = tempDir('leasekeeper-bench-');
      const store = await SqliteLeaseStore.open({ path: join(tmp.dir, 'leases.db'), synchronous });
      return {
        store,
        done: async () => {
          await store.close();
          tmp.remove();
        },
      };
    },
  })),
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
console.log(
  'backend'.padEnd(28) + 'in flight'.padStart(10) + 'new leases/s'.padStart(15) + 'renewals/s'.padStart(13),
);
for (const backend of backends) {
  for (const inFlight of [1, 64, 1024]) {
    // A single in-flight commit waits a whole durable sync per lease: fewer of them keep the run short.
    const count = inFlight === 1 ? Math.min(COUNT, 2000) : COUNT;
    const { store, done } = await backend.open();
    try {
      const fresh = await run(store, count, inFlight, NOW);
      const renew = await run(store, count, inFlight, NOW + 1000);
      console.log(
        backend.name.padEnd(28) +
          String(inFlight).padStart(10) +
          Math.round(fresh).toLocaleString('en').padStart(15) +
          Math.round(renew).toLocaleString('en').padStart(13),
      );
    } finally {
      await done();
    }
  }
}
