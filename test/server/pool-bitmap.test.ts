import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PoolBitmap } from '../../src/server/pool-bitmap.ts';
import { DeadlineHeap } from '../../src/server/heap.ts';

test('next() walks the pool in order from a moving cursor and never returns a taken address', () => {
  const p = new PoolBitmap(100, 109);
  p.take(101);
  const got: number[] = [];
  for (let a = p.next(); a !== undefined; a = p.next()) {
    p.take(a);
    got.push(a);
  }
  assert.deepEqual(got, [100, 102, 103, 104, 105, 106, 107, 108, 109]);
  assert.equal(p.free, 0);
  assert.equal(p.next(), undefined);
});

test('a released address behind the cursor is found after wrapping', () => {
  const p = new PoolBitmap(0, 69);
  for (let i = 0; i < 70; i++) p.take(i);
  p.release(3);
  p.release(65);
  assert.equal(p.next(), 3);
  p.take(3);
  assert.equal(p.next(), 65);
});

test('a pool whose size is not a multiple of 32 never yields addresses past its end', () => {
  const p = new PoolBitmap(1000, 1000 + 40);
  const seen = new Set<number>();
  for (let a = p.next(); a !== undefined; a = p.next()) {
    assert.ok(a >= 1000 && a <= 1040, `out of range ${a}`);
    p.take(a);
    seen.add(a);
  }
  assert.equal(seen.size, 41);
});

test('a /16 with 60,000 taken finds exactly the free ones', () => {
  const p = new PoolBitmap(0, 65535);
  for (let i = 0; i < 60000; i++) p.take(i);
  let n = 0;
  for (let a = p.next(); a !== undefined; a = p.next()) {
    assert.ok(a >= 60000);
    p.take(a);
    n++;
  }
  assert.equal(n, 5536);
});

test('take/release report whether they changed anything', () => {
  const p = new PoolBitmap(5, 6);
  assert.equal(p.take(5), true);
  assert.equal(p.take(5), false);
  assert.equal(p.release(5), true);
  assert.equal(p.release(5), false);
});

test('DeadlineHeap pops due keys in order, skipping replaced and deleted deadlines', () => {
  const h = new DeadlineHeap();
  h.set('a', 30);
  h.set('b', 10);
  h.set('c', 20);
  h.set('b', 40);
  h.delete('c');
  assert.deepEqual(h.peek(), { key: 'a', deadline: 30 });
  assert.deepEqual(h.popDue(35), ['a']);
  assert.deepEqual(h.popDue(100), ['b']);
  assert.equal(h.peek(), undefined);
});

test('DeadlineHeap agrees with a plain map under random set/delete/popDue (fast-check)', async () => {
  const fc = await import('fast-check');
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({
            op: fc.constant('set' as const),
            key: fc.integer({ min: 0, max: 20 }),
            at: fc.integer({ min: 0, max: 100 }),
          }),
          fc.record({ op: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 20 }) }),
          fc.record({ op: fc.constant('pop' as const), at: fc.integer({ min: 0, max: 100 }) }),
        ),
        { maxLength: 200 },
      ),
      (ops) => {
        const h = new DeadlineHeap();
        const ref = new Map<string, number>();
        for (const o of ops) {
          if (o.op === 'set') {
            h.set(String(o.key), o.at);
            ref.set(String(o.key), o.at);
          } else if (o.op === 'delete') {
            h.delete(String(o.key));
            ref.delete(String(o.key));
          } else {
            const due = [...ref].filter(([, at]) => at <= o.at).map(([k]) => k);
            const got = h.popDue(o.at);
            assert.deepEqual([...got].sort(), due.sort());
            const ats = got.map((k) => ref.get(k) as number);
            assert.deepEqual(
              ats,
              [...ats].sort((a, b) => a - b),
              'earliest first',
            );
            for (const k of due) ref.delete(k);
          }
          const min = Math.min(...ref.values());
          assert.equal(h.peek()?.deadline, ref.size === 0 ? undefined : min);
        }
      },
    ),
  );
});

test('PoolBitmap agrees with a Set under random take/release/next (fast-check)', async () => {
  const fc = await import('fast-check');
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3000 }),
      fc.array(fc.tuple(fc.constantFrom('take', 'release', 'next'), fc.nat()), { maxLength: 300 }),
      (size, ops) => {
        const p = new PoolBitmap(1000, 1000 + size - 1);
        const taken = new Set<number>();
        for (const [op, n] of ops) {
          const addr = 1000 + (n % size);
          if (op === 'take') {
            assert.equal(p.take(addr), !taken.has(addr));
            taken.add(addr);
          } else if (op === 'release') {
            assert.equal(p.release(addr), taken.has(addr));
            taken.delete(addr);
          } else {
            const a = p.next();
            if (taken.size === size) assert.equal(a, undefined);
            else {
              assert.ok(a !== undefined && a >= 1000 && a < 1000 + size && !taken.has(a));
              p.take(a);
              taken.add(a);
            }
          }
          assert.equal(p.free, size - taken.size);
        }
      },
    ),
  );
});
