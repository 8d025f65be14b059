/**
 * How long an ACK waits for its durable commit at a steady rate: `tsx bench/commit-latency.ts`. A plain script.
 *
 * Commits fresh leases to a SQLite file (worker writer, synchronous=FULL) at RATE a second (default 3,000,
 * about half of what one core sustains: the latency goal's load) for SECONDS (default 3), and prints each
 * commit's wait (submit to durable) as average, p99 and max, and the process's CPU (all threads) per commit.
 * It alternates the writer's hold rules, ROUNDS times (default 3): the default (the hold that grows with the last
 * batch, `HOLD_PER_OPERATION_MS` a write, up to the 4 ms interval, and never more than `DEFAULT_BATCH_MAX_WAIT_MS`
 * after a batch's oldest write), the same bounded at 2 ms, without the bound (the rule before it), and the default
 * as a saturated server runs it (`batchSaturated` always true: `DEFAULT_SATURATED_MAX_WAIT_MS`).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Lease } from '../src/leases/lease.ts';
import { SqliteLeaseStore } from '../src/leases/sqlite.ts';
import {
  DEFAULT_BATCH_MAX_WAIT_MS,
  DEFAULT_SATURATED_MAX_WAIT_MS,
  WRITER_BATCH_CHANNEL,
} from '../src/leases/sqlite-writer.ts';
import { makeLease } from '../test/leases/fixtures.ts';
import { tempDir } from '../test/leases/tmp.ts';

const RATE = Number(process.env['RATE'] ?? 3000);
const SECONDS = Number(process.env['SECONDS'] ?? 3);
const ROUNDS = Number(process.env['ROUNDS'] ?? 3);
const NOW = Date.now();

function lease(i: number): Lease {
  const b = [(i >> 16) & 255, (i >> 8) & 255, i & 255];
  const hex = b.map((x) => x.toString(16).padStart(2, '0')).join(':');
  return makeLease({
    address: `10.${b[0]}.${b[1]}.${b[2]}`,
    hwAddress: `02:00:00:${hex}`,
    clientId: null,
    cltt: NOW,
  });
}

interface Result {
  avgMs: number;
  p99Ms: number;
  maxMs: number;
  cpuUsPerCommit: number;
  writesPerTransaction: number;
}

type Hold = { batchMaxWaitMs: number } | { batchSaturated: () => boolean };

async function run(hold: Hold): Promise<Result> {
  const tmp = tempDir();
  const store = await SqliteLeaseStore.open({ path: join(tmp.dir, 'leases.db'), writer: 'worker', ...hold });
  const waits: number[] = [];
  let transactions = 0;
  const counted = (): void => void transactions++;
  subscribe(WRITER_BATCH_CHANNEL, counted);
  const total = RATE * SECONDS;
  const pending: Promise<unknown>[] = [];
  const cpu = process.cpuUsage();
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((done) => {
    // Paced by a 1 ms timer: each tick submits the commits due by then, as a server's receive batches would.
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * RATE) / 1000));
      for (; sent < due; sent++) {
        const at = performance.now();
        pending.push(store.commit(lease(sent), { now: NOW }).then(() => waits.push(performance.now() - at)));
      }
      if (sent >= total) {
        clearInterval(tick);
        done();
      }
    }, 1);
  });
  await Promise.all(pending);
  const used = process.cpuUsage(cpu);
  unsubscribe(WRITER_BATCH_CHANNEL, counted);
  await store.close();
  tmp.remove();
  waits.sort((a, b) => a - b);
  return {
    avgMs: waits.reduce((a, b) => a + b, 0) / waits.length,
    p99Ms: waits[Math.floor(waits.length * 0.99)] ?? NaN,
    maxMs: waits.at(-1) ?? NaN,
    cpuUsPerCommit: (used.user + used.system) / waits.length,
    writesPerTransaction: waits.length / Math.max(1, transactions),
  };
}

const rules: [string, Hold][] = [
  [
    `a batch's oldest write waits at most ${DEFAULT_BATCH_MAX_WAIT_MS} ms`,
    { batchMaxWaitMs: DEFAULT_BATCH_MAX_WAIT_MS },
  ],
  ['at most 2 ms', { batchMaxWaitMs: 2 }],
  ['no bound (up to the 4 ms interval)', { batchMaxWaitMs: Infinity }],
  [`saturated: at most ${DEFAULT_SATURATED_MAX_WAIT_MS} ms`, { batchSaturated: () => true }],
];
console.log(
  `${RATE} commits/s for ${SECONDS} s, SQLite FULL, worker writer; load average ${loadavg()[0]!.toFixed(1)}`,
);
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, hold] of rules) {
    const r = await run(hold);
    console.log(
      `${name.padEnd(44)} wait avg ${r.avgMs.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, max ${r.maxMs.toFixed(1)} ms; ` +
        `CPU ${r.cpuUsPerCommit.toFixed(1)} us a commit, ${r.writesPerTransaction.toFixed(1)} writes a transaction`,
    );
  }
}
