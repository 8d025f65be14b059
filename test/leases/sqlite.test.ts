import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { LeaseWriterLostError } from '../../src/leases/sqlite-writer.ts';
import { runConformance } from './conformance.ts';
import { runDifferential } from './differential.ts';
import { makeLease } from './fixtures.ts';
import type { LeaseChange } from '../../src/leases/store.ts';
import { tempDir } from './tmp.ts';
import { DEFAULT_BACKGROUND_PER_BATCH } from '../../src/leases/group-commit.ts';

// Both places the write transactions can run; every SQLite test runs against each.
for (const writer of ['inline', 'worker'] as const) {
  runConformance({
    name: `sqlite (${writer} writer)`,
    persistent: true,
    shared: true,
    async create() {
      const tmp = tempDir();
      const path = join(tmp.dir, 'leases.db');
      return {
        open: () => SqliteLeaseStore.open({ path, writer }),
        destroy: async () => tmp.remove(),
      };
    },
  });

  describe(`sqlite lease store (${writer} writer)`, () => {
    runDifferential(`sqlite (${writer} writer)`, async () => {
      const tmp = tempDir();
      const store = await SqliteLeaseStore.open({ path: join(tmp.dir, 'leases.db'), writer });
      return {
        store,
        done: async () => {
          await store.close();
          tmp.remove();
        },
      };
    });

    it(`runs its write transactions ${writer === 'worker' ? 'in a worker thread' : 'on the calling thread'}`, async () => {
      const tmp = tempDir();
      const store = await SqliteLeaseStore.open({ path: join(tmp.dir, 'leases.db'), writer });
      try {
        assert.equal(store.writer, writer);
      } finally {
        await store.close();
        tmp.remove();
      }
    });
  });
}

describe('sqlite lease store: worker writer failures', () => {
  it('rejects pending writes with a named error when the writer thread dies, and keeps every acknowledged lease', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'leases.db');
    try {
      const store = await SqliteLeaseStore.open({ path, writer: 'worker' });
      const acknowledged = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.commit(makeLease({ address: `10.7.0.${i}` }))),
      );
      assert.ok(acknowledged.every((r) => r.ok));
      const pending = Array.from({ length: 50 }, (_, i) =>
        store.commit(makeLease({ address: `10.7.1.${i}` })),
      );
      await store.crashWriterForTesting();
      const settled = await Promise.allSettled(pending);
      const rejected = settled.filter((s) => s.status === 'rejected');
      assert.ok(rejected.length > 0, 'the writes in flight when the thread died must not resolve');
      for (const r of rejected) {
        assert.ok(r.reason instanceof LeaseWriterLostError, String(r.reason));
        assert.equal(r.reason.code, 'ERR_LEASE_STORE_IO');
        assert.match(r.reason.message, /writer thread stopped/);
      }
      await assert.rejects(store.commit(makeLease({ address: '10.7.2.1' })), {
        name: 'LeaseWriterLostError',
      });
      // Reads keep working on the main thread's connection.
      assert.equal((await store.get('10.7.0.49'))?.address, '10.7.0.49');
      await store.close();

      const reopened = await SqliteLeaseStore.open({ path, writer: 'worker' });
      try {
        const stored = new Set((await reopened.getAll()).map((l) => l.address));
        for (let i = 0; i < 50; i++) assert.ok(stored.has(`10.7.0.${i}`), `10.7.0.${i} was acknowledged`);
        const fulfilled = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [`10.7.1.${i}`] : []));
        for (const address of fulfilled) assert.ok(stored.has(address), `${address} was acknowledged`);
      } finally {
        await reopened.close();
      }
    } finally {
      tmp.remove();
    }
  });
});

