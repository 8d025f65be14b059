import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit } from '../../src/leases/group-commit.ts';
import { fakeTime, recorder, turn } from './group-commit-fakes.ts';

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

test('batches in flight are tracked as they come and go: drain waits for the one left, fail rejects only it', async () => {
  const rec = recorder();
  const writes = new GroupCommit<number>({ commit: rec.commit });
  const settled: Promise<unknown>[] = [];
  // Rounds of two batches in flight at once, each round finished before the next: what is in flight empties
  // out every round, and a batch that finishes first must not take the other out of the count.
  for (let round = 0; round < 3; round++) {
    settled.push(writes.submit(round * 2 + 1));
    await turn();
    settled.push(writes.submit(round * 2 + 2));
    await turn();
    rec.open[round * 2]?.finish();
    rec.open[round * 2 + 1]?.finish();
  }
  assert.deepEqual(await Promise.all(settled), [10, 20, 30, 40, 50, 60]);
  const first = writes.submit(7);
  await turn();
  const second = writes.submit(8);
  await turn();
  rec.open[6]?.finish();
  assert.equal(await first, 70);
  let drained = false;
  const draining = writes.drain().then(() => (drained = true));
  await turn();
  assert.equal(drained, false, 'the second batch is still in flight');
  const lost = new Error('writer lost');
  writes.fail(lost);
  await assert.rejects(second, lost);
  await draining;
  assert.deepEqual(rec.batches, [[1], [2], [3], [4], [5], [6], [7], [8]]);
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

test('maxWaitMs: however long the hold, a batch starts at most that long after its oldest write arrived', async () => {
  const clock = fakeTime();
  const rec = recorder();
  const writes = new GroupCommit<number>({
    commit: rec.commit,
    oneAtATime: true,
    minIntervalMs: 4,
    maxWaitMs: 1,
    now: clock.now,
    after: clock.after,
  });
  void writes.submit(1);
  await turn();
  assert.deepEqual(rec.batches, [[1]], 'a write that finds nothing in flight goes at once');
  clock.set(0.2);
  void writes.submit(2);
  clock.set(0.5);
  rec.open[0]?.finish();
  await turn();
  assert.deepEqual(clock.asked, [0.7], 'held until 1 ms after write 2 arrived (0.2 + 1 - 0.5), not 4 ms');
  assert.deepEqual(rec.batches, [[1]]);
  clock.advance(0.7);
  assert.deepEqual(rec.batches, [[1], [2]]);
  assert.equal(writes.lastBatchWaitMs, 1);

  // Write 3 arrives while batch 2 commits, which takes longer than the bound: batch 3 goes as 2 is done.
  clock.set(1.3);
  void writes.submit(3);
  clock.set(3);
  rec.open[1]?.finish();
  await turn();
  assert.deepEqual(rec.batches, [[1], [2], [3]], 'no timer when the oldest write already waited the bound');
  assert.deepEqual(clock.asked, [0.7]);
});

test('maxWaitMs: the hold never exceeds the bound (the saturated one while saturated), whatever the arrivals, commit times and load', async () => {
  const fc = await import('fast-check');
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.tuple(
          fc.double({ min: 0, max: 3, noNaN: true }),
          fc.double({ min: 0, max: 3, noNaN: true }),
          fc.boolean(),
        ),
        {
          minLength: 1,
          maxLength: 30,
        },
      ),
      fc.double({ min: 0, max: 2, noNaN: true }),
      fc.double({ min: 0, max: 4, noNaN: true }),
      async (steps, maxWaitMs, saturatedExtraMs) => {
        let saturated = false;
        const saturatedMaxWaitMs = maxWaitMs + saturatedExtraMs;
        // Never saturated, the plain bound holds; otherwise the cap does, whenever the load changed.
        const cap = steps.some(([, , s]) => s) ? saturatedMaxWaitMs : maxWaitMs;
        const clock = fakeTime();
        const arrivals = new Map<number, number>();
        const starts: { at: number; ops: number[]; previousDoneAt: number }[] = [];
        let open: (() => void) | null = null;
        let doneAt = 0;
        const writes = new GroupCommit<number>({
          oneAtATime: true,
          minIntervalMs: 4,
          maxWaitMs,
          saturated: () => saturated,
          saturatedMaxWaitMs,
          now: clock.now,
          after: clock.after,
          commit: (batch) =>
            new Promise<void>((done) => {
              starts.push({ at: clock.now(), ops: batch.map((e) => e.op), previousDoneAt: doneAt });
              open = () => {
                for (const e of batch) e.resolve(undefined);
                doneAt = clock.now();
                done();
              };
            }),
        });
        // Each step: a write arrives after `gap`, a commit in flight takes `busy` from its start, and from then
        // on the load says `saturatedNow`.
        let n = 0;
        for (const [gap, busy, saturatedNow] of steps) {
          clock.advance(gap);
          saturated = saturatedNow;
          arrivals.set(n, clock.now());
          void writes.submit(n++);
          await turn();
          const running = starts.at(-1);
          if (open !== null && running !== undefined && clock.now() >= running.at + busy) {
            const finish: () => void = open;
            open = null;
            finish();
            await turn();
          }
        }
        for (let i = 0; i < 100 && open !== null; i++) {
          const finish: () => void = open;
          open = null;
          finish();
          await turn();
          clock.advance(cap);
          await turn();
        }
        for (const s of starts) {
          const oldest = Math.min(...s.ops.map((op) => arrivals.get(op)!));
          // The bound: once the batch before it is done, no later than the oldest write's arrival + the cap.
          assert.ok(s.at <= Math.max(s.previousDoneAt, oldest + cap) + 1e-9, JSON.stringify(s));
        }
      },
    ),
    { numRuns: 100 },
  );
});

test('background writes: a write submitted while they are queued commits in the next batch, ahead of them', async () => {
  const rec = recorder();
  const writes = new GroupCommit<number>({
    commit: rec.commit,
    oneAtATime: true,
    isBackground: (op) => op >= 1000,
    backgroundPerBatch: 10,
  });
  const reclaims = Array.from({ length: 100 }, (_, i) => writes.submit(1000 + i));
  await turn();
  assert.deepEqual(
    rec.batches,
    [Array.from({ length: 10 }, (_, i) => 1000 + i)],
    'at most 10 of them a batch',
  );
  const ack = writes.submit<number>(1);
  rec.open[0]?.finish();
  await turn();
  assert.equal(rec.batches[1]?.[0], 1, 'the waiting write leads the next batch');
  assert.equal(rec.batches[1]?.length, 11);
  for (let i = 1; rec.open[i] !== undefined; i++) {
    rec.open[i]?.finish();
    await turn();
  }
  assert.equal(await ack, 10);
  assert.equal((await Promise.all(reclaims)).length, 100);
  assert.deepEqual(
    rec.batches.flat().filter((op) => op >= 1000),
    Array.from({ length: 100 }, (_, i) => 1000 + i),
    'background writes keep their order',
  );
});
