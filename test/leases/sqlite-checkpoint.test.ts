import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { disableAutoCheckpoint, WalCheckpointer } from '../../src/leases/sqlite-checkpoint.ts';
import { openConnection } from '../../src/leases/sqlite-sql.ts';
import type { Db } from '../../src/leases/sqlite-sql.ts';
import { WalSpaceGuard } from '../../src/leases/sqlite-space.ts';
import { tempDir } from './tmp.ts';

/** A table of 4 KiB rows: each transaction of `rows` inserts dirties about that many pages. */
function fill(db: Db, transactions: number, rows: number, after?: () => void): void {
  db.exec('CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body BLOB)');
  const insert = db.prepare('INSERT INTO filler (body) VALUES (zeroblob(4000))');
  const tx = db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run();
  });
  for (let t = 0; t < transactions; t++) {
    tx.immediate();
    after?.();
  }
}

const walFrames = (db: Db): number => (db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log;

test('with the automatic checkpoint off, no COMMIT checkpoints: every frame is still in the WAL', () => {
  const tmp = tempDir();
  try {
    const db = openConnection({ path: join(tmp.dir, 'leases.db') }, false);
    disableAutoCheckpoint(db);
    fill(db, 60, 25);
    // SQLite's default would have checkpointed inside the COMMIT that passed 1,000 frames and started over.
    assert.ok(walFrames(db) >= 1500, `${walFrames(db)} frames`);
    db.close();
  } finally {
    tmp.remove();
  }
});

test('the checkpointer, run between transactions, keeps the WAL near its target and learns the frames per write', () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.dir, 'leases.db');
    const db = openConnection({ path }, false);
    disableAutoCheckpoint(db);
    const checkpointer = WalCheckpointer.on(db, { targetFrames: 64 });
    const reports: number[] = [];
    fill(db, 200, 10, () => {
      checkpointer.committed(10);
      if (checkpointer.due()) reports.push(checkpointer.run().checkpointedFrames);
    });
    assert.ok(reports.length >= 20, `${reports.length} checkpoints`);
    // After the first (which guessed 4 frames a write) each copies about the target: at most a transaction or two (about 13 frames each) over.
    for (const frames of reports.slice(1))
      assert.ok(frames >= 60 && frames <= 64 + 2 * 13, `${frames} frames`);
    // 2,000 pages went through a WAL that never held more than about 80 of them.
    assert.ok(statSync(`${path}-wal`).size < 100 * 4200, `${statSync(`${path}-wal`).size} bytes`);
    db.close();
  } finally {
    tmp.remove();
  }
});

test("after a full disk the space guard restores the connection's own automatic checkpoint, not SQLite's default", () => {
  const tmp = tempDir();
  try {
    const db = openConnection({ path: join(tmp.dir, 'leases.db') }, false);
    disableAutoCheckpoint(db);
    const guard = new WalSpaceGuard(db, join(tmp.dir, 'leases.db'));
    guard.afterFailure(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }));
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 16, 'short of space: small checkpoints');
    // The file system of the temporary directory has room: the guard checks it at most every 10 s.
    const realNow = Date.now;
    Date.now = () => realNow() + 60_000;
    try {
      guard.afterCommit();
    } finally {
      Date.now = realNow;
    }
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0);
    db.close();
  } finally {
    tmp.remove();
  }
});