describe('sqlite lease store: worker batch interval', () => {
  /** Commits A; then B (the thread is idle: B's batch starts at once); while B's batch is in flight, C;
   *  once B is durable, D; then closes the store, which sends whatever is held at once. Resolves with the size
   *  of the batch that carried D. No step waits on the clock: an interval is either 0 or longer than any run. */
  async function batchCarryingD(batchIntervalMs: number): Promise<number> {
    const tmp = tempDir();
    const store = await SqliteLeaseStore.open({
      path: join(tmp.dir, 'leases.db'),
      writer: 'worker',
      batchIntervalMs,
      // The whole interval whatever the last batch carried: the hold that grows with the load is tested below,
      // and the bound on a write's wait in test/leases/group-commit.test.ts.
      batchHoldPerWriteMs: Infinity,
      batchMaxWaitMs: Infinity,
    });
    let closed = false;
    try {
      assert.ok((await store.commit(makeLease({ address: '10.8.0.1' }))).ok);
      const b = store.commit(makeLease({ address: '10.8.0.2' }));
      await new Promise((resolve) => setImmediate(resolve));
      const c = store.commit(makeLease({ address: '10.8.0.3' }));
      assert.ok((await b).ok);
      const d = store.commit(makeLease({ address: '10.8.0.4' }));
      await store.close();
      closed = true;
      assert.ok((await c).ok && (await d).ok);
      return store.lastBatchSize;
    } finally {
      if (!closed) await store.close();
      tmp.remove();
    }
  }

  it('holds the next batch while writes keep arriving, so one transaction carries more of them', async () => {
    // C waits out the interval after B's batch (an hour: only closing the store sends it); D joins it.
    assert.equal(await batchCarryingD(3_600_000), 2);
  });

  // Before the hold grew with the load, C waited the whole hour: the timeout turns that hang into a failure.
  it(
    'a light load is not held for the whole interval: the hold grows with the last batch',
    { timeout: 30_000 },
    async () => {
      // An hour's interval, but B's batch carried one write: C goes out 0.25 ms after it, without the close.
      const tmp = tempDir();
      const store = await SqliteLeaseStore.open({
        path: join(tmp.dir, 'leases.db'),
        writer: 'worker',
        batchIntervalMs: 3_600_000,
      });
      try {
        const b = store.commit(makeLease({ address: '10.8.0.2' }));
        await new Promise((resolve) => setImmediate(resolve));
        const c = store.commit(makeLease({ address: '10.8.0.3' }));
        assert.ok((await b).ok);
        assert.ok((await c).ok, 'committed while the store is open');
        assert.equal(store.lastBatchSize, 1);
      } finally {
        await store.close();
        tmp.remove();
      }
    },
  );

  it('a write submitted while a reclaim of many leases is under way commits before the rest of the reclaim', async () => {
    const tmp = tempDir();
    const store = await SqliteLeaseStore.open({ path: join(tmp.dir, 'leases.db'), writer: 'worker' });
    try {
      const expired = Array.from({ length: 300 }, (_, i) =>
        makeLease({ address: `10.9.${i >> 8}.${i & 255}`, cltt: 0, validLifetime: 1 }),
      );
      await Promise.all(expired.map((lease) => store.commit(lease, { now: 0 })));
      const order: string[] = [];
      const reclaims = expired.map((lease) =>
        store.reclaim(lease.address, { remove: false, now: 10_000 }).then(() => order.push('reclaim')),
      );
      // The reclaim's first batch is in the thread now; the client's write arrives behind 300 reclaims.
      await new Promise((resolve) => setImmediate(resolve));
      const ack = store
        .commit(makeLease({ address: '10.9.200.1', hwAddress: 'aa:bb:cc:00:00:01', clientId: null }), {
          now: 10_000,
        })
        .then((r) => order.push(r.ok ? 'ack' : 'refused'));
      await Promise.all([...reclaims, ack]);
      const before = order.indexOf('ack');
      assert.ok(before >= 0, 'committed');
      // The batch in flight, then the client's write with at most one batch's share of background writes.
      assert.ok(
        before <= 2 * DEFAULT_BACKGROUND_PER_BATCH,
        `${before} reclaims committed before the client's write`,
      );
      assert.equal(order.filter((o) => o === 'reclaim').length, 300);
    } finally {
      await store.close();
      tmp.remove();
    }
  });

  it('with no interval the next batch goes as soon as the last is durable', async () => {
    // C is sent the moment B is durable, before D is even submitted.
    assert.equal(await batchCarryingD(0), 1);
  });
});

