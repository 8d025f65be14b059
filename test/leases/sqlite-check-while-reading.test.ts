// `checkWhileReading` (what `serve` uses): an existing lease file is read at once while its quick_check runs
// in a child process; writes wait for the check and the write connection; other files open as without the option.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { SCHEMA_VERSION } from '../../src/leases/sqlite-schema.ts';
import { compileConfig } from '../../src/config/compile.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { loadStoreInPages } from '../../src/runtime/lease-load.ts';
import { DhcpServerEngine } from '../../src/server/index.ts';
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

/** Leases in every form the compact columns treat apart: each must come out of the start-up load as stored. */
function oddLeases(): Lease[] {
  const octets = (n: number, first: number): string =>
    Array.from({ length: n }, (_, i) => ((first + i * 7) & 255).toString(16).padStart(2, '0')).join(':');
  return [
    makeLease({
      address: '198.18.2.1',
      hwAddress: octets(16, 1),
      clientId: octets(30, 9),
      hostname: 'x'.repeat(255),
    }),
    makeLease({ address: '198.18.2.2', hwAddress: '', clientId: `ff:${octets(19, 3)}`, state: 'declined' }),
    makeLease({ address: '198.18.2.3', hwAddress: octets(6, 5), clientId: `01:${octets(6, 6)}` }),
    makeLease({ address: '198.18.2.4', hwAddress: octets(6, 5), clientId: null, state: 'expired-reclaimed' }),
    makeLease({
      address: '198.18.2.5',
      hwAddress: octets(6, 8),
      clientId: `01:${octets(6, 8)}`,
      hostname: 'h\u00e9te.example.',
      userContext: { 'circuit-id': 'port-1', nested: { list: [1, 'two', null] } },
      fqdnFwd: true,
      fqdnRev: true,
    }),
    makeLease({
      address: '198.18.2.6',
      hwAddress: octets(1, 2),
      clientId: octets(2, 4),
      subnetId: 4_294_967_295,
    }),
  ];
}

describe('sqlite, checkWhileReading: the start-up load of odd rows', () => {
  it('puts every lease into the engine exactly as the store returns it', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'leases4.sqlite');
    try {
      const writer = await SqliteLeaseStore.open({ path, writer: 'inline' });
      for (const l of oddLeases()) await writer.commit(l);
      await writer.close();
      const store = await SqliteLeaseStore.open({ path, writer: 'worker', checkWhileReading: true });
      const engine = new DhcpServerEngine(
        compileConfig({ Dhcp4: { subnet4: [{ id: 1, subnet: '198.18.0.0/15' }] } }),
      );
      assert.equal(await loadStoreInPages(store, (page) => engine.loadLeases(page), 4), 6);
      const byAddress = (a: Lease, b: Lease): number => a.address.localeCompare(b.address);
      const stored = (await store.getAll()).sort(byAddress);
      assert.deepEqual(engine.leases().sort(byAddress), stored);
      assert.equal(stored[0]!.clientId, oddLeases()[0]!.clientId, 'the 30-octet client id is kept');
      await store.close();
    } finally {
      tmp.remove();
    }
  });
});
