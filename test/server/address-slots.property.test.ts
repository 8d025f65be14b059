import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AddressSlots, PAGE_SIZE as PAGE } from '../../src/server/address-slots.ts';

/** Page references in a /8's directory. */
const DIRECTORY = 2 ** 24 / PAGE;

/** Addresses over the whole 32-bit range, crowded at its ends, at page and /8 boundaries and within a few pages. */
const addrArb = fc.oneof(
  fc.constantFrom(
    0,
    1,
    0xffffffff,
    0xfffffffe,
    PAGE - 1,
    PAGE,
    0x00ffffff,
    0x01000000,
    0x7fffffff,
    0x80000000,
  ),
  fc.nat({ max: 8 }).chain((page) => fc.integer({ min: -2, max: 2 }).map((d) => (page * PAGE + d) >>> 0)),
  fc.integer({ min: 0, max: 3 * PAGE }).map((n) => (0xc0a80000 + n) >>> 0),
  fc.nat({ max: 0xffffffff }),
);

const opArb = fc.oneof(
  fc.record({ op: fc.constant('set' as const), addr: addrArb, slot: fc.nat({ max: 0x7fffffff }) }),
  fc.record({ op: fc.constant('delete' as const), addr: addrArb }),
  fc.record({ op: fc.constant('get' as const), addr: addrArb }),
);

test('AddressSlots answers as a Map under any sequence of set, delete and get, given addr | 0 or addr >>> 0', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 300 }), fc.boolean(), (ops, signed) => {
      const table = new AddressSlots();
      const model = new Map<number, number>();
      const key = (addr: number): number => (signed ? addr | 0 : addr);
      for (const o of ops) {
        if (o.op === 'set') {
          table.set(key(o.addr), o.slot);
          model.set(o.addr, o.slot);
        } else if (o.op === 'delete') assert.equal(table.delete(key(o.addr)), model.delete(o.addr));
        else {
          assert.equal(table.get(key(o.addr)), model.get(o.addr));
          assert.equal(table.has(key(o.addr)), model.has(o.addr));
        }
        assert.equal(table.size, model.size);
      }
      const sorted = [...model].sort((a, b) => a[0] - b[0]);
      assert.deepEqual(
        [...table.entries()],
        sorted.map(([a, s]) => [a | 0, s]),
      );
      assert.deepEqual(
        [...table.keys()],
        sorted.map(([a]) => a | 0),
      );
      assert.deepEqual(
        [...table.values()],
        sorted.map(([, s]) => s),
      );
      for (const a of model.keys()) table.delete(a);
      assert.equal(table.bytes, 0, 'every page and directory freed once empty');
    }),
    { numRuns: 300 },
  );
});

test('AddressSlots holds memory by the addresses in use, not the whole range', () => {
  const dense = new AddressSlots();
  for (let i = 0; i < 1_000_000; i++) dense.set((0x0a000000 + i) | 0, i);
  assert.equal(dense.size, 1_000_000);
  // A page per PAGE slots (plus each page's count) and one directory.
  assert.equal(dense.bytes, Math.ceil(1_000_000 / PAGE) * (PAGE + 1) * 4 + DIRECTORY * 8);

  const sparse = new AddressSlots();
  for (let i = 0; i < 10; i++) sparse.set((0x0a000000 + i * 0x100000) | 0, i);
  assert.equal(sparse.bytes, 10 * (PAGE + 1) * 4 + DIRECTORY * 8);
  sparse.clear();
  assert.equal(sparse.size, 0);
  assert.equal(sparse.bytes, 0);
  assert.equal(sparse.get(0x0a000000), undefined);
});

test('AddressSlots rejects what is not a slot rather than storing it as "none"', () => {
  const table = new AddressSlots();
  for (const bad of [-1, 2 ** 31, 1.5, Number.NaN]) assert.throws(() => table.set(1, bad), RangeError);
  assert.equal(table.size, 0);
});

test("AddressSlots' walk, paused while the table changes, sees what it has not passed as it is then", () => {
  const table = new AddressSlots();
  for (const a of [10, 20, PAGE + 5, 2 * PAGE]) table.set(a, a);
  const walk = table.keys();
  assert.equal(walk.next().value, 10);
  table.delete(PAGE + 5); // frees that page
  table.set(5, 5); // behind the walk: not seen
  table.set(3 * PAGE, 1); // ahead: seen
  table.delete(20);
  assert.deepEqual([...walk], [2 * PAGE, 3 * PAGE]);
});
