import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChurnMap, RENEW_AFTER } from '../../src/server/churn-map.ts';
import { seededRandom } from '../../src/transport/virtual/random.ts';

test('answers as a Map across its renewals: entries, values and insertion order', () => {
  for (const seed of [1, 2, 3]) {
    const next = seededRandom(seed);
    const churn = new ChurnMap<number, string>();
    const model = new Map<number, string>();
    // Keys from a small range, so sets overwrite and deletes hit; several renewals' worth of insertions.
    for (let step = 0; step < RENEW_AFTER * 5; step++) {
      const key = Math.floor(next() * 200);
      const r = next();
      if (r < 0.55) {
        churn.set(key, `v${step}`);
        model.set(key, `v${step}`);
      } else if (r < 0.95) assert.equal(churn.delete(key), model.delete(key));
      else assert.equal(churn.get(key), model.get(key));
      assert.equal(churn.size, model.size);
      if (step % 97 === 0) {
        assert.deepEqual([...churn], [...model], `seed ${seed}, step ${step}`);
        assert.deepEqual([...churn.keys()], [...model.keys()]);
        assert.deepEqual([...churn.values()], [...model.values()]);
      }
    }
    for (let key = 0; key < 200; key++) assert.equal(churn.has(key), model.has(key));
  }
});

test('a key overwritten keeps its first place in the order, as in a Map, also past a renewal', () => {
  const churn = new ChurnMap<string, number>();
  churn.set('first', 1);
  churn.set('second', 2);
  for (let i = 0; i < RENEW_AFTER; i++) churn.set('second', i);
  churn.set('first', 3);
  assert.deepEqual(
    [...churn.entries()],
    [
      ['first', 3],
      ['second', RENEW_AFTER - 1],
    ],
  );
});

test('clear empties it, and it fills again', () => {
  const churn = new ChurnMap<number, number>();
  for (let i = 0; i < RENEW_AFTER + 10; i++) churn.set(i, i);
  churn.clear();
  assert.equal(churn.size, 0);
  assert.equal(churn.get(5), undefined);
  churn.set(5, 6);
  assert.deepEqual([...churn], [[5, 6]]);
});

test('a renewal with more live entries than insertions between renewals keeps every one, in order', () => {
  const churn = new ChurnMap<number, number>();
  const model = new Map<number, number>();
  // 3,000 live entries (offers of lost exchanges waiting out their lifetime), then churn on top of them.
  for (let i = 0; i < 3000; i++) {
    churn.set(i, i);
    model.set(i, i);
  }
  for (let i = 0; i < RENEW_AFTER * 3; i++) {
    const key = 10_000 + (i % 50);
    churn.set(key, i);
    model.set(key, i);
    if (i % 2 === 1) assert.equal(churn.delete(key), model.delete(key));
    // An existing key set again keeps its place, across the renewal too.
    churn.set(i % 3000, -i);
    model.set(i % 3000, -i);
  }
  assert.deepEqual([...churn], [...model]);
});

test('with insertionsPerLive, a map of thousands renews after that many insertions per entry, and answers as a Map', () => {
  const churn = new ChurnMap<number, number>(2);
  const plain = new ChurnMap<number, number>();
  const model = new Map<number, number>();
  for (let i = 0; i < 3000; i++) {
    churn.set(i, i);
    plain.set(i, i);
    model.set(i, i);
  }
  // The first renewal comes after RENEW_AFTER insertions, as without the option; it moved 1,023 entries, so the
  // next waits for 2,046 insertions, where a plain map renews every RENEW_AFTER.
  assert.equal(churn.renewals, 1);
  assert.equal(plain.renewals, 2);
  for (let i = 0; i < 5000; i++) {
    const key = 10_000 + (i % 50);
    for (const m of [churn, plain, model]) m.set(key, i);
    if (i % 2 === 1) for (const m of [churn, plain, model]) m.delete(key);
  }
  // 8,000 insertions: the second renewal (the 3,070th) moved about 3,000, so the next waits for about 6,000.
  assert.equal(churn.renewals, 2);
  assert.equal(plain.renewals, Math.floor(8000 / RENEW_AFTER));
  for (let i = 0; i < 1300; i++) for (const m of [churn, model]) m.set(20_000 + i, i);
  assert.equal(churn.renewals, 3);
  assert.deepEqual([...churn], [...model]);
  // A small map renews every RENEW_AFTER insertions, the option or not.
  const small = new ChurnMap<number, number>(2);
  for (let i = 0; i < RENEW_AFTER * 3; i++) {
    small.set(i % 100, i);
    if (i % 100 === 99) for (let k = 0; k < 100; k++) small.delete(k);
  }
  assert.equal(small.renewals, 3);
});
