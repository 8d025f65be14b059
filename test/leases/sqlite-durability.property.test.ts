// The store's half of "no ACK before durability": a commit resolves only once its lease is on disk, so
// another connection to the same file (another process, or this one after a crash) already reads it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import type { CommitResult } from '../../src/leases/store.ts';
import { T0, makeLease } from './fixtures.ts';
import { tempDir } from './tmp.ts';

interface Write {
  readonly address: number;
  readonly client: number;
  readonly lifetime: number;
}

const write: fc.Arbitrary<Write> = fc.record({
  address: fc.nat(7),
  client: fc.nat(3),
  lifetime: fc.constantFrom(0, 60, 3600),
});

for (const writer of ['inline', 'worker'] as const) {
  test(`sqlite (${writer} writer): every commit that resolves is already readable from another connection`, async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'leases.db');
    const store = await SqliteLeaseStore.open({ path, writer });
    const reader = await SqliteLeaseStore.open({ path, writer: 'inline' });
    let round = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          // Writes of one group are submitted together (one group commit); groups follow each other.
          fc.array(fc.uniqueArray(write, { minLength: 1, maxLength: 8, selector: (w) => w.address }), {
            minLength: 1,
            maxLength: 5,
          }),
          async (groups) => {
            await store.wipe();
            for (const group of groups) {
              const now = T0 + round++ * 1000;
              const checks = group.map((w) =>
                store
                  .commit(
                    makeLease({
                      address: `198.18.0.${w.address + 10}`,
                      hwAddress: `aa:00:00:00:00:0${w.client}`,
                      clientId: null,
                      cltt: now,
                      validLifetime: w.lifetime,
                    }),
                    { mode: 'claim', now },
                  )
                  .then(async (r: CommitResult) => {
                    if (!r.ok) return;
                    // Read the moment the commit resolves, before anything else runs on this thread.
                    assert.deepEqual(
                      await reader.get(r.lease.address),
                      r.lease,
                      'resolved, but not readable from another connection',
                    );
                  }),
              );
              await Promise.all(checks);
            }
          },
        ),
        { numRuns: 40, includeErrorInReport: true },
      );
    } finally {
      await reader.close();
      await store.close();
      tmp.remove();
    }
  });
}
