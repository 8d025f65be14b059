// Lease stores through the public API: leases kept across a restart with SQLite; a LeaseStore instance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLeaseStore } from '../../src/index.ts';
import { SEED, lan, next, record } from './helpers.ts';

const MAC = '02:00:00:00:00:01';

test('SQLite: leases survive a restart, and the client gets its address back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-library-'));
  const file = join(dir, 'leases.sqlite');
  try {
    const l = lan();
    const first = await l.serve({ ...SEED, store: { sqlite: file } });
    const client = await l.client(MAC, { hostname: 'vm1' });
    const lease = await client.bound();
    await client.stop(); // no RELEASE: the lease stays
    await first.stop();

    const second = await l.serve({ ...SEED, store: { sqlite: file } });
    try {
      const kept = second.leases.get(lease.address);
      assert.equal(kept?.mac, MAC);
      assert.equal(kept?.hostname, 'vm1');
      assert.equal(kept?.expiresAt, first.leases.get(lease.address)?.expiresAt);
      assert.equal(second.store.backend, 'sqlite');
      // The same machine boots again: same address, and it is the same client's lease extended.
      const log = record(second);
      const again = await l.client(MAC);
      try {
        assert.equal((await again.bound()).address, lease.address);
        assert.deepEqual(log, [`offered ${lease.address} ${MAC}`, `renewed ${lease.address} ${MAC}`]);
      } finally {
        await again.stop();
      }
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a LeaseStore instance is used as given and closed by stop()', async () => {
  const store = new MemoryLeaseStore();
  const l = lan();
  const server = await l.serve({ ...SEED, store });
  assert.equal(server.store, store);
  const client = await l.client(MAC);
  const bound = next(server, 'bound');
  const lease = await client.bound();
  await bound;
  assert.equal((await store.get(lease.address))?.hwAddress, MAC);
  await client.stop();
  await server.stop();
  await assert.rejects(store.get(lease.address), { name: 'LeaseStoreClosedError' });
});
