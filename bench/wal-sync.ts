/**
 * fsync against fdatasync on a file written the way SQLite writes its WAL under the writer thread's load:
 * `tsx bench/wal-sync.ts`. A plain script; it writes only under DIR (default: a temporary directory beside the
 * other test files, i.e. on the disk the lease file would be on).
 *
 * A "WAL" file takes TX_PER_S transactions a second (default 800: the writer thread's rate at 6,000 DORA/s),
 * each FRAMES frames of 4,120 bytes (default 8) appended after the previous one and made durable with the
 * sync under test. Every 1,000 frames a "checkpoint" writes 1,000 random 4 KiB pages of a 16 MiB "database"
 * file, fsyncs it, and the WAL starts over from its beginning, overwriting its own blocks in place, as
 * SQLite's does after a complete checkpoint (so after the first cycle no transaction allocates a block). The
 * two syncs alternate, SECONDS (default 4) each, ROUNDS times (default 3); each prints the sync's p50, p90,
 * p99 and max, the transaction's (writes and sync) max, and the checkpoints' max.
 *
 * Then the same on SQLite itself, the writer thread's code in this thread (`SqliteWriteBatch`, its PASSIVE
 * checkpoints between batches): TX_PER_S batches a second of FRAMES lease commits each, SQLite's
 * `synchronous=FULL` (its fsync inside each COMMIT) alternated with the store's writer (`SqliteWriteBatch`:
 * `synchronous=NORMAL` and an fdatasync of the `-wal` file after each COMMIT), with the transaction's p50, p90,
 * p99 and max, and the CPU time (user and system) per transaction, checkpoints apart. `PART=file` or
 * `PART=sqlite` runs one.
 */
import { closeSync, fdatasyncSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Lease } from '../src/leases/lease.ts';
import { SqliteWriteBatch } from '../src/leases/sqlite-batch.ts';
import { BatchRows } from '../src/leases/sqlite-batch-rows.ts';
import { disableAutoCheckpoint, WalCheckpointer } from '../src/leases/sqlite-checkpoint.ts';
import { openConnection, prepare, runWriteOp } from '../src/leases/sqlite-sql.ts';
import type { WriteOp } from '../src/leases/sqlite-sql.ts';
import { tempDir } from '../test/leases/tmp.ts';

const TX_PER_S = Number(process.env['TX_PER_S'] ?? 800);
const FRAMES = Number(process.env['FRAMES'] ?? 8);
const SECONDS = Number(process.env['SECONDS'] ?? 4);
const ROUNDS = Number(process.env['ROUNDS'] ?? 3);
const FRAME_BYTES = 4096 + 24;
const CHECKPOINT_FRAMES = 1000;
const DB_PAGES = 4096;
const PART = process.env['PART'] ?? 'both';
const NOW = Date.now();

type Sync = 'fsync' | 'fdatasync';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepUntil(at: number): void {
  const ms = at - performance.now();
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;
}

function summary(name: string, what: string, values: number[]): string {
  values.sort((a, b) => a - b);
  const f = (n: number): string => n.toFixed(2);
  return (
    `${name.padEnd(18)} ${what} p50 ${f(quantile(values, 0.5))} p90 ${f(quantile(values, 0.9))} ` +
    `p99 ${f(quantile(values, 0.99))} max ${f(values.at(-1) ?? NaN)} ms`
  );
}

function runFile(dir: string, sync: Sync): void {
  const wal = openSync(join(dir, 'wal'), 'w+');
  const db = openSync(join(dir, 'db'), 'w+');
  const frame = Buffer.alloc(FRAME_BYTES, 0xa5);
  const page = Buffer.alloc(4096, 0x5a);
  // The database exists and the WAL has had its full size once, as on a server that has run for a while.
  for (let p = 0; p < DB_PAGES; p++) writeSync(db, page, 0, page.length, p * page.length);
  for (let f = 0; f < CHECKPOINT_FRAMES + FRAMES; f++)
    writeSync(wal, frame, 0, FRAME_BYTES, 32 + f * FRAME_BYTES);
  fsyncSync(db);
  fsyncSync(wal);
  const syncs: number[] = [];
  const txs: number[] = [];
  const checkpoints: number[] = [];
  let walFrames = 0;
  const total = TX_PER_S * SECONDS;
  const start = performance.now();
  for (let tx = 0; tx < total; tx++) {
    sleepUntil(start + (tx * 1000) / TX_PER_S);
    const began = performance.now();
    if (walFrames === 0) writeSync(wal, frame, 0, 32, 0);
    for (let f = 0; f < FRAMES; f++) writeSync(wal, frame, 0, FRAME_BYTES, 32 + walFrames++ * FRAME_BYTES);
    const synced = performance.now();
    if (sync === 'fsync') fsyncSync(wal);
    else fdatasyncSync(wal);
    const done = performance.now();
    syncs.push(done - synced);
    txs.push(done - began);
    if (walFrames < CHECKPOINT_FRAMES) continue;
    // SQLite's checkpoint: the WAL synced, its pages copied into the database, the database synced.
    const cp = performance.now();
    fsyncSync(wal);
    for (let p = 0; p < walFrames; p++) {
      writeSync(db, page, 0, page.length, Math.floor(Math.random() * DB_PAGES) * page.length);
    }
    fsyncSync(db);
    checkpoints.push(performance.now() - cp);
    walFrames = 0;
  }
  closeSync(wal);
  closeSync(db);
  const f = (n: number): string => n.toFixed(2);
  console.log(
    `${summary(`file, ${sync}`, 'sync', syncs)}; transaction max ${f(Math.max(...txs))} ms; ` +
      `${checkpoints.length} checkpoints, max ${f(Math.max(...checkpoints))} ms`,
  );
}

