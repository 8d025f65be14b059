import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { LeaseStoreError } from '../../src/leases/errors.ts';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { makeLease } from './fixtures.ts';
import { tempDir } from './tmp.ts';

/** A database with three good leases, then `mutate` run on it through a raw connection. */
async function databaseWith(
  mutate: (db: Database.Database) => void,
): Promise<{ path: string; remove: () => void }> {
  const tmp = tempDir();
  const path = join(tmp.dir, 'leases.db');
  const store = await SqliteLeaseStore.open({ path });
  for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) await store.commit(makeLease({ address }));
  await store.close();
  const raw = new Database(path);
  mutate(raw);
  raw.close();
  return { path, remove: tmp.remove };
}

// 10.0.0.2 as the stored integer key.
const KEY_2 = (10 << 24) + 2;

for (const writer of ['inline', 'worker'] as const) {
  describe(`sqlite lease store: bad data (${writer} writer)`, () => {
    const corruptions: [string, string][] = [
      ['an unknown state', `UPDATE lease4 SET state = 9 WHERE address = ${KEY_2}`],
      ['user context that is not JSON', `UPDATE lease4 SET user_context = '{oops' WHERE address = ${KEY_2}`],
      ['user context that is an array', `UPDATE lease4 SET user_context = '[1]' WHERE address = ${KEY_2}`],
      ['a malformed hardware address', `UPDATE lease4 SET hw_address = 'zz:zz' WHERE address = ${KEY_2}`],
      ['a negative lifetime', `UPDATE lease4 SET valid_lifetime = -5 WHERE address = ${KEY_2}`],
      ['a malformed client id', `UPDATE lease4 SET client_id = 'x' WHERE address = ${KEY_2}`],
    ];
    for (const [what, sql] of corruptions) {
      it(`names the row when it holds ${what}, and keeps serving the others`, async () => {
        const db = await databaseWith((raw) => raw.exec(sql));
        const store = await SqliteLeaseStore.open({ path: db.path, writer });
        try {
          await assert.rejects(store.get('10.0.0.2'), (err: unknown) => {
            assert.ok(err instanceof LeaseStoreError);
            assert.equal(err.name, 'LeaseCorruptError');
            assert.equal(err.code, 'LEASE_STORE_CORRUPT');
            assert.match(err.message, /10\.0\.0\.2/);
            return true;
          });
          await assert.rejects(store.getAll(), { code: 'LEASE_STORE_CORRUPT' });
          assert.equal((await store.get('10.0.0.1'))?.address, '10.0.0.1');
          // A claim over the corrupt row fails alone; the other writes of the same batch commit.
          const [over, beside] = await Promise.allSettled([
            store.commit(makeLease({ address: '10.0.0.2' })),
            store.commit(makeLease({ address: '10.0.0.4' })),
          ]);
          assert.equal(over.status, 'rejected');
          assert.equal((over.reason as LeaseStoreError).name, 'LeaseCorruptError');
          assert.equal((over.reason as LeaseStoreError).code, 'LEASE_STORE_CORRUPT');
          assert.equal(beside.status, 'fulfilled');
          // An operator can delete the row.
          assert.equal(await store.remove('10.0.0.2'), null);
          assert.equal((await store.getAll()).length, 3);
        } finally {
          await store.close();
          db.remove();
        }
      });
    }

    it('refuses a file that is not an SQLite database', async () => {
      const tmp = tempDir();
      const path = join(tmp.dir, 'leases.db');
      writeFileSync(
        path,
        'this is not a database, just text that is long enough to look like a header\n'.repeat(100),
      );
      try {
        await assert.rejects(SqliteLeaseStore.open({ path, writer }), {
          name: 'LeaseStoreOpenError',
          code: 'LEASE_STORE_OPEN_FAILED',
        });
      } finally {
        tmp.remove();
      }
    });

    it('refuses a path it cannot open', async () => {
      const tmp = tempDir();
      const path = join(tmp.dir, 'a-directory');
      mkdirSync(path);
      try {
        await assert.rejects(SqliteLeaseStore.open({ path, writer }), { code: 'LEASE_STORE_OPEN_FAILED' });
        await assert.rejects(SqliteLeaseStore.open({ path: join(tmp.dir, 'missing', 'leases.db'), writer }), {
          code: 'LEASE_STORE_OPEN_FAILED',
        });
      } finally {
        tmp.remove();
      }
    });

    it('refuses somebody else’s SQLite database and a newer schema', async () => {
      const tmp = tempDir();
      const foreign = join(tmp.dir, 'foreign.db');
      const raw = new Database(foreign);
      raw.exec('CREATE TABLE t (x)');
      raw.close();
      const newer = await databaseWith((db) => db.pragma('user_version = 99'));
      try {
        await assert.rejects(SqliteLeaseStore.open({ path: foreign, writer }), {
          code: 'LEASE_STORE_OPEN_FAILED',
          message: /not a leasekeeper lease database/,
        });
        await assert.rejects(SqliteLeaseStore.open({ path: newer.path, writer }), {
          code: 'LEASE_STORE_OPEN_FAILED',
          message: /schema version 99/,
        });
      } finally {
        tmp.remove();
        newer.remove();
      }
    });

    it('reports a damaged file with a named error, never a crash', async () => {
      const db = await databaseWith((raw) => {
        const insert = raw.prepare(
          `INSERT INTO lease4 (address, hw_address, client_id, subnet_id, valid_lifetime, cltt, expires_at, hostname, state, user_context) VALUES (?, 'aa:bb:cc:dd:ee:ff', NULL, 1, 3600, 0, 3600000, ?, 0, NULL)`,
        );
        for (let i = 0; i < 2000; i++) insert.run(0x0b000000 + i, `host-${i}-${'x'.repeat(40)}`);
        raw.pragma('wal_checkpoint(TRUNCATE)');
      });
      // Garbage over every page but the first (the header stays valid, the b-trees do not).
      const size = statSync(db.path).size;
      const fd = openSync(db.path, 'r+');
      writeSync(fd, Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096);
      closeSync(fd);
      try {
        let store: SqliteLeaseStore | null = null;
        try {
          store = await SqliteLeaseStore.open({ path: db.path, writer });
          await store.getAll();
          assert.fail('reading a damaged file succeeded');
        } catch (err) {
          assert.ok(err instanceof LeaseStoreError, `expected a LeaseStoreError, got ${String(err)}`);
          assert.match(err.code, /^LEASE_STORE_(DAMAGED|CORRUPT)$/);
        } finally {
          await store?.close();
        }
      } finally {
        db.remove();
      }
    });
  });

  describe(`sqlite lease store: group commit (${writer} writer)`, () => {
    it('puts the writes of one event-loop turn into one transaction', async () => {
      const tmp = tempDir();
      const store = await SqliteLeaseStore.open({ path: join(tmp.dir, 'leases.db'), writer });
      try {
        const writes = Array.from({ length: 300 }, (_, i) =>
          store.commit(makeLease({ address: `10.5.${i >> 8}.${i & 255}`, clientId: null })),
        );
        await Promise.all(writes);
        assert.equal(store.lastBatchSize, 300);
        await store.commit(makeLease({ address: '10.6.0.1' }));
        assert.equal(store.lastBatchSize, 1);
      } finally {
        await store.close();
        tmp.remove();
      }
    });
  });
}
