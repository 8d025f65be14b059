import assert from 'node:assert/strict';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ipv4ToNumber } from '../../src/leases/address.ts';
import { LeaseStoreIoError } from '../../src/leases/errors.ts';
import { SqliteWriteBatch } from '../../src/leases/sqlite-batch.ts';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { WalCheckpointer } from '../../src/leases/sqlite-checkpoint.ts';
import { CheckpointSchedule } from '../../src/leases/sqlite-checkpoint-schedule.ts';
import { openConnection, prepare } from '../../src/leases/sqlite-sql.ts';
import type { Db, WriteOp } from '../../src/leases/sqlite-sql.ts';
import { nodeWalFiles, WalSync, type WalFiles } from '../../src/leases/sqlite-wal-sync.ts';
import { WriterLoop } from '../../src/leases/sqlite-writer-loop.ts';
import { toWire, toWireResult, type FromWriter } from '../../src/leases/sqlite-writer-protocol.ts';
import { makeLease, T0 } from './fixtures.ts';
import { tempDir } from './tmp.ts';

function commit(address: string): WriteOp {
  return {
    op: 'commit',
    key: ipv4ToNumber(address),
    lease: makeLease({ address }),
    mode: 'upsert',
    now: T0,
    matchClientId: false,
  };
}

const countLeases = (db: Db): number => Number(db.prepare('SELECT count(*) FROM lease4').pluck().get());

/**
 * A writer thread's loop on a real lease file, whose WAL syncs go through `files` (the real calls unless a
 * test replaces one), and a second connection to look at the file from outside.
 */
function writerOn(
  dir: string,
  files: Partial<WalFiles> = {},
  options: { synchronous?: 'full' | 'normal' } = {},
): { loop: WriterLoop; posted: FromWriter[]; events: string[]; db: Db; reader: Db; close: () => void } {
  const path = join(dir, 'leases.db');
  openConnection({ path }, true).close();
  const db = openConnection({ path, busyTimeoutMs: 0, ...options }, false);
  const reader = openConnection({ path }, false);
  const events: string[] = [];
  const posted: FromWriter[] = [];
  const batch = new SqliteWriteBatch(db, prepare(db), path, {
    walFiles: { ...nodeWalFiles, ...files },
    // The writer thread waits here for its checkpoint thread's checkpoint, which would make TRUNCATE fail busy.
    awaitOtherCheckpoint: () => events.push('awaited the other checkpoint'),
  });
  const checkpointer = WalCheckpointer.on(db);
  const loop = new WriterLoop({
    run: (ops, wantRemoved) => {
      const writes = ops as readonly WriteOp[];
      return batch.run(writes, wantRemoved).map((r, i) => toWireResult(writes[i]!, r));
    },
    toWire: (error) => toWire(error as LeaseStoreIoError),
    post: (message) => {
      posted.push(message);
      events.push(`report ${message.type}`);
    },
    checkpointer: new CheckpointSchedule(() => checkpointer.run(), null),
    now: () => 0,
  });
  return {
    loop,
    posted,
    events,
    db,
    reader,
    close: () => {
      batch.close();
      reader.close();
      db.close();
    },
  };
}

test('each batch that wrote is synced after its COMMIT and before its report; a batch that wrote nothing is not', () => {
  const tmp = tempDir();
  let w: ReturnType<typeof writerOn> | undefined;
  try {
    w = writerOn(tmp.dir, {
      fdatasync: (fd) => {
        // Another connection sees the batch: its COMMIT is done, the sync comes after it.
        w!.events.push(`sync with ${countLeases(w!.reader)} leases committed`);
        nodeWalFiles.fdatasync(fd);
      },
    });
    w.loop.batch(1, [commit('198.18.0.1'), commit('198.18.0.2')], false);
    w.loop.batch(2, [], false);
    // A removal of an address nobody holds changes no row.
    w.loop.batch(3, [{ op: 'remove', key: ipv4ToNumber('198.18.0.9') }], false);
    w.loop.batch(4, [commit('198.18.0.3')], false);
    assert.deepEqual(w.events, [
      'sync with 2 leases committed',
      'report committed',
      'report committed',
      'report committed',
      'sync with 3 leases committed',
      'report committed',
    ]);
    // The connection leaves the commit's sync to the batch.
    assert.equal(Number(w.db.pragma('synchronous', { simple: true })), 1);
  } finally {
    w?.close();
    tmp.remove();
  }
});