function lease(i: number): Lease {
  const b = [(i >> 16) & 255, (i >> 8) & 255, i & 255];
  return {
    address: `10.${b[0]}.${b[1]}.${b[2]}`,
    hwAddress: `02:00:00:${b.map((x) => x.toString(16).padStart(2, '0')).join(':')}`,
    clientId: null,
    subnetId: 1,
    validLifetime: 3600,
    cltt: NOW,
    expiresAt: NOW + 3_600_000,
    hostname: null,
    state: 'default',
    userContext: null,
  };
}

/**
 * SQLite's FULL: the bare transaction (`runWriteOp` in `BEGIN IMMEDIATE`), SQLite fsyncing the WAL in COMMIT.
 * The store's writer: `SqliteWriteBatch` on a FULL connection, which runs it with NORMAL and fdatasyncs the WAL.
 */
function runSqlite(dir: string, sync: 'sqlite-full' | 'normal+fdatasync', round: number): void {
  const path = join(dir, `leases-${round}-${sync}.db`);
  openConnection({ path }, true).close();
  const db = openConnection({ path }, false);
  disableAutoCheckpoint(db);
  const stmt = prepare(db);
  let run: (ops: readonly WriteOp[]) => void;
  if (sync === 'normal+fdatasync') {
    const batch = new SqliteWriteBatch(db, stmt, path);
    run = (ops) => batch.run(ops, false);
  } else {
    const rows = new BatchRows(db, stmt);
    const transaction = db.transaction((ops: readonly WriteOp[]) => {
      for (const op of ops) runWriteOp(rows, op, false);
      rows.flush();
    });
    run = (ops) => transaction.immediate(ops);
  }
  const checkpointer = WalCheckpointer.on(db);
  const txs: number[] = [];
  const checkpoints: number[] = [];
  const total = TX_PER_S * SECONDS;
  let next = 0;
  let cpuUs = 0;
  const start = performance.now();
  for (let tx = 0; tx < total; tx++) {
    sleepUntil(start + (tx * 1000) / TX_PER_S);
    const cpu = process.cpuUsage();
    const ops: WriteOp[] = [];
    for (let i = 0; i < FRAMES; i++, next++) {
      const l = lease(next);
      ops.push({
        op: 'commit',
        key: 0x0a000000 + next,
        lease: l,
        mode: 'upsert',
        now: NOW,
        matchClientId: false,
      });
    }
    const began = performance.now();
    run(ops);
    txs.push(performance.now() - began);
    const used = process.cpuUsage(cpu);
    cpuUs += used.user + used.system;
    checkpointer.committed(ops.length);
    if (checkpointer.due()) checkpoints.push(checkpointer.run().ms);
  }
  db.close();
  console.log(
    `${summary(sync, 'transaction', txs)}; CPU ${(cpuUs / total).toFixed(1)} us a transaction; ` +
      `${checkpoints.length} checkpoints, max ${Math.max(...checkpoints).toFixed(2)} ms`,
  );
}

const tmp = process.env['DIR'] === undefined ? tempDir() : null;
const dir = process.env['DIR'] ?? tmp!.dir;
console.log(
  `${TX_PER_S} transactions/s of ${FRAMES} frames, ${SECONDS} s each, in ${dir}; ` +
    `load average ${loadavg()[0]!.toFixed(1)}`,
);
try {
  for (let round = 0; round < ROUNDS; round++) {
    if (PART !== 'sqlite') for (const sync of ['fsync', 'fdatasync'] as const) runFile(dir, sync);
    if (PART !== 'file') {
      for (const sync of ['sqlite-full', 'normal+fdatasync'] as const) runSqlite(dir, sync, round);
    }
  }
} finally {
  tmp?.remove();
}
