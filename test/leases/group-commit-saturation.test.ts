import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit } from '../../src/leases/group-commit.ts';
import { DEFAULT_SATURATED_MAX_WAIT_MS, writerHold } from '../../src/leases/sqlite-writer.ts';
import { fakeTime, recorder, turn } from './group-commit-fakes.ts';

/** A writer-like group commit (4 ms interval, 1 ms bound, 3 ms while saturated) on a fake clock and load. */
function heldWrites(opts: { isBackground?: (op: number) => boolean; backgroundPerBatch?: number } = {}) {
  const clock = fakeTime();
  const rec = recorder();
  const load = { saturated: false };
  const writes = new GroupCommit<number>({
    commit: rec.commit,
    oneAtATime: true,
    minIntervalMs: 4,
    maxWaitMs: 1,
    saturated: () => load.saturated,
    saturatedMaxWaitMs: 3,
    now: clock.now,
    after: clock.after,
    ...opts,
  });
  return { clock, rec, load, writes };
}

test('saturated: the bound relaxes to its saturated value while the load says so, and returns once it does not', async () => {
  const { clock, rec, load, writes } = heldWrites();
  void writes.submit(1);
  await turn();
  assert.deepEqual(rec.batches, [[1]], 'a write that finds nothing in flight goes at once, saturated or not');

  // Not saturated: held 1 ms after the oldest write (0.2 + 1 - 0.5).
  clock.set(0.2);
  void writes.submit(2);
  clock.set(0.5);
  rec.open[0]?.finish();
  await turn();
  assert.deepEqual(clock.asked, [0.7]);
  clock.advance(0.7);
  assert.deepEqual(rec.batches, [[1], [2]]);

  // Saturated: batch 2 started at 1.2; write 3 arrives at 1.3 and may wait 3 ms, so the batch starts at 4.3
  // (before the 4 ms interval, 5.2, runs out).
  load.saturated = true;
  clock.set(1.3);
  void writes.submit(3);
  clock.set(1.5);
  rec.open[1]?.finish();
  await turn();
  assert.equal(clock.asked.length, 2);
  assert.ok(Math.abs(clock.asked[1]! - 2.8) < 1e-9, `held ${clock.asked[1]} ms, not 2.8`);
  clock.advance(2.7);
  assert.deepEqual(rec.batches, [[1], [2]], 'still held while the bound allows');
  clock.advance(0.1);
  assert.deepEqual(rec.batches, [[1], [2], [3]]);
  assert.ok(Math.abs(writes.lastBatchWaitMs - 3) < 1e-9, 'the write waited the saturated bound, no more');

  // The load fell: the next hold is bound by 1 ms again.
  load.saturated = false;
  clock.set(4.5);
  void writes.submit(4);
  clock.set(4.6);
  rec.open[2]?.finish();
  await turn();
  assert.ok(Math.abs(clock.asked[2]! - 0.9) < 1e-9, `held ${clock.asked[2]} ms, not 0.9`);
  clock.advance(0.9);
  assert.deepEqual(rec.batches, [[1], [2], [3], [4]]);
});

test('saturated: drain never waits out the longer hold', async () => {
  const { rec, load, writes } = heldWrites();
  load.saturated = true;
  void writes.submit(1);
  await turn();
  void writes.submit(2);
  const drained = writes.drain();
  rec.open[0]?.finish();
  await turn();
  assert.deepEqual(rec.batches, [[1], [2]], 'the queued write went as the batch before it was done');
  rec.open[1]?.finish();
  await drained;
});

test('saturated: background writes keep their lane, at most their share a batch and after every waiting write', async () => {
  const { clock, rec, load, writes } = heldWrites({
    isBackground: (op) => op >= 1000,
    backgroundPerBatch: 10,
  });
  load.saturated = true;
  const reclaims = Array.from({ length: 30 }, (_, i) => writes.submit(1000 + i));
  await turn();
  assert.deepEqual(rec.batches, [Array.from({ length: 10 }, (_, i) => 1000 + i)]);

  const ack = writes.submit<number>(1);
  clock.set(0.5);
  rec.open[0]?.finish();
  await turn();
  // Held by the background writes' age (queued at 0, bound 3 ms), which the waiting write cannot lengthen.
  assert.deepEqual(clock.asked, [2.5]);
  clock.advance(2.5);
  assert.equal(rec.batches[1]?.[0], 1, 'the waiting write leads the next batch');
  assert.equal(rec.batches[1]?.length, 11);

  for (let i = 1; rec.open[i] !== undefined; i++) {
    rec.open[i]?.finish();
    await turn();
    clock.advance(3);
  }
  assert.equal(await ack, 10);
  assert.equal((await Promise.all(reclaims)).length, 30);
  assert.ok(
    rec.batches.every((b) => b.filter((op) => op >= 1000).length <= 10),
    'never more than the share',
  );
  assert.deepEqual(
    rec.batches.flat().filter((op) => op >= 1000),
    Array.from({ length: 30 }, (_, i) => 1000 + i),
    'background writes keep their order',
  );
});

test('writerHold: the saturated bound applies to the default bound only; one set explicitly is kept at any load', () => {
  const saturated = (): boolean => true;
  const byDefault = writerHold({ saturated });
  assert.equal(byDefault.maxWaitMs, 1);
  assert.equal(byDefault.saturatedMaxWaitMs, DEFAULT_SATURATED_MAX_WAIT_MS);
  assert.equal(byDefault.saturated, saturated);

  const explicit = writerHold({ maxWaitMs: 0.5, saturated });
  assert.equal(explicit.saturatedMaxWaitMs, 0.5, '`--max-commit-wait` is not relaxed by the load');

  assert.equal(writerHold({ maxWaitMs: 10 }).saturatedMaxWaitMs, 10, 'never below the bound');
  assert.equal(writerHold({ saturatedMaxWaitMs: 0.2 }).saturatedMaxWaitMs, 1, 'never below the bound');
  assert.equal(writerHold({}).saturated, undefined, 'no load signal: never saturated');
});