test("a store opened with synchronous 'normal' keeps SQLite's NORMAL: no sync per commit", () => {
  const tmp = tempDir();
  let w: ReturnType<typeof writerOn> | undefined;
  try {
    let syncs = 0;
    w = writerOn(tmp.dir, { fdatasync: () => syncs++ }, { synchronous: 'normal' });
    w.loop.batch(1, [commit('198.18.0.1')], false);
    assert.deepEqual(w.events, ['report committed']);
    assert.equal(syncs, 0);
  } finally {
    w?.close();
    tmp.remove();
  }
});

test('a failed sync fails the whole batch; writes are refused until a checkpoint made the earlier commits durable', () => {
  const tmp = tempDir();
  let w: ReturnType<typeof writerOn> | undefined;
  try {
    let failNext = false;
    w = writerOn(tmp.dir, {
      fdatasync: (fd) => {
        if (failNext) {
          failNext = false;
          throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        }
        nodeWalFiles.fdatasync(fd);
      },
    });
    const walPath = join(tmp.dir, 'leases.db-wal');
    w.loop.batch(1, [commit('198.18.0.1')], false);
    failNext = true;
    w.loop.batch(2, [commit('198.18.0.2'), commit('198.18.0.3')], false);
    const failed = w.posted[1];
    assert.ok(failed?.type === 'failed', 'the batch is reported failed, none of its writes answered');
    assert.equal(failed.error.code, 'ERR_LEASE_STORE_IO');
    assert.match(failed.error.message, /could not be made durable \(fdatasync: EIO; 1 sync failure/);

    // A reader keeps the WAL: the checkpoint cannot empty it, so the next batch fails without being run.
    w.reader.exec('BEGIN');
    countLeases(w.reader);
    w.events.length = 0;
    w.loop.batch(3, [commit('198.18.0.4')], false);
    assert.deepEqual(w.events, ['awaited the other checkpoint', 'report failed'], 'before the TRUNCATE');
    const refused = w.posted[2];
    assert.ok(refused?.type === 'failed');
    assert.match(refused.error.message, /writes are refused until/);
    w.reader.exec('COMMIT');
    assert.equal(countLeases(w.reader), 3, 'the refused write was not run');

    // Once the checkpoint succeeds, the WAL starts over empty and writing resumes.
    w.loop.batch(4, [commit('198.18.0.5')], false);
    assert.equal(w.posted[3]?.type, 'committed');
    assert.equal(countLeases(w.reader), 4);
    assert.ok(statSync(walPath).size < 32 * 1024, 'the WAL was emptied before the batch wrote');
  } finally {
    w?.close();
    tmp.remove();
  }
});

test("the space guard's TRUNCATE checkpoint empties the WAL in place: the same descriptor keeps syncing it", () => {
  const tmp = tempDir();
  let w: ReturnType<typeof writerOn> | undefined;
  try {
    const opened: number[] = [];
    const synced: number[] = [];
    w = writerOn(tmp.dir, {
      open: (path) => {
        const fd = nodeWalFiles.open(path);
        opened.push(fd);
        return fd;
      },
      fdatasync: (fd) => {
        synced.push(fd);
        nodeWalFiles.fdatasync(fd);
      },
    });
    const walPath = join(tmp.dir, 'leases.db-wal');
    w.loop.batch(1, [commit('198.18.0.1')], false);
    w.db.pragma('wal_checkpoint(TRUNCATE)');
    assert.equal(statSync(walPath).size, 0);
    w.loop.batch(2, [commit('198.18.0.2')], false);
    assert.ok(statSync(walPath).size > 0);
    assert.equal(opened.length, 1);
    assert.deepEqual(synced, [opened[0], opened[0]]);
    assert.deepEqual(
      w.posted.map((m) => m.type),
      ['committed', 'committed'],
    );
  } finally {
    w?.close();
    tmp.remove();
  }
});

/** This process's descriptors open on `path`, removed since (SQLite deletes the WAL at its last close) or not. */
function descriptorsOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target === path || target === `${path} (deleted)`) n++;
    } catch {
      // Closed since the listing.
    }
  }
  return n;
}

