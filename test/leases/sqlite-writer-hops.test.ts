// The writer's round trip, traced: a batch posted while somebody subscribes to the hops carries its four
// timestamps (posted, received by the thread, report posted, report received) in causal order on the clock both
// threads share; a batch posted before, or while only batches are counted, carries none; and the trace splits a
// round trip into those hops.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import {
  WRITER_BATCH_CHANNEL,
  WRITER_HOPS_CHANNEL,
  type WriterBatchTrace,
} from '../../src/leases/sqlite-writer.ts';
import { addSplit, overlapMs, roundTripSplit } from '../../bench/latency-trace.ts';
import { makeLease, T0 } from './fixtures.ts';
import { tempDir } from './tmp.ts';

const lease = (i: number) =>
  makeLease({
    address: `198.18.7.${i}`,
    hwAddress: `aa:bb:cc:00:07:${i.toString(16).padStart(2, '0')}`,
    clientId: null,
  });

test("a traced batch carries each hop's timestamp in causal order; an untraced one none", async () => {
  const tmp = tempDir();
  const seen: WriterBatchTrace[] = [];
  const onBatch = (message: unknown): void => void seen.push(message as WriterBatchTrace);
  const counted: WriterBatchTrace[] = [];
  const onCount = (message: unknown): void => void counted.push(message as WriterBatchTrace);
  let store: SqliteLeaseStore | undefined;
  try {
    store = await SqliteLeaseStore.open({ path: join(tmp.dir, 'leases.db'), writer: 'worker' });
    // Counting batches on the batch channel asks for no hops.
    subscribe(WRITER_BATCH_CHANNEL, onCount);
    // Posted before anybody listened (the group commit posts it at the next setImmediate, before this one):
    // published, since the subscriber came before its report, but without hops.
    const untraced = store.commit(lease(1), { now: T0 });
    await new Promise((resolve) => setImmediate(resolve));
    subscribe(WRITER_HOPS_CHANNEL, onBatch);
    assert.equal((await untraced).ok, true);
    for (let i = 2; i < 6; i++) assert.equal((await store.commit(lease(i), { now: T0 })).ok, true);
    assert.equal(seen.length, 5);
    assert.equal(counted.length, 5);
    assert.ok(counted.every((b) => b.hops === undefined));
    assert.equal(seen[0]!.hops, undefined);
    for (const b of seen.slice(1)) {
      const h = b.hops;
      assert.ok(h !== undefined, 'a batch posted while traced carries its hops');
      const order = [h.startedAt, h.postedAt, h.receivedAt, h.txStartAt, h.reportAt, h.reportReceivedAt];
      assert.deepEqual(
        order,
        [...order].sort((a, z) => a - z),
        'posted, received, transaction, report, back',
      );
      assert.ok(
        Math.abs(h.reportAt - h.txStartAt - b.txMs) < 1e-6,
        'the transaction lies between its stamps',
      );
      assert.ok(h.previousDoneAt <= h.receivedAt, 'the thread finished its previous batch before this one');
      assert.ok(Array.isArray(h.gc));
      // Linux: the scheduler's counts of each thread's wait for a CPU, which only grow.
      assert.ok(h.cpuWaitInMs >= 0 && h.mainCpuWaitMs >= 0, 'the waits for a CPU are read');
    }
  } finally {
    unsubscribe(WRITER_HOPS_CHANNEL, onBatch);
    unsubscribe(WRITER_BATCH_CHANNEL, onCount);
    await store?.close();
    tmp.remove();
  }
});

test('the split of a round trip adds up to it, and names the GC that overlapped each side', () => {
  const hops = {
    startedAt: 100,
    postedAt: 100.25,
    receivedAt: 110,
    txStartAt: 110.5,
    reportAt: 111,
    reportReceivedAt: 114,
    previousDoneAt: 106,
    gc: [],
    cpuWaitBeforeMs: 4,
    cpuWaitInMs: 0,
    mainCpuWaitMs: 1,
  };
  const split = roundTripSplit(hops, 0.5, [{ at: 104, ms: 3 }], [{ at: 112, ms: 10 }]);
  assert.deepEqual(split, {
    main: 0.25,
    toThread: 9.75,
    threadBusy: 5.75,
    inThread: 0.5,
    tx: 0.5,
    back: 3,
    threadGc: 3,
    mainGc: 2,
    threadCpuWait: 4,
    threadCpuWaitIn: 0,
    mainCpuWait: 1,
  });
  const total = split.main + split.toThread + split.inThread + split.tx + split.back;
  assert.equal(total, hops.reportReceivedAt - hops.startedAt);
  assert.equal(overlapMs([{ at: 0, ms: 1 }], 2, 3), 0);
  // The slow round trips add up, a wait that could not be read (NaN: no /proc) as nothing.
  const sum = addSplit(addSplit(undefined, split), { ...split, threadCpuWait: Number.NaN });
  assert.equal(sum.n, 2);
  assert.equal(sum.toThread, 19.5);
  assert.equal(sum.threadCpuWait, 4);
});
