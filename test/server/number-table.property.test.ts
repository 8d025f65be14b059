import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IdentityTable, NumberTable } from '../../src/server/number-table.ts';

/** Keys crowded into few buckets (small numbers, multiples of 2^32) as well as 48-bit ones. */
const keyArb = fc.oneof(
  fc.nat({ max: 40 }),
  fc.nat({ max: 40 }).map((n) => n * 2 ** 32),
  fc.nat({ max: 2 ** 48 - 1 }),
  fc.constant(2 ** 53),
);

const opArb = fc.oneof(
  fc.record({
    op: fc.constant('set' as const),
    key: keyArb,
    value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  }),
  fc.record({ op: fc.constant('delete' as const), key: keyArb }),
  fc.record({ op: fc.constant('get' as const), key: keyArb }),
);

test('NumberTable behaves as a Map under any sequence of set, delete and get (growth and backward-shift deletion)', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
      const table = new NumberTable();
      const model = new Map<number, number>();
      for (const o of ops) {
        if (o.op === 'set') {
          table.set(o.key, o.value);
          model.set(o.key, o.value);
        } else if (o.op === 'delete') assert.equal(table.delete(o.key), model.delete(o.key));
        else assert.equal(table.get(o.key), model.get(o.key));
        assert.equal(table.size, model.size);
      }
      for (const [k, v] of model) assert.equal(table.get(k), v);
      table.clear();
      assert.equal(table.size, 0);
      for (const k of model.keys()) assert.equal(table.get(k), undefined);
    }),
    { numRuns: 300 },
  );
});

test('IdentityTable keeps number and text keys apart: the text "1" is not the number 1', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.oneof(keyArb, fc.string({ maxLength: 8 }), fc.constant('1')), fc.integer()), {
        maxLength: 200,
      }),
      (pairs) => {
        const table = new IdentityTable();
        const model = new Map<number | string, number>();
        for (const [k, v] of pairs) {
          table.set(k, v | 0);
          model.set(k, v | 0);
        }
        assert.equal(table.size, model.size);
        for (const [k, v] of model) assert.equal(table.get(k), v);
        for (const [k] of pairs.slice(0, pairs.length / 2)) assert.equal(table.delete(k), model.delete(k));
        assert.equal(table.size, model.size);
        for (const [k] of pairs) assert.equal(table.get(k), model.get(k));
      },
    ),
  );
});