for (const writer of ['inline', 'worker'] as const) {
  test(`a closed store (${writer} writer) keeps no descriptor on its WAL`, async () => {
    const tmp = tempDir();
    try {
      const path = join(tmp.dir, 'leases.db');
      const store = await SqliteLeaseStore.open({ path, writer });
      await store.commit(makeLease({ address: '198.18.0.1' }), { now: T0 });
      assert.ok(descriptorsOn(`${path}-wal`) > 0);
      await store.close();
      assert.equal(descriptorsOn(`${path}-wal`), 0);
    } finally {
      tmp.remove();
    }
  });
}

/** Files whose identity and descriptors the test sets, recording the calls. */
function fakeFiles(): {
  files: WalFiles;
  calls: string[];
  setIdentity: (id: string | null) => void;
  failNextSync: () => void;
} {
  const calls: string[] = [];
  let identity: string | null = 'inode 1';
  let nextFd = 10;
  let fail = false;
  const ofFd = new Map<number, string>();
  return {
    calls,
    setIdentity: (id) => {
      identity = id;
    },
    failNextSync: () => {
      fail = true;
    },
    files: {
      open: () => {
        const fd = nextFd++;
        ofFd.set(fd, identity!);
        calls.push(`open ${fd}`);
        return fd;
      },
      identity: () => identity,
      identityOf: (fd) => ofFd.get(fd)!,
      fdatasync: (fd) => {
        if (!fail) {
          calls.push(`fdatasync ${fd}`);
          return;
        }
        fail = false;
        calls.push(`fdatasync ${fd} failed`);
        throw Object.assign(new Error('EIO'), { code: 'EIO' });
      },
      close: (fd) => calls.push(`close ${fd}`),
    },
  };
}

test('the WAL file replaced at its path is followed within a second, at once after a failed sync', () => {
  const fake = fakeFiles();
  let now = 0;
  const sync = new WalSync('/leases.db-wal', fake.files, () => now);
  sync.sync();
  fake.setIdentity('inode 2');
  now = 500;
  sync.sync();
  now = 1000;
  sync.sync();
  assert.deepEqual(fake.calls, [
    'open 10',
    'fdatasync 10',
    'fdatasync 10',
    'close 10',
    'open 11',
    'fdatasync 11',
  ]);

  fake.calls.length = 0;
  fake.failNextSync();
  assert.throws(() => sync.sync(), LeaseStoreIoError);
  fake.setIdentity('inode 3');
  now = 1001;
  sync.sync();
  sync.close();
  assert.deepEqual(fake.calls, ['fdatasync 11 failed', 'close 11', 'open 12', 'fdatasync 12', 'close 12']);
});

test('a WAL missing when a commit is synced is a failed sync, never a silent success', () => {
  const fake = fakeFiles();
  const sync = new WalSync('/leases.db-wal', fake.files);
  fake.setIdentity(null);
  assert.throws(
    () => sync.sync(),
    (error: unknown) => {
      assert.ok(error instanceof LeaseStoreIoError);
      assert.match(error.message, /could not be made durable \(fdatasync: ENOENT/);
      return true;
    },
  );
  assert.equal(sync.failures, 1);
  assert.deepEqual(fake.calls, []);
});
