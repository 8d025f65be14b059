/**
 * CPU time per commit through the SQLite store's worker writer: `tsx bench/writer-cpu.ts`. A plain script.
 * Commits `BENCH_COMMITS` fresh leases (default 20,000, 200 in flight, `synchronous=FULL`) in each of
 * `ROUNDS` rounds (`NO_USER_CONTEXT=1`: leases without one) and prints the median process CPU time (user +
 * system, every thread: the event loop and the writer thread) per commit, the main thread's share apart, and
 * the mean batch size. Compare two builds by running it alternately from each.
 * Each lease has a random MAC (as real clients and perfdhcp's simulated ones do; `SEQUENTIAL_MACS=1`: in order),
 * the client identifier most clients send (type 1 and that MAC) and a hostname, so an index on any of them
 * meets its keys in random order, as a server's writes do. `RENEW=1` times renewals instead: the leases are
 * first committed untimed, then each is renewed (a later `cltt`, same client and subnet) in a shuffled order,
 * as clients renew at random points of the address range. `MIX=1` times perfdhcp's pattern instead, through the
 * server's batch size (28 in flight): `BENCH_COMMITS` exchanges from 50,000 random clients, each lease without a client
 * identifier, hostname or user context as perfdhcp's; a new client takes the next address, a returning one renews
 * its own (about 40% of them at 56,000). `SYNCHRONOUS=normal` leaves the commit's sync out (the disk's noise).
 * `BATCH_ONLY=1` times the writer thread's batches alone, in this thread: the same leases as commits in batches of
 * the same size through `SqliteWriteBatch.run` on a write connection as the thread opens it, the CPU time of `run`
 * only (the checkpoints, on their own thread in the server, run between batches, untimed).
 */
import os from 'node:os';
import { join } from 'node:path';
import type { Lease } from '../src/leases/lease.ts';
import { ipv4ToNumber } from '../src/leases/address.ts';
import { SqliteLeaseStore } from '../src/leases/sqlite.ts';
import { SqliteWriteBatch } from '../src/leases/sqlite-batch.ts';
import { disableAutoCheckpoint, WalCheckpointer } from '../src/leases/sqlite-checkpoint.ts';
import { openConnection, prepare, type WriteOp } from '../src/leases/sqlite-sql.ts';
import { tempDir } from '../test/leases/tmp.ts';
import { syntheticLease } from './synthetic-lease.ts';

const COUNT = Number(process.env['BENCH_COMMITS'] ?? 20_000);
const ROUNDS = Number(process.env['ROUNDS'] ?? 5);
const IN_FLIGHT = 200;

const SEQUENTIAL = process.env['SEQUENTIAL_MACS'] === '1';
const RENEW = process.env['RENEW'] === '1';
const MIX = process.env['MIX'] === '1';
const SYNCHRONOUS = process.env['SYNCHRONOUS'] === 'normal' ? 'normal' : 'full';
const BATCH_ONLY = process.env['BATCH_ONLY'] === '1';
/** perfdhcp's `-R`: how many simulated clients the exchanges of `MIX=1` draw from. */
const MIX_CLIENTS = 50_000;
/** The server's batches at 14,000 DORA/s are about this many writes. */
const MIX_IN_FLIGHT = 28;

