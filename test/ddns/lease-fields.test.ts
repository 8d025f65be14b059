// fqdn-fwd / fqdn-rev persist with the lease: in SQLite (schema 2, migrated from schema 1 in place) and in
// the memory store, and they show in Kea's lease4 JSON. PostgreSQL: test/leases/postgres.test.ts's
// conformance suite with flagged leases (see the DDNS case added there).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { leaseToKea } from '../../src/control/lease-json.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import { SCHEMA_VERSION } from '../../src/leases/sqlite-schema.ts';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { makeLease } from '../leases/fixtures.ts';
import { writeOldFile } from '../leases/old-schema.ts';
import { tempDir } from '../leases/tmp.ts';

test('sqlite keeps fqdnFwd/fqdnRev across reopen', async () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.dir, 'leases.db');
    let store = await SqliteLeaseStore.open({ path });
    await store.commit(
      makeLease({ address: '10.0.0.1', hostname: 'a.example.com', fqdnFwd: true, fqdnRev: true }),
    );
    await store.commit(makeLease({ address: '10.0.0.2', hwAddress: '02:00:00:00:00:02', fqdnRev: true }));
    await store.close();
    store = await SqliteLeaseStore.open({ path });
    const a = await store.get('10.0.0.1');
    const b = await store.get('10.0.0.2');
    assert.equal(a?.fqdnFwd, true);
    assert.equal(a?.fqdnRev, true);
    assert.equal(b?.fqdnFwd, undefined);
    assert.equal(b?.fqdnRev, true);
    assert.equal(leaseToKea(a!)['fqdn-fwd'], true);
    assert.equal(leaseToKea(b!)['fqdn-fwd'], false);
    await store.close();
  } finally {
    tmp.remove();
  }
});

test('a schema 1 lease file is migrated to the current schema (DDNS flags, DDNS queue) and its leases kept', async () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.dir, 'old.db');
    const now = Date.now();
    writeOldFile(path, 1, [
      makeLease({
        address: '10.0.0.1',
        hwAddress: '02:00:00:00:00:01',
        clientId: null,
        validLifetime: 600,
        cltt: now,
        hostname: 'old.example.com',
      }),
    ]);
    const store = await SqliteLeaseStore.open({ path });
    const old = await store.get('10.0.0.1');
    assert.equal(old?.hostname, 'old.example.com');
    assert.equal(old?.fqdnFwd, undefined);
    const r = await store.commit(
      makeLease({ address: '10.0.0.1', hostname: 'old.example.com', fqdnFwd: true }),
      { mode: 'upsert' },
    );
    assert.equal(r.ok, true);
    assert.equal((await store.get('10.0.0.1'))?.fqdnFwd, true);
    await store.close();
    const check = new Database(path, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(check.prepare('SELECT count(*) FROM ddns_queue').pluck().get(), 0, 'the queue table exists');
    check.close();
  } finally {
    tmp.remove();
  }
});

test('the memory store keeps the flags', async () => {
  const store = new MemoryLeaseStore();
  await store.commit(makeLease({ address: '10.0.0.3', fqdnFwd: true }));
  assert.equal((await store.get('10.0.0.3'))?.fqdnFwd, true);
  await store.close();
});
