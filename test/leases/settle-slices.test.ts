import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SettleSlices } from '../../src/leases/settle-slices.ts';

/** A yield the test runs by hand: `pending` holds the continuation the settler gave back. */
function manualYield(): {
  yieldThen: (next: () => void) => void;
  resume: () => void;
  readonly waiting: number;
} {
  const queue: (() => void)[] = [];
  return {
    yieldThen: (next) => queue.push(next),
    resume: () => queue.shift()?.(),
    get waiting() {
      return queue.length;
    },
  };
}

/** Lets every promise reaction queued so far run (the replies a settled write causes). */
const microtasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('a report larger than a slice settles a slice per task, every write once and in order', () => {
  const y = manualYield();
  const slices = new SettleSlices({ slice: 4, yieldThen: y.yieldThen });
  const settled: number[] = [];
  const counts = new Map<number, number>();
  const items = Array.from({ length: 10 }, (_, i) => i);
  slices.add(
    items,
    (item, index) => {
      assert.equal(item, index);
      settled.push(item);
      counts.set(item, (counts.get(item) ?? 0) + 1);
    },
    () => assert.fail('nothing throws'),
  );
  assert.deepEqual(settled, [0, 1, 2, 3], 'the first slice settles in the task the report arrived in');
  assert.equal(slices.pending, 6);
  assert.equal(y.waiting, 1, 'then the settler yields');
  y.resume();
  assert.deepEqual(settled, [0, 1, 2, 3, 4, 5, 6, 7]);
  y.resume();
  assert.deepEqual(settled, items);
  assert.equal(y.waiting, 0, 'no yield once everything is settled');
  assert.ok([...counts.values()].every((n) => n === 1));
  assert.equal(slices.pending, 0);
});

test('a report arriving while another is being settled waits behind it; a small one alone settles at once', () => {
  const y = manualYield();
  const slices = new SettleSlices({ slice: 3, yieldThen: y.yieldThen });
  const settled: string[] = [];
  const settle = (item: string): void => void settled.push(item);
  const failed = (): void => assert.fail('nothing throws');
  slices.add(['a1', 'a2'], settle, failed);
  assert.deepEqual(settled, ['a1', 'a2'], 'under a slice: all in the task it arrived in, no yield');
  assert.equal(y.waiting, 0);
  slices.add(['b1', 'b2', 'b3', 'b4', 'b5'], settle, failed);
  slices.add(['c1', 'c2'], settle, failed);
  assert.deepEqual(settled, ['a1', 'a2', 'b1', 'b2', 'b3'], 'c waits for b, not settled ahead of it');
  y.resume();
  assert.deepEqual(settled, ['a1', 'a2', 'b1', 'b2', 'b3', 'b4', 'b5', 'c1'], 'a slice spans reports');
  y.resume();
  assert.deepEqual(settled.slice(-1), ['c2']);
  assert.equal(y.waiting, 0);
});

test('a write whose settling throws is failed alone; the rest of its report and the next still settle', () => {
  const y = manualYield();
  const slices = new SettleSlices({ slice: 2, yieldThen: y.yieldThen });
  const resolved: number[] = [];
  const rejected: [number, unknown][] = [];
  const boom = new Error('listener failed');
  const settle = (item: number): void => {
    if (item === 2) throw boom;
    resolved.push(item);
  };
  const failed = (item: number, error: unknown): void => void rejected.push([item, error]);
  slices.add([1, 2, 3, 4, 5], settle, failed);
  slices.add([6], settle, failed);
  while (y.waiting > 0) y.resume();
  assert.deepEqual(resolved, [1, 3, 4, 5, 6]);
  assert.deepEqual(rejected, [[2, boom]]);
});

test('a failed report is rejected write by write in slices too, every write exactly once', async () => {
  const y = manualYield();
  const slices = new SettleSlices({ slice: 3, yieldThen: y.yieldThen });
  const error = new Error('transaction failed');
  const calls = Array.from({ length: 7 }, () => 0);
  const rejects: ((e: unknown) => void)[] = [];
  const promises = calls.map(
    (_, i) =>
      new Promise<void>((_resolve, reject) => {
        rejects[i] = (e) => {
          calls[i]!++;
          reject(e);
        };
      }),
  );
  slices.add(
    calls.map((_, i) => i),
    (i) => rejects[i]!(error),
    () => assert.fail('rejecting does not throw'),
  );
  assert.deepEqual(calls, [1, 1, 1, 0, 0, 0, 0], 'a slice at a time');
  while (y.waiting > 0) y.resume();
  const results = await Promise.allSettled(promises);
  assert.ok(results.every((r) => r.status === 'rejected' && r.reason === error));
  assert.deepEqual(calls, [1, 1, 1, 1, 1, 1, 1]);
});

test('replies go out per slice: what one slice settles is sent before the settler yields again', async () => {
  const y = manualYield();
  const slices = new SettleSlices({ slice: 5, yieldThen: y.yieldThen });
  let sent = 0;
  const sentAtYield: number[] = [];
  // A settled write continues its exchange in a promise reaction, which sends its reply (a fake transport).
  const settle = (_item: number): void => void Promise.resolve().then(() => sent++);
  slices.add(
    Array.from({ length: 12 }, (_, i) => i),
    settle,
    () => undefined,
  );
  await microtasks();
  sentAtYield.push(sent);
  while (y.waiting > 0) {
    y.resume();
    await microtasks();
    sentAtYield.push(sent);
  }
  assert.deepEqual(sentAtYield, [5, 10, 12]);
});

test('idle() resolves once everything added so far is settled', async () => {
  const y = manualYield();
  const slices = new SettleSlices({ slice: 1, yieldThen: y.yieldThen });
  await slices.idle();
  slices.add(
    [1, 2, 3],
    () => undefined,
    () => undefined,
  );
  let idle = false;
  const done = slices.idle().then(() => (idle = true));
  await microtasks();
  assert.equal(idle, false);
  y.resume();
  await microtasks();
  assert.equal(idle, false);
  y.resume();
  await done;
  assert.equal(slices.pending, 0);
});

test('the default yield is a later task: a callback queued during a slice runs before the next slice', async () => {
  const slices = new SettleSlices({ slice: 2 });
  const order: string[] = [];
  slices.add(
    [1, 2, 3, 4, 5, 6],
    (n) => {
      order.push(`w${n}`);
      // as a datagram read while replies are being sent queues its turn
      if (n === 1 || n === 3) setImmediate(() => order.push(`other after w${n}`));
    },
    () => undefined,
  );
  await slices.idle();
  assert.deepEqual(order, ['w1', 'w2', 'other after w1', 'w3', 'w4', 'other after w3', 'w5', 'w6']);
});