/** A MAC from `i` through a 32-bit multiplicative hash (odd multiplier: distinct for distinct `i`). */
function macOf(i: number): string {
  const h = SEQUENTIAL ? i : Math.imul(i, 0x9e3779b1) >>> 0;
  const bytes = [2, 0, h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255];
  return bytes.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function lease(i: number, cltt: number): Lease {
  const hwAddress = macOf(i);
  if (MIX) return syntheticLease(i, cltt, { hwAddress, clientId: null });
  return syntheticLease(i, cltt, {
    hwAddress,
    clientId: `01:${hwAddress}`,
    hostname: `host-${hwAddress.replaceAll(':', '')}`,
    userContext: process.env['NO_USER_CONTEXT'] ? null : { circuitId: `eth0/${i % 48}` },
  });
}

/** The timed pass's leases, by index: perfdhcp's pattern, renewals in a shuffled order, or new leases in order. */
function timedOrder(inOrder: readonly number[]): readonly number[] {
  if (MIX) return perfdhcpAddresses();
  return RENEW ? shuffled(inOrder) : inOrder;
}

/** `BATCH_ONLY=1`: the CPU time of `SqliteWriteBatch.run` alone, per commit. */
function batchRound(base: number): { all: number; main: number; batch: number } {
  const { dir, remove } = tempDir('leasekeeper-writer-cpu-');
  const path = join(dir, 'leases.db');
  openConnection({ path }, true).close();
  const db = openConnection({ path, synchronous: SYNCHRONOUS }, false);
  disableAutoCheckpoint(db);
  const writes = new SqliteWriteBatch(db, prepare(db), path);
  const checkpointer = WalCheckpointer.on(db);
  const size = MIX ? MIX_IN_FLIGHT : IN_FLIGHT;
  const now = Date.now();
  /** Commits lease `order[i]` at `cltt` (a later one for each when `cltt` is null); the CPU time of the batches. */
  const commitAll = (order: readonly number[], cltt: number | null): number => {
    let used = 0;
    for (let at = 0; at < order.length; at += size) {
      const ops = order.slice(at, at + size).map((i, j): WriteOp => {
        const time = cltt ?? now + at + j;
        const l = lease(base + i, time);
        return {
          op: 'commit',
          key: ipv4ToNumber(l.address),
          lease: l,
          mode: 'claim',
          now: time,
          matchClientId: true,
        };
      });
      const start = process.threadCpuUsage();
      writes.run(ops, false);
      const spent = process.threadCpuUsage(start);
      used += spent.user + spent.system;
      if (checkpointer.due()) checkpointer.run();
      checkpointer.committed(ops.length);
    }
    return used;
  };
  const inOrder = Array.from({ length: COUNT }, (_, i) => i);
  if (RENEW) commitAll(inOrder, now);
  const used = commitAll(timedOrder(inOrder), MIX ? null : RENEW ? now + 1000 : now) / COUNT;
  writes.close();
  db.close();
  remove();
  return { all: used, main: used, batch: size };
}

async function round(base: number): Promise<{ all: number; main: number; batch: number }> {
  const { dir, remove } = tempDir('leasekeeper-writer-cpu-');
  const store = await SqliteLeaseStore.open({
    path: join(dir, 'leases.db'),
    writer: 'worker',
    synchronous: SYNCHRONOUS,
  });
  const now = Date.now();
  let batchSizes = 0;
  /** Commits lease `order[i]` at `cltt` (a later one for each when `cltt` is null) for every i. */
  const commitAll = async (order: readonly number[], cltt: number | null): Promise<void> => {
    let next = 0;
    const loop = async (): Promise<void> => {
      while (next < order.length) {
        const at = cltt ?? now + next;
        await store.commit(lease(base + order[next++]!, at), { now: at });
        batchSizes += store.lastBatchSize;
      }
    };
    await Promise.all(Array.from({ length: MIX ? MIX_IN_FLIGHT : IN_FLIGHT }, loop));
  };
  const inOrder = Array.from({ length: COUNT }, (_, i) => i);
  if (RENEW) {
    await commitAll(inOrder, now);
    batchSizes = 0;
  }
  const start = process.cpuUsage();
  const mainStart = process.threadCpuUsage();
  await commitAll(timedOrder(inOrder), MIX ? null : RENEW ? now + 1000 : now);
  const used = process.cpuUsage(start);
  const main = process.threadCpuUsage(mainStart);
  await store.close();
  remove();
  return {
    all: (used.user + used.system) / COUNT,
    main: (main.user + main.system) / COUNT,
    batch: batchSizes / COUNT,
  };
}

/**
 * The address of each of `COUNT` exchanges from `MIX_CLIENTS` clients drawn at random (a fixed sequence): the next
 * address for a client's first, its own for each later one.
 */
function perfdhcpAddresses(): number[] {
  const addressOf = new Map<number, number>();
  let seed = 12345;
  return Array.from({ length: COUNT }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const client = seed % MIX_CLIENTS;
    let address = addressOf.get(client);
    if (address === undefined) {
      address = addressOf.size;
      addressOf.set(client, address);
    }
    return address;
  });
}

/** A fixed permutation (Fisher-Yates with a multiplicative hash as its source), the same in every build. */
function shuffled(values: readonly number[]): number[] {
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    const j = (Math.imul(i, 0x9e3779b1) >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const rounds: { all: number; main: number; batch: number }[] = [];
for (let i = 0; i < ROUNDS; i++) rounds.push(BATCH_ONLY ? batchRound(i * COUNT) : await round(i * COUNT));
const all = rounds.map((r) => r.all);
console.log(
  `${median(all).toFixed(2)} us CPU per commit` +
    (BATCH_ONLY
      ? ' in the batches alone, '
      : `, main thread ${median(rounds.map((r) => r.main)).toFixed(2)}, `) +
    `batch ${median(rounds.map((r) => r.batch)).toFixed(0)}, ` +
    `median of ${ROUNDS} (${all.map((x) => x.toFixed(1)).join(' ')}), load ${os.loadavg()[0]!.toFixed(1)}`,
);
