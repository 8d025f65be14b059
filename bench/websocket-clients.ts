/**
 * What the WebSocket API's `clients` list costs with many leases: `npm run bench:websocket-clients -- [N]
 * [--sqlite] [--rounds R]` (N defaults to 1,000,000). A plain script, not a test; it runs no server, so it
 * needs no bench lock.
 *
 * Leases look like bench/leases-memory.ts's: every lease with a client identifier, a third with a hostname,
 * a tenth with client classes. Alternated rounds (at once, sliced, at once, sliced...) print for each way:
 * - at once: the list as the API built it before, in one synchronous run: every lease mapped to an entry, one
 *   JSON.stringify (from the engine's index; with `--sqlite`, from the SQLite store's `getAll`, as it was);
 * - sliced: the list as the API builds it now (clients-list.ts): from the engine's index (with `--sqlite`, also
 *   from the store, page by page), `LEASES_PER_SLICE` leases per slice, yielding to the event loop between.
 * For each: CPU time of the process (all threads) and wall time of the whole build, the longest and the 99th
 * percentile slice (wall time from resuming to the next yield: the longest a DHCP packet waits for it), the
 * number of slices and the message's bytes; then the heap and RSS with the message held.
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ipv4ToInt } from '../src/config/ipv4.ts';
import type { Lease } from '../src/leases/lease.ts';
import { openLeaseStore } from '../src/leases/open.ts';
import type { LeaseStore } from '../src/leases/store.ts';
import { LeaseIndex } from '../src/server/lease-index.ts';
import { toClientJson } from '../src/control/websocket/clients.ts';
import {
  buildClientsMessage,
  LEASES_PER_SLICE,
  yieldToEventLoop,
} from '../src/control/websocket/clients-list.ts';
import { indexBatches, storeBatches } from '../src/control/websocket/lease-batches.ts';
import { API_NAME, type ClientJson } from '../src/control/websocket/protocol.ts';
import { writeLeaseFile } from './lease-file.ts';
import { syntheticLease } from './synthetic-lease.ts';

const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const WITH_SQLITE = args.includes('--sqlite');
/** `--sliced`: only the sliced builds (no at-once garbage collected during them). */
const SLICED_ONLY = args.includes('--sliced');
const ROUNDS = args.includes('--rounds') ? Number(args[args.indexOf('--rounds') + 1]) : 2;
const NOW = Date.now();
const MiB = 2 ** 20;

function lease(i: number): Lease {
  return syntheticLease(i, NOW - (i % 1800) * 1000, {
    hostname: i % 3 === 0 ? `host-${i}` : null,
    userContext: i % 10 === 0 ? { ISC: { 'client-classes': ['voip', `port-${i % 48}`] } } : null,
  });
}

const render = (l: Lease): ClientJson => toClientJson(l, NOW, '10.255.255.254');

interface Figures {
  cpuMs: number;
  wallMs: number;
  longestSliceMs: number;
  p99SliceMs: number;
  /** The main thread's CPU time in the longest slice by that measure (free of other processes' load). */
  longestSliceCpuMs: number;
  slices: number;
  bytes: number;
}

/** Runs `build` with a timed yield between slices. */
async function measure(build: (step: () => Promise<void>) => Promise<Buffer | string>): Promise<Figures> {
  const slices: number[] = [];
  let sliceCpu = 0;
  let resumed = performance.now();
  let resumedCpu = process.threadCpuUsage();
  const endSlice = (): void => {
    slices.push(performance.now() - resumed);
    const c = process.threadCpuUsage(resumedCpu);
    sliceCpu = Math.max(sliceCpu, (c.user + c.system) / 1000);
  };
  const step = async (): Promise<void> => {
    endSlice();
    await yieldToEventLoop();
    resumed = performance.now();
    resumedCpu = process.threadCpuUsage();
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  const message = await build(step);
  endSlice();
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - started;
  const sorted = [...slices].sort((a, b) => a - b);
  return {
    cpuMs: (used.user + used.system) / 1000,
    wallMs,
    longestSliceMs: sorted[sorted.length - 1]!,
    p99SliceMs: sorted[Math.floor(sorted.length * 0.99)]!,
    longestSliceCpuMs: sliceCpu,
    slices: slices.length,
    bytes: Buffer.byteLength(message),
  };
}

function print(name: string, f: Figures): void {
  const mem = process.memoryUsage();
  console.log(
    `${name.padEnd(22)} cpu ${f.cpuMs.toFixed(0).padStart(6)} ms (${((f.cpuMs * 1000) / N).toFixed(2)} us/lease)` +
      `  wall ${f.wallMs.toFixed(0).padStart(6)} ms  longest slice ${f.longestSliceMs.toFixed(1).padStart(7)} ms` +
      `  p99 ${f.p99SliceMs.toFixed(1).padStart(6)} ms  (cpu ${f.longestSliceCpuMs.toFixed(1)} ms)  slices ${String(f.slices).padStart(5)}` +
      `  ${(f.bytes / MiB).toFixed(1)} MiB  heap ${(mem.heapUsed / MiB).toFixed(0)} MiB` +
      `  rss ${(mem.rss / MiB).toFixed(0)} MiB`,
  );
}

/** The old way: the whole list mapped and stringified in one synchronous run. */
const atOnce = (leases: readonly Lease[]): string =>
  JSON.stringify({ name: API_NAME, event: 'clients', body: leases.map(render) });

async function main(): Promise<void> {
  const index = new LeaseIndex();
  for (let i = 0; i < N; i++) {
    const l = lease(i);
    index.putNew(l, ipv4ToInt(l.address), NaN);
  }
  let store: LeaseStore | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'leasekeeper-ws-clients-'));
  if (WITH_SQLITE) {
    const path = join(dir, 'leases.db');
    await writeLeaseFile(
      path,
      (function* () {
        for (let i = 0; i < N; i++) yield lease(i);
      })(),
    );
    store = await openLeaseStore({ type: 'sqlite', path });
  }
  console.log(
    `${N} leases, ${LEASES_PER_SLICE} leases per slice, Node ${process.version}, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  try {
    for (let round = 0; round < ROUNDS; round++) {
      if (!SLICED_ONLY)
        print(
          'at once (index)',
          await measure(async () => {
            // one batch of every lease, read without yielding (microtask steps only)
            const leases: Lease[] = [];
            for await (const batch of indexBatches(index, N, async () => undefined))
              for (const l of batch) leases.push(l);
            return atOnce(leases);
          }),
        );
      print(
        'sliced (index)',
        await measure((step) =>
          buildClientsMessage(indexBatches(index, LEASES_PER_SLICE, step), render, step),
        ),
      );
      if (store !== undefined) {
        const s = store;
        if (!SLICED_ONLY)
          print('at once (sqlite getAll)', await measure(async () => atOnce(await s.getAll())));
        print(
          'sliced (sqlite pages)',
          await measure((step) => buildClientsMessage(storeBatches(s, LEASES_PER_SLICE), render, step)),
        );
      }
    }
  } finally {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
