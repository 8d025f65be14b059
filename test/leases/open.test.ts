import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openLeaseStore } from '../../src/leases/index.ts';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { makeLease, T0 } from './fixtures.ts';
import { tempDir } from './tmp.ts';

describe('openLeaseStore', () => {
  it('opens the backend a spec names, with the given clock', async () => {
    const tmp = tempDir();
    try {
      for (const spec of [
        { type: 'memory' } as const,
        { type: 'sqlite', path: join(tmp.dir, 'l.db') } as const,
      ]) {
        // A clock far past T0 makes every lease made at T0 expired, so a stranger may claim it.
        const store = await openLeaseStore(spec, () => T0 + 10_000_000);
        try {
          assert.equal(store.backend, spec.type);
          await store.commit(makeLease({ address: '10.0.0.1', clientId: '01:01' }));
          const stranger = await store.commit(makeLease({ address: '10.0.0.1', clientId: '01:02' }));
          assert.equal(stranger.ok, true);
        } finally {
          await store.close();
        }
      }
    } finally {
      tmp.remove();
    }
  });

  it('runs SQLite writes in a worker thread unless the spec says inline', async () => {
    const tmp = tempDir();
    try {
      for (const [writer, expected] of [
        [undefined, 'worker'],
        ['inline', 'inline'],
        ['worker', 'worker'],
      ] as const) {
        const path = join(tmp.dir, `${expected}.db`);
        const store = await openLeaseStore({
          type: 'sqlite',
          path,
          ...(writer === undefined ? {} : { writer }),
        });
        try {
          assert.ok(store instanceof SqliteLeaseStore);
          assert.equal(store.writer, expected);
        } finally {
          await store.close();
        }
      }
    } finally {
      tmp.remove();
    }
  });

  it('rejects with LeaseStoreOpenError when the file cannot be opened', async () => {
    await assert.rejects(openLeaseStore({ type: 'sqlite', path: '/nonexistent-dir/leases.db' }), {
      name: 'LeaseStoreOpenError',
    });
  });
});
