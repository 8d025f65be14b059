// `checkWhileReading` (what `serve` uses): an existing lease file is read at once while its quick_check runs
// in a child process; writes wait for the check and the write connection; other files open as without the option.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { SCHEMA_VERSION } from '../../src/leases/sqlite-schema.ts';
import { loadStoreInPages } from '../../src/runtime/lease-load.ts';
import { makeLease } from './fixtures.ts';
import { tempDir } from './tmp.ts';

const lease = (i: number): ReturnType<typeof makeLease> =>
  makeLease({ address: `198.18.1.${i}`, hwAddress: `02:00:00:00:01:${i.toString(16).padStart(2, '0')}` });

async function fileWith(path: string, count: number): Promise<void> {
  const store = await SqliteLeaseStore.open({ path, writer: 'inline' });
  for (let i = 1; i <= count; i++) await store.commit(lease(i));
  await store.close();
}

for (const writer of ['inline', 'worker'] as const) {
  describe(`sqlite, checkWhileReading, ${writer} writer`, () => {
    it('reads the leases before the check is done, then writes once it passed, and reports the check', async () => {
      const tmp = tempDir();
      const path = join(tmp.dir, 'leases4.sqlite');
      try {
        await fileWith(path, 20);
        const store = await SqliteLeaseStore.open({ path, writer, checkWhileReading: true });
        // A write submitted now waits for the check and the write connection.
        const write = store.commit(lease(21));
        const loaded: string[] = [];
        assert.equal(
          await loadStoreInPages(store, (page) => loaded.push(...page.map((l) => l.address)), 7),
          20,
        );
        assert.equal(typeof store.openReport.checkMs, 'number', 'the check ran and was timed');
        await write;
        assert.equal((await store.get('198.18.1.21'))?.address, '198.18.1.21');
        assert.equal((await store.getAll()).length, 21);
        await store.commit(lease(22));
        await store.close();
        const again = await SqliteLeaseStore.open({ path, writer });
        assert.equal((await again.getAll()).length, 22);
        assert.deepEqual(again.openReport.warnings, [], 'closed cleanly: the close record was written');
        await again.close();
      } finally {
        tmp.remove();
      }
    });

    it('closes before the check is done, and opens again with every lease', async () => {
      const tmp = tempDir();
      const path = join(tmp.dir, 'leases4.sqlite');
      try {
        await fileWith(path, 5);
        const store = await SqliteLeaseStore.open({ path, writer, checkWhileReading: true });
        await store.close();
        const again = await SqliteLeaseStore.open({ path, writer });
        assert.equal((await again.getAll()).length, 5);
        await again.close();
      } finally {
        tmp.remove();
      }
    });

    it('opens a new file, or refuses one of another schema, before it resolves, as without the option', async () => {
      const tmp = tempDir();
      const path = join(tmp.dir, 'leases4.sqlite');
      try {
        const fresh = await SqliteLeaseStore.open({ path, writer, checkWhileReading: true });
        await fresh.commit(lease(1));
        await fresh.close();
        // Not this code's schema: the write connection decides (migrates or refuses) before anything reads.
        const raw = new Database(path);
        raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
        raw.close();
        const refusal = async (checkWhileReading: boolean): Promise<string> =>
          SqliteLeaseStore.open({ path, writer, checkWhileReading }).then(
            () => assert.fail('opened a newer schema'),
            (error: Error) => error.message,
          );
        assert.equal(await refusal(true), await refusal(false));
      } finally {
        tmp.remove();
      }
    });
  });
}
