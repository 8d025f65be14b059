// The writer thread's checkpoints run on a thread and connection of their own: a batch commits while one is in
// progress, the WAL stays bounded when that thread stalls (and the store's owner hears of it, counted), and
// close waits for it and leaves no descriptor.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CheckpointTesting } from '../../src/leases/sqlite-checkpoint-worker.ts';
import type { LeaseStoreWarning } from '../../src/leases/health.ts';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { WRITER_BATCH_CHANNEL, type WriterBatchTrace } from '../../src/leases/sqlite-writer.ts';
import { makeLease, T0 } from './fixtures.ts';
import { tempDir } from './tmp.ts';

/** The gate of `CheckpointTesting`: slot 0 counts checkpoints that reached it, slot 1 releases them. */
function gate(): { buffer: SharedArrayBuffer; reached: () => Promise<void>; release: () => void } {
  const buffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const slots = new Int32Array(buffer);
  return {
    buffer,
    reached: async () => {
      while (Atomics.load(slots, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    release: () => {
      Atomics.store(slots, 1, 1);
      Atomics.notify(slots, 1);
    },
  };
}

/** A hard bound the tests' writes never reach: the writer never checkpoints in the background's place. */
const NEVER = 1e9;

const lease = (i: number) =>
  makeLease({
    address: `198.18.${(i >> 8) & 255}.${i & 255}`,
    hwAddress: `aa:bb:cc:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
    clientId: null,
  });

/** `count` leases from `from`, `perBatch` at a time (one group commit each). */
async function writeLeases(
  store: SqliteLeaseStore,
  from: number,
  count: number,
  perBatch: number,
): Promise<void> {
  for (let i = from; i < from + count; i += perBatch) {
    const batch = [];
    for (let j = i; j < Math.min(i + perBatch, from + count); j++)
      batch.push(store.commit(lease(j), { now: T0 }));
    for (const result of await Promise.all(batch)) assert.equal(result.ok, true);
  }
}

async function openWithCheckpoints(path: string, checkpoint: CheckpointTesting): Promise<SqliteLeaseStore> {
  return SqliteLeaseStore.open({ path, writer: 'worker', checkpointForTesting: checkpoint });
}

/** This process's descriptors on the files of `dir`. */
function descriptorsIn(dir: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${dir}/`)) open.push(target);
    } catch {
      // Closed since the listing.
    }
  }
  return open;
}

test('a batch commits while the checkpoint thread holds a checkpoint in progress', async () => {
  const tmp = tempDir();
  const held = gate();
  let store: SqliteLeaseStore | undefined;
  try {
    const path = join(tmp.dir, 'leases.db');
    store = await openWithCheckpoints(path, { targetFrames: 8, hardFrames: NEVER, gate: held.buffer });
    // Enough writes for a checkpoint to be due; it reaches the gate and stays there while the writes go on. Had
    // the writer to wait for it, nothing would resolve until the release: the release comes once the writes
    // resolved, or (the defect) after a bound that turns the deadlock into a failure.
    let releasedByBound = false;
    const bound = setTimeout(() => {
      releasedByBound = true;
      held.release();
    }, 20_000);
    const open = store;
    const result = await (async () => {
      await writeLeases(open, 0, 40, 10);
      await held.reached();
      return open.commit(lease(1000), { now: T0 });
    })();
    clearTimeout(bound);
    assert.equal(releasedByBound, false, 'the writes waited for the checkpoint');
    held.release();
    assert.equal(result.ok, true);
    assert.equal((await store.get('198.18.3.232'))?.address, '198.18.3.232');
  } finally {
    held.release();
    await store?.close();
    tmp.remove();
  }
});

