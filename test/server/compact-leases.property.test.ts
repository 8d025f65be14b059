import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { intToIpv4 } from '../../src/config/ipv4.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { CompactLeases } from '../../src/server/compact-leases.ts';
import { clientIdKey, hwKey } from '../../src/server/identity.ts';
import { LeaseIndex } from '../../src/server/lease-index.ts';

const colonHex = (min: number, max: number, upper = false): fc.Arbitrary<string> =>
  fc
    .uint8Array({ minLength: min, maxLength: max })
    .map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':'))
    .map((s) => (upper ? s.toUpperCase() : s));

/** Leases as the stores produce them, and the odd ones the columns cannot hold (kept whole). */
const leaseArb: fc.Arbitrary<{ lease: Lease; addr: number }> = fc
  .record({
    addr: fc.nat({ max: 0xffffffff }),
    oddAddressText: fc.boolean(),
    hwAddress: fc.oneof(
      colonHex(6, 6),
      colonHex(0, 16),
      colonHex(17, 20),
      colonHex(1, 6, true),
      fc.constant(''),
    ),
    clientId: fc.oneof(
      fc.constant(null),
      colonHex(2, 20),
      colonHex(21, 255),
      colonHex(2, 7, true),
      colonHex(7, 7).map((s) => `01${s.slice(2)}`),
    ),
    // the common form: type 1 and the hardware address (stored as one code, not as bytes)
    clientIdFromHw: fc.boolean(),
    subnetId: fc.oneof(fc.nat({ max: 0xffffffff }), fc.constant(2 ** 32), fc.constant(1.5)),
    validLifetime: fc.oneof(fc.nat({ max: 0xffffffff }), fc.constant(-1)),
    cltt: fc.oneof(fc.integer({ min: 0, max: 2 ** 50 }), fc.double({ noNaN: true })),
    lifetimeMs: fc.oneof(fc.nat(), fc.double({ noNaN: true })),
    hostname: fc.option(fc.string({ maxLength: 255 })),
    state: fc.constantFrom('default' as const, 'declined' as const, 'expired-reclaimed' as const),
    userContext: fc.option(fc.dictionary(fc.string(), fc.jsonValue())),
  })
  .map((r) => ({
    addr: r.addr,
    lease: {
      address: r.oddAddressText ? `0${intToIpv4(r.addr)}` : intToIpv4(r.addr),
      hwAddress: r.hwAddress,
      clientId: r.clientIdFromHw ? `01:${r.hwAddress}` : r.clientId,
      subnetId: r.subnetId,
      validLifetime: r.validLifetime,
      cltt: r.cltt,
      expiresAt: r.cltt + r.lifetimeMs,
      hostname: r.hostname,
      state: r.state,
      userContext: r.userContext,
    },
  }));

test('every lease field survives the compact form, through add, replace, free and slot reuse', () => {
  fc.assert(
    fc.property(fc.array(leaseArb, { minLength: 1, maxLength: 40 }), (items) => {
      // a small first capacity, so that the columns grow under the property too
      const compact = new CompactLeases(2);
      const slots = items.map(({ lease, addr }) => compact.add(lease, addr));
      items.forEach(({ lease }, i) => {
        assert.deepEqual(compact.get(slots[i]!), lease);
        assert.equal(compact.stateOf(slots[i]!), lease.state);
        assert.ok(Object.isFrozen(compact.get(slots[i]!)));
      });
      // replacing a lease leaves nothing of the old one (hostname, user context, whole-kept form)
      const last = items.at(-1)!;
      compact.set(slots[0]!, last.lease, last.addr);
      assert.deepEqual(compact.get(slots[0]!), last.lease);
      // a freed slot reused by another lease carries nothing over
      compact.free(slots[0]!);
      const again = compact.add(items[0]!.lease, items[0]!.addr);
      assert.equal(again, slots[0]);
      assert.deepEqual(compact.get(again), items[0]!.lease);
    }),
    { numRuns: 300 },
  );
});

