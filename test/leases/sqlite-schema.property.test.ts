// Every lease field survives a write and a read-back through the SQLite store (each writer), by every read the
// store answers, and an older schema's file opens at the current version with every lease field kept, without
// the indexes schema 4 dropped (and `lease4_expires`, dropped from schema 4 files in place), and passes the file
// check at open.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { Lease } from '../../src/leases/lease.ts';
import { LEASE_STATE_CODES } from '../../src/leases/lease.ts';
import { ipv4ToNumber } from '../../src/leases/address.ts';
import { checkLeaseFile } from '../../src/leases/sqlite-check.ts';
import { SCHEMA_VERSION } from '../../src/leases/sqlite-schema.ts';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { makeLease, T0 } from './fixtures.ts';
import { writeOldFile } from './old-schema.ts';
import { tempDir } from './tmp.ts';

const octets = (min: number, max: number): fc.Arbitrary<string> =>
  fc
    .array(fc.integer({ min: 0, max: 255 }), { minLength: min, maxLength: max })
    .map((bytes) => bytes.map((b) => b.toString(16).padStart(2, '0')).join(':'));

/** A user context as it is after the JSON text the store keeps it as (plain prototype, no -0). */
const json: fc.Arbitrary<Record<string, unknown>> = fc
  .dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 })
  .map((o) => JSON.parse(JSON.stringify(o)) as Record<string, unknown>);

/** A valid lease with every field drawn, the address distinct by `index`. */
const lease = (index: number): fc.Arbitrary<Lease> =>
  fc
    .record({
      hwAddress: fc.oneof(octets(6, 6), octets(0, 20)),
      clientId: fc.option(octets(2, 40), { nil: null }),
      subnetId: fc.oneof(fc.constantFrom(1, 2), fc.integer({ min: 0, max: 0xffffffff })),
      validLifetime: fc.integer({ min: 0, max: 0xffffffff }),
      clttOffset: fc.integer({ min: -1e9, max: 1e9 }),
      // At most 120 code points: within normalizeLease's 255 UTF-16 units. No NUL: SQLite's NOCASE compares
      // texts only up to one.
      hostname: fc.option(
        fc.string({ maxLength: 120, unit: 'binary' }).map((s) => s.replaceAll('\0', '')),
        { nil: null },
      ),
      fqdnFwd: fc.boolean(),
      fqdnRev: fc.boolean(),
      state: fc.constantFrom(...(Object.keys(LEASE_STATE_CODES) as Lease['state'][])),
      userContext: fc.option(json, { nil: null }),
    })
    .map(({ clttOffset, fqdnFwd, fqdnRev, hostname, ...fields }) => {
      const cltt = T0 + clttOffset;
      return {
        ...fields,
        address: `10.1.${index >> 8}.${index & 255}`,
        cltt,
        expiresAt: cltt + fields.validLifetime * 1000,
        hostname,
        ...(fqdnFwd ? { fqdnFwd } : {}),
        ...(fqdnRev ? { fqdnRev } : {}),
      } satisfies Lease;
    });

const leases: fc.Arbitrary<Lease[]> = fc
  .integer({ min: 1, max: 12 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => lease(i))));

const byAddress = (a: Lease, b: Lease): number => ipv4ToNumber(a.address) - ipv4ToNumber(b.address);

/** Every read the store answers for `expected` gives exactly it. */
async function assertReadsBack(store: SqliteLeaseStore, written: readonly Lease[]): Promise<void> {
  const sorted = [...written].sort(byAddress);
  assert.deepEqual(await store.getAll(), sorted);
  for (const expected of written) {
    assert.deepEqual(await store.get(expected.address), expected);
    const same = (pick: (l: Lease) => boolean): Lease[] => sorted.filter(pick);
    assert.deepEqual(
      await store.getByHwAddress(expected.hwAddress),
      same((l) => l.hwAddress === expected.hwAddress),
    );
    assert.deepEqual(
      await store.getByHwAddress(expected.hwAddress, expected.subnetId),
      same((l) => l.hwAddress === expected.hwAddress && l.subnetId === expected.subnetId),
    );
    if (expected.clientId !== null) {
      assert.deepEqual(
        await store.getByClientId(expected.clientId, expected.subnetId),
        same((l) => l.clientId === expected.clientId && l.subnetId === expected.subnetId),
      );
    }
    if (expected.hostname !== null) {
      const name = expected.hostname.toLowerCase();
      // SQLite's NOCASE folds ASCII letters only.
      const ascii = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
      if (name === ascii(expected.hostname)) {
        assert.deepEqual(
          await store.getByHostname(expected.hostname),
          same((l) => l.hostname !== null && ascii(l.hostname) === ascii(expected.hostname!)),
        );
      }
    }
    assert.deepEqual(
      await store.getAll({ subnetIds: [expected.subnetId] }),
      same((l) => l.subnetId === expected.subnetId),
    );
  }
  // By expiry (no index since `lease4_expires` was dropped: the table's scan), at each lease's expiry and with a limit.
  for (const { expiresAt: now } of written) {
    const expired = sorted
      .filter((l) => l.expiresAt <= now && l.state !== 'expired-reclaimed')
      .sort((a, b) => a.expiresAt - b.expiresAt || byAddress(a, b));
    assert.deepEqual(await store.listExpired(now), expired);
    assert.deepEqual(await store.listExpired(now, 2), expired.slice(0, 2));
  }
}