describe('sqlite lease store: what the worker writer answers', () => {
  it('a batch larger than the settle slice answers every write once, in order, over several event-loop turns', async () => {
    const tmp = tempDir();
    try {
      const store = await SqliteLeaseStore.open({
        path: join(tmp.dir, 'leases.db'),
        writer: 'worker',
        batchSettleSlice: 4,
      });
      const announced: string[] = [];
      store.onChange((c) => announced.push(c.lease.address));
      // A turn counter: one step per check phase, as the settler's slices are.
      let turnNo = 0;
      let counting = true;
      const count = (): void => {
        turnNo++;
        if (counting) setImmediate(count);
      };
      setImmediate(count);
      const addresses = Array.from({ length: 30 }, (_, i) => `10.8.1.${i + 1}`);
      const answered: { address: string; turn: number; announcedBefore: boolean }[] = [];
      // Submitted in one turn: one batch (the thread is idle), reported at once.
      const commits = addresses.map((address) =>
        store.commit(makeLease({ address })).then((result) => {
          assert.ok(result.ok);
          answered.push({ address, turn: turnNo, announcedBefore: announced.includes(address) });
          return result;
        }),
      );
      await Promise.all(commits);
      counting = false;
      assert.equal(store.lastBatchSize, 30);
      assert.deepEqual(
        answered.map((a) => a.address),
        addresses,
        'each write answered once, in the order submitted',
      );
      assert.deepEqual(announced, addresses, 'each change announced once');
      assert.ok(
        answered.every((a) => a.announcedBefore),
        "a write's change is announced before its answer",
      );
      const turns = new Set(answered.map((a) => a.turn));
      assert.ok(turns.size >= Math.ceil(30 / 4), `settled over ${turns.size} turns, a slice of 4 per turn`);
      await store.close();
    } finally {
      tmp.remove();
    }
  });

  it('a commit answers and announces the lease it wrote and the one it replaced, frozen; a refusal names the holder', async () => {
    const tmp = tempDir();
    try {
      const store = await SqliteLeaseStore.open({ path: join(tmp.dir, 'leases.db'), writer: 'worker' });
      const changes: LeaseChange[] = [];
      store.onChange((c) => changes.push(c));
      const first = makeLease({ address: '10.8.0.1', hostname: 'one' });
      const added = await store.commit(first);
      assert.ok(added.ok && added.kind === 'added');
      assert.deepEqual(added.lease, first);
      assert.equal(added.previous, null);
      const renewed = makeLease({ address: '10.8.0.1', hostname: 'two', cltt: first.cltt + 1000 });
      const updated = await store.commit(renewed);
      assert.ok(updated.ok && updated.kind === 'updated');
      assert.deepEqual(updated.lease, renewed);
      assert.deepEqual(updated.previous, first);
      assert.ok(Object.isFrozen(updated.lease) && Object.isFrozen(updated.previous));
      assert.deepEqual(
        changes.map((c) => [c.kind, c.lease.hostname, c.previous?.hostname ?? null, c.origin]),
        [
          ['added', 'one', null, 'local'],
          ['updated', 'two', 'one', 'local'],
        ],
      );
      assert.equal(changes[1]?.lease, updated.lease);
      const other = makeLease({ address: '10.8.0.1', hwAddress: 'aa:bb:cc:dd:ee:02', clientId: null });
      const refused = await store.commit(other, { now: renewed.cltt });
      assert.ok(!refused.ok && refused.reason === 'conflict');
      assert.deepEqual(refused.holder, renewed);
      assert.equal(changes.length, 2);
      await store.close();
    } finally {
      tmp.remove();
    }
  });
});