test('the lease index answers as a map of leases by address would, after any puts and deletes', () => {
  const op = fc.oneof(
    leaseArb.map(({ lease }) => ({ put: lease })),
    fc.nat({ max: 7 }).map((i) => ({ del: i })),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const index = new LeaseIndex();
      const model = new Map<number, Lease>();
      // a few addresses only, so that puts replace and deletes hit
      const addrOf = (l: Lease): number => 0xc6120000 + ((l.cltt >>> 0) % 8);
      for (const o of ops) {
        if ('put' in o) {
          const addr = addrOf(o.put);
          const lease = { ...o.put, address: intToIpv4(addr) };
          assert.deepEqual(index.put(lease, addr), model.get(addr));
          model.set(addr, lease);
        } else {
          const addr = 0xc6120000 + o.del;
          assert.deepEqual(index.delete(addr), model.get(addr));
          model.delete(addr);
        }
        assert.equal(index.size, model.size);
      }
      for (const [addr, lease] of model) assert.deepEqual(index.get(addr), lease);
      const byAddress = (a: Lease, b: Lease): number => a.address.localeCompare(b.address);
      assert.deepEqual([...index.values()].sort(byAddress), [...model.values()].sort(byAddress));
    }),
    { numRuns: 300 },
  );
});

test('identity keys are one-to-one: two hardware addresses (or two client identifiers) never share a key', () => {
  const texts = fc.oneof(
    colonHex(0, 8),
    colonHex(6, 6, true),
    colonHex(6, 6),
    colonHex(7, 7).map((s) => `01${s.slice(2)}`),
  );
  fc.assert(
    fc.property(texts, texts, (a, b) => {
      if (a === b) return;
      assert.notEqual(hwKey(a), hwKey(b));
      assert.notEqual(clientIdKey(a), clientIdKey(b));
    }),
    { numRuns: 2000 },
  );
  assert.equal(hwKey('aa:bb:cc:dd:ee:ff'), 0xaabbccddeeff);
  assert.equal(clientIdKey('01:aa:bb:cc:dd:ee:ff'), 0xaabbccddeeff);
  assert.equal(hwKey('AA:BB:CC:DD:EE:FF'), 'AA:BB:CC:DD:EE:FF');
  assert.equal(clientIdKey('02:aa:bb:cc:dd:ee:ff'), '02:aa:bb:cc:dd:ee:ff');
});

test("the index keeps each lease's reclaim deadline as a map by address would: kept through replacement, gone with the lease", () => {
  const op = fc.oneof(
    leaseArb.map(({ lease }) => ({ put: lease })),
    fc.nat({ max: 7 }).map((i) => ({ del: i })),
    fc.tuple(fc.nat({ max: 7 }), fc.integer({ min: 0, max: 2 ** 50 })).map(([i, d]) => ({ arm: i, d })),
    fc.nat({ max: 7 }).map((i) => ({ disarm: i })),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const index = new LeaseIndex();
      const leases = new Map<number, Lease>();
      const deadlines = new Map<number, number>();
      const at = (i: number): number => 0xc6120000 + i;
      for (const o of ops) {
        if ('put' in o) {
          const addr = at((o.put.cltt >>> 0) % 8);
          index.put({ ...o.put, address: intToIpv4(addr) }, addr);
          leases.set(addr, o.put);
        } else if ('del' in o) {
          index.delete(at(o.del));
          leases.delete(at(o.del));
          deadlines.delete(at(o.del));
        } else if ('arm' in o) {
          assert.equal(index.setDeadline(at(o.arm), o.d), leases.has(at(o.arm)));
          if (leases.has(at(o.arm))) deadlines.set(at(o.arm), o.d);
        } else {
          index.setDeadline(at(o.disarm), NaN);
          deadlines.delete(at(o.disarm));
        }
        for (let i = 0; i < 8; i++) assert.equal(index.deadlineOf(at(i)), deadlines.get(at(i)));
        assert.equal(index.deadlines, deadlines.size);
      }
    }),
    { numRuns: 300 },
  );
});
