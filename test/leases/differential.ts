import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import type { LeaseStore } from '../../src/leases/store.ts';
import { makeLease, T0 } from './fixtures.ts';

const ADDRESSES = ['10.0.0.1', '10.0.0.2', '10.0.0.10', '10.0.1.0'];
const CLIENTS = [
  { clientId: '01:0a', hwAddress: 'aa:00:00:00:00:0a' },
  { clientId: null, hwAddress: 'aa:00:00:00:00:0a' },
  { clientId: '01:0b', hwAddress: 'aa:00:00:00:00:0b' },
  { clientId: null, hwAddress: 'aa:00:00:00:00:0c' },
];

const time = fc.integer({ min: 0, max: 100 }).map((s) => T0 + s * 1000);
const address = fc.constantFrom(...ADDRESSES);
const op = fc.oneof(
  fc.record({
    kind: fc.constant('commit' as const),
    address,
    client: fc.constantFrom(...CLIENTS),
    subnetId: fc.constantFrom(1, 2),
    cltt: time,
    lifetime: fc.integer({ min: 0, max: 60 }),
    now: time,
    mode: fc.constantFrom('claim', 'claim', 'claim', 'insert', 'update', 'upsert'),
    matchClientId: fc.boolean(),
    hostname: fc.constantFrom(null, 'Host', 'host'),
  }),
  fc.record({
    kind: fc.constant('decline' as const),
    address,
    probation: fc.integer({ min: 0, max: 60 }),
    now: time,
  }),
  fc.record({ kind: fc.constant('reclaim' as const), address, remove: fc.boolean(), now: time }),
  fc.record({ kind: fc.constant('remove' as const), address }),
  fc.record({
    kind: fc.constant('wipe' as const),
    subnetIds: fc.option(fc.subarray([1, 2]), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('find' as const),
    client: fc.constantFrom(...CLIENTS),
    subnetId: fc.constantFrom(1, 2),
  }),
  fc.record({
    kind: fc.constant('expired' as const),
    now: time,
    limit: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('page' as const),
    from: fc.constantFrom('start', ...ADDRESSES),
    limit: fc.integer({ min: 1, max: 3 }),
  }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

async function apply(store: LeaseStore, o: Op): Promise<unknown> {
  switch (o.kind) {
    case 'commit':
      return store.commit(
        makeLease({
          address: o.address,
          ...o.client,
          subnetId: o.subnetId,
          cltt: o.cltt,
          validLifetime: o.lifetime,
          hostname: o.hostname,
        }),
        { mode: o.mode, now: o.now, matchClientId: o.matchClientId },
      );
    case 'decline':
      return store.markDeclined(o.address, o.probation, { now: o.now });
    case 'reclaim':
      return store.reclaim(o.address, { remove: o.remove, now: o.now });
    case 'remove':
      return store.remove(o.address);
    case 'wipe':
      return store.wipe(o.subnetIds === undefined ? undefined : { subnetIds: o.subnetIds });
    case 'find':
      return store.findByClient({ subnetId: o.subnetId, ...o.client });
    case 'expired':
      return store.listExpired(o.now, o.limit);
    case 'page':
      return store.getPage(o.from, o.limit);
  }
}

/**
 * Random operation sequences give the same answers, the same final state, statistics and change events on
 * `open()`'s backend as on the memory store (the reference).
 */
export function runDifferential(
  name: string,
  open: () => Promise<{ store: LeaseStore; done: () => Promise<void> }>,
  runs = 60,
): void {
  it(`${name} answers random operation sequences exactly as the memory store`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const reference = new MemoryLeaseStore();
        const { store, done } = await open();
        const events: { ref: unknown[]; sut: unknown[] } = { ref: [], sut: [] };
        reference.onChange((c) => events.ref.push(c));
        store.onChange((c) => events.sut.push(c));
        try {
          for (const [i, o] of ops.entries()) {
            assert.deepEqual(
              await apply(store, o),
              await apply(reference, o),
              `op ${i}: ${JSON.stringify(o)}`,
            );
          }
          assert.deepEqual(await store.getAll(), await reference.getAll());
          assert.deepEqual(await store.stats(), await reference.stats());
          assert.deepEqual(events.sut, events.ref);
        } finally {
          await done();
        }
      }),
      { numRuns: runs },
    );
  });
}