test('with the checkpoint thread stalled, the writer checkpoints itself and the WAL stays bounded', async () => {
  const tmp = tempDir();
  const stalled = gate();
  const inWriter: number[] = [];
  const onBatch = (message: unknown): void => {
    const checkpoint = (message as WriterBatchTrace).checkpoint;
    if (checkpoint?.inWriter === true) inWriter.push(checkpoint.checkpointedFrames);
  };
  subscribe(WRITER_BATCH_CHANNEL, onBatch);
  let store: SqliteLeaseStore | undefined;
  try {
    const path = join(tmp.dir, 'leases.db');
    store = await openWithCheckpoints(path, {
      targetFrames: 8,
      hardFrames: 64,
      stallWaitMs: 0,
      gate: stalled.buffer,
    });
    await writeLeases(store, 0, 3000, 20);
    await stalled.reached();
    // 150 batches (about 870 frames: the WAL's size without the writer's fallback) went through a WAL that
    // never held much more than the hard bound of 64 frames plus a batch or two (4 KiB pages, 24-byte headers).
    const walBytes = statSync(`${path}-wal`).size;
    assert.ok(walBytes < 200 * 4120, `${walBytes} bytes of WAL`);
    assert.ok(inWriter.length > 0, 'the writer checkpointed itself');
  } finally {
    unsubscribe(WRITER_BATCH_CHANNEL, onBatch);
    stalled.release();
    await store?.close();
    tmp.remove();
  }
});

test('close waits for the checkpoint in progress, keeps every write and leaves no descriptor', async () => {
  const tmp = tempDir();
  const held = gate();
  try {
    const path = join(tmp.dir, 'leases.db');
    const store = await openWithCheckpoints(path, { targetFrames: 8, hardFrames: NEVER, gate: held.buffer });
    await writeLeases(store, 0, 200, 25);
    await held.reached();
    const closed = store.close();
    held.release();
    await closed;
    assert.deepEqual(descriptorsIn(tmp.dir), []);
    const reopened = await SqliteLeaseStore.open({ path });
    try {
      assert.equal((await reopened.getAll()).length, 200);
    } finally {
      await reopened.close();
    }
  } finally {
    held.release();
    tmp.remove();
  }
});

/** Writes through a stalled checkpoint thread (the writer falls back past 64 frames, many times), then closes. */
async function fallBackRepeatedly(
  path: string,
  onWarning?: (warning: LeaseStoreWarning) => void,
): Promise<void> {
  const stalled = gate();
  let store: SqliteLeaseStore | undefined;
  try {
    store = await SqliteLeaseStore.open({
      path,
      writer: 'worker',
      checkpointForTesting: { targetFrames: 8, hardFrames: 64, stallWaitMs: 0, gate: stalled.buffer },
      ...(onWarning === undefined ? {} : { onWarning }),
    });
    await writeLeases(store, 0, 3000, 20);
    await stalled.reached();
  } finally {
    stalled.release();
    await store?.close();
  }
}

test("the writer thread's checkpoint warnings reach the store's onWarning on the main thread, counted", async () => {
  const tmp = tempDir();
  const warnings: LeaseStoreWarning[] = [];
  const emitted: Error[] = [];
  const onProcessWarning = (warning: Error): void => void emitted.push(warning);
  process.on('warning', onProcessWarning);
  try {
    await fallBackRepeatedly(join(tmp.dir, 'leases.db'), (warning) => warnings.push(warning));
    assert.ok(warnings.length > 0, 'no warning reached the main thread');
    for (const w of warnings) {
      assert.match(w.message, /leases\.db: .*the writer checkpoints the WAL itself/);
      assert.ok(Number.isSafeInteger(w.count) && w.count >= 1);
    }
    // Dozens of fallbacks, reported once per interval with their count (the rest at close), not once each.
    const events = warnings.reduce((sum, w) => sum + w.count, 0);
    assert.ok(events > warnings.length, `${warnings.length} warnings for ${events} events`);
    assert.deepEqual(
      emitted.filter((w) => w.name === 'LeaseStoreWarning'),
      [],
    );
  } finally {
    process.off('warning', onProcessWarning);
    tmp.remove();
  }
});

test('without onWarning, the checkpoint warnings are process warnings of the main thread', async () => {
  const tmp = tempDir();
  const emitted: Error[] = [];
  const onProcessWarning = (warning: Error): void => void emitted.push(warning);
  process.on('warning', onProcessWarning);
  try {
    await fallBackRepeatedly(join(tmp.dir, 'leases.db'));
    // process.emitWarning reaches listeners on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    const ours = emitted.filter((w) => w.name === 'LeaseStoreWarning');
    assert.ok(ours.length > 0, 'no LeaseStoreWarning on the main thread');
    assert.match(ours[0]!.message, /the writer checkpoints the WAL itself/);
  } finally {
    process.off('warning', onProcessWarning);
    tmp.remove();
  }
});
