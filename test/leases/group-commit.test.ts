import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit, type Queued } from '../../src/leases/group-commit.ts';

/** A commit callback that records its batches and settles them when told. */
function recorder(): {
  batches: number[][];
  open: { batch: readonly Queued<number>[]; finish: () => void }[];
  commit: (batch: readonly Queued<number>[]) => Promise<void>;
} {
  const batches: number[][] = [];
  const open: { batch: readonly Queued<number>[]; finish: () => void }[] = [];
  return {
    batches,
    open,
    commit: (batch) => {
      batches.push(batch.map((e) => e.op));
      return new Promise<void>((done) =>
        open.push({
          batch,
          finish: () => {
            for (const e of batch) e.resolve(e.op * 10);
            done();
          },
        }),
      );
    },
  };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('writes of one event-loop turn form one batch; each promise settles with its own value after the commit', async () => {
  const rec = recorder();
  const writes = new GroupCommit<number>({ commit: rec.commit });
  const results = [1, 2, 3].map((n) => writes.submit<number>(n));
  await turn();
  assert.deepEqual(rec.batches, [[1, 2, 3]]);
  let settled = false;
  void Promise.all(results).then(() => (settled = true));
  await turn();
  assert.equal(settled, false, 'nothing resolves before its batch committed');
  rec.open[0]?.finish();
  assert.deepEqual(await Promise.all(results), [10, 20, 30]);
  assert.equal(writes.lastBatchSize, 3);
});

test('maxBatch: a queue that reaches it starts a batch at once, the rest follow in batches of at most that many', async () => {
  const rec = recorder();
  const writes = new GroupCommit<number>({ commit: rec.commit, maxBatch: 2 });
  const results = [1, 2, 3, 4, 5].map((n) => writes.submit<number>(n));
  assert.deepEqual(
    rec.batches,
    [
      [1, 2],
      [3, 4],
    ],
    'full batches go without waiting for the turn',
  );
  await turn();
  assert.deepEqual(rec.batches, [[1, 2], [3, 4], [5]]);
  for (const o of rec.open) o.finish();
  assert.deepEqual(await Promise.all(results), [10, 20, 30, 40, 50]);
});

test('oneAtATime: while a batch commits the next one collects, and starts when the first is done', async () => {
  const rec = recorder();
  const writes = new GroupCommit<number>({ commit: rec.commit, oneAtATime: true });
  const first = writes.submit(1);
  await turn();
  const more = [2, 3].map((n) => writes.submit(n));
  await turn();
  writes.submit(4).catch(() => undefined);
  await turn();
  assert.deepEqual(rec.batches, [[1]], 'one batch in flight at a time');
  rec.open[0]?.finish();
  await first;
  await turn();
  assert.deepEqual(rec.batches, [[1], [2, 3, 4]]);
  rec.open[1]?.finish();
  assert.deepEqual(await Promise.all(more), [20, 30]);
});

test('a synchronous commit has finished when flush returns; drain waits for batches in flight', async () => {
  const seen: number[] = [];
  const sync = new GroupCommit<number>({
    commit: (batch) => {
      for (const e of batch) {
        seen.push(e.op);
        e.resolve(e.op);
      }
    },
  });
  const r = sync.submit(7);
  sync.flush();
  assert.deepEqual(seen, [7]);
  assert.equal(await r, 7);

  const rec = recorder();
  const writes = new GroupCommit<number>({ commit: rec.commit, oneAtATime: true, minIntervalMs: 3_600_000 });
  const a = writes.submit(1);
  await turn();
  const b = writes.submit(2);
  let drained = false;
  const draining = writes.drain().then(() => (drained = true));
  await turn();
  assert.equal(drained, false);
  rec.open[0]?.finish();
  await a;
  await turn();
  assert.deepEqual(rec.batches, [[1], [2]], 'draining does not wait out the interval');
  rec.open[1]?.finish();
  await draining;
  assert.equal(await b, 20);
});

test('fail: every write queued or in flight rejects with the error, and so does every later one', async () => {
  const rec = recorder();
  const writes = new GroupCommit<number>({ commit: rec.commit, oneAtATime: true });
  const inFlight = writes.submit(1);
  await turn();
  const queued = writes.submit(2);
  const lost = new Error('writer lost');
  writes.fail(lost);
  await assert.rejects(inFlight, lost);
  await assert.rejects(queued, lost);
  await assert.rejects(writes.submit(3), lost);
  await writes.drain();
  assert.deepEqual(rec.batches, [[1]]);
});

test('a commit that rejects rejects each write of its batch; the next batch still goes', async () => {
  let calls = 0;
  const writes = new GroupCommit<number>({
    oneAtATime: true,
    commit: async (batch) => {
      calls++;
      if (calls === 1) throw new Error('I/O');
      for (const e of batch) e.resolve(e.op);
    },
  });
  await assert.rejects(writes.submit(1), /I\/O/);
  assert.equal(await writes.submit(2), 2);
});