describe('sqlite schema: every lease field survives a write and a read-back', () => {
  for (const writer of ['inline', 'worker'] as const) {
    it(`(${writer} writer) through every read, and across a reopen`, async () => {
      const tmp = tempDir();
      const path = join(tmp.dir, 'leases.db');
      try {
        await fc.assert(
          // Then each address of the second list written over (same subnet or another): an update of every field.
          fc.asyncProperty(leases, leases, async (first, second) => {
            let store = await SqliteLeaseStore.open({ path, writer });
            await store.wipe();
            for (const l of first) assert.ok((await store.commit(l, { mode: 'upsert', now: T0 })).ok);
            await assertReadsBack(store, first);
            for (const l of second) assert.ok((await store.commit(l, { mode: 'upsert', now: T0 })).ok);
            const written = [...new Map([...first, ...second].map((l) => [l.address, l])).values()];
            await assertReadsBack(store, written);
            await store.close();
            store = await SqliteLeaseStore.open({ path, writer });
            await assertReadsBack(store, written);
            await store.close();
          }),
          { numRuns: 25 },
        );
      } finally {
        tmp.remove();
      }
    });
  }
});

function indexNames(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'lease4_%' ORDER BY name")
      .pluck()
      .all() as string[];
  } finally {
    db.close();
  }
}

function userVersion(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

describe('sqlite schema: migration to the current version', () => {
  for (const version of [1, 2, 3] as const) {
    it(`a version ${version} file with leases opens at version ${SCHEMA_VERSION}, every lease field kept`, async () => {
      const tmp = tempDir();
      try {
        let file = 0;
        await fc.assert(
          fc.asyncProperty(leases, async (drawn) => {
            // Schema 1 has no DDNS flags: its leases have none.
            const written = drawn.map((l) => {
              if (version > 1) return l;
              const { fqdnFwd: _fwd, fqdnRev: _rev, ...rest } = l;
              return rest;
            });
            const path = join(tmp.dir, `v${version}-${file++}.db`);
            writeOldFile(path, version, written);
            assert.notEqual(checkLeaseFile(path), null, 'the old file passes the check');
            const store = await SqliteLeaseStore.open({ path, writer: 'worker' });
            try {
              assert.equal(userVersion(path), SCHEMA_VERSION);
              await assertReadsBack(store, written);
              const renewed = {
                ...written[0]!,
                cltt: written[0]!.cltt + 1000,
                expiresAt: written[0]!.expiresAt + 1000,
              };
              assert.ok((await store.commit(renewed, { mode: 'upsert', now: T0 })).ok);
              assert.deepEqual(await store.get(renewed.address), renewed);
            } finally {
              await store.close();
            }
            assert.deepEqual(indexNames(path), ['lease4_reclaimed', 'lease4_subnet']);
            assert.notEqual(checkLeaseFile(path), null, 'the migrated file passes the check');
          }),
          { numRuns: 8 },
        );
      } finally {
        tmp.remove();
      }
    });
  }

  it(`a version ${SCHEMA_VERSION} file rebuilt from an older file's dump loses the dropped indexes at open`, async () => {
    const tmp = tempDir();
    try {
      const path = join(tmp.dir, 'rebuilt.db');
      writeOldFile(path, 3, []);
      const db = new Database(path);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      db.close();
      const store = await SqliteLeaseStore.open({ path });
      await store.close();
      assert.deepEqual(indexNames(path), ['lease4_reclaimed', 'lease4_subnet']);
    } finally {
      tmp.remove();
    }
  });

  it(`a version ${SCHEMA_VERSION} file with lease4_expires loses it at open and still lists expired leases`, async () => {
    const tmp = tempDir();
    try {
      const path = join(tmp.dir, 'v4-expires.db');
      const leases = Array.from({ length: 6 }, (_, i) =>
        makeLease({
          address: `10.0.0.${i}`,
          cltt: T0 + (i % 3) * 1000,
          ...(i === 4 ? { state: 'expired-reclaimed' as const } : {}),
        }),
      );
      let store = await SqliteLeaseStore.open({ path });
      for (const l of leases) assert.ok((await store.commit(l, { mode: 'upsert', now: T0 })).ok);
      await store.close();
      // As the leasekeeper before this change left a schema 4 file.
      const db = new Database(path);
      db.exec('CREATE INDEX lease4_expires ON lease4 (expires_at) WHERE state <> 2');
      db.close();
      store = await SqliteLeaseStore.open({ path, writer: 'worker' });
      try {
        assert.deepEqual(indexNames(path), ['lease4_reclaimed', 'lease4_subnet']);
        await assertReadsBack(store, leases);
        const addresses = (list: readonly Lease[]): string[] => list.map((l) => l.address);
        assert.deepEqual(addresses(await store.listExpired(T0 + 3_601_000)), [
          '10.0.0.0',
          '10.0.0.3',
          '10.0.0.1',
        ]);
      } finally {
        await store.close();
      }
      assert.equal(userVersion(path), SCHEMA_VERSION);
      assert.notEqual(checkLeaseFile(path), null);
    } finally {
      tmp.remove();
    }
  });

  it('a new file has only the indexes docs/leases.md lists', async () => {
    const tmp = tempDir();
    try {
      const path = join(tmp.dir, 'new.db');
      const store = await SqliteLeaseStore.open({ path });
      await store.close();
      assert.deepEqual(indexNames(path), ['lease4_reclaimed', 'lease4_subnet']);
      assert.equal(userVersion(path), SCHEMA_VERSION);
      assert.notEqual(checkLeaseFile(path), null);
    } finally {
      tmp.remove();
    }
  });
});
