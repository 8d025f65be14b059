// Damage in the lease file is refused at open with a message that says how to recover, and the file is left
// as it was: garbage in an index page (caught by quick_check), committed transactions that a damaged WAL
// frame would silently drop after a kill -9, and leases missing since the last clean shutdown (reported).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, openSync, readFileSync, truncateSync, statSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { LeaseStoreDamagedError, LeaseStoreError } from '../../src/leases/errors.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { loadStoreInPages } from '../../src/runtime/lease-load.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { startServer } from '../../src/runtime/server.ts';
import { VirtualNetwork } from '../../src/transport/virtual/index.ts';
import { config, virtualLab } from '../runtime/helpers.ts';
import { makeLease } from './fixtures.ts';
import { captureLogs } from './log-capture.ts';
import { tempDir } from './tmp.ts';

const PAGE = 4096;

function leaseNumber(i: number): Lease {
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  return makeLease({
    address: `198.18.${i >> 8}.${i & 255}`,
    hwAddress: `02:00:00:00:${hex(i >> 8)}:${hex(i & 255)}`,
    clientId: `01:02:00:00:00:${hex(i >> 8)}:${hex(i & 255)}`,
    hostname: `host-${i}`,
  });
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Overwrites `length` bytes at `offset` with a pattern no page holds. */
function scribble(path: string, offset: number, length: number): void {
  const garbage = Buffer.alloc(length, 0);
  for (let i = 0; i < length; i++) garbage[i] = (i * 37 + 11) & 0xff;
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, garbage, 0, length, offset);
  } finally {
    closeSync(fd);
  }
}

async function openFailure(path: string): Promise<LeaseStoreError> {
  try {
    const store = await SqliteLeaseStore.open({ path, writer: 'worker' });
    const loaded = (await store.getAll()).length;
    await store.close();
    assert.fail(`the damaged file was opened (${loaded} leases loaded)`);
  } catch (error) {
    if (!(error instanceof LeaseStoreError)) throw error;
    return error;
  }
}

/**
 * What `serve` does with the file: open it for reading with its check (quick_check) in a child process, load every
 * lease in pages, then the load waits for the check. Returns the error that stopped it and the leases it read.
 */
async function loadFailure(path: string): Promise<{ error: LeaseStoreError; loaded: number }> {
  let loaded = 0;
  let store: SqliteLeaseStore | undefined;
  try {
    store = await SqliteLeaseStore.open({ path, writer: 'worker', checkWhileReading: true });
    await loadStoreInPages(store, (page) => (loaded += page.length), 100);
    return assert.fail(`the damaged file was loaded (${loaded} leases)`);
  } catch (error) {
    if (!(error instanceof LeaseStoreError)) throw error;
    return { error, loaded };
  } finally {
    await store?.close();
  }
}

/** `serve` itself on the file (virtual interfaces): its start's error. */
async function serveFailure(path: string): Promise<unknown> {
  const net = new VirtualNetwork();
  const lan = net.createLink('lan');
  const host = net.createHost('srv');
  host.attach(lan, { ifname: 'eth0', addresses: ['198.18.0.1/24'] });
  try {
    const server = await startServer({
      config: config(),
      leaseFile: path,
      transport: {
        transport: host.openTransport({ port: 67 }),
        interfaces: [{ name: 'eth0', addresses: [{ address: '198.18.0.1', prefixLength: 24 }] }],
      },
      logger: createLogger({ level: 'silent' }),
      control: false,
    });
    await server.stop();
    return assert.fail('serve started on a damaged file');
  } catch (error) {
    return error;
  }
}

describe('sqlite: a damaged lease file', () => {
  it('with 4 KiB of garbage in an index page is refused with how to recover, and left untouched', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'leases4.sqlite');
    try {
      const store = await SqliteLeaseStore.open({ path, writer: 'worker' });
      await Promise.all(Array.from({ length: 3000 }, (_, i) => store.commit(leaseNumber(i))));
      await store.close();
      const again = await SqliteLeaseStore.open({ path, writer: 'worker' });
      assert.equal(typeof again.openReport.checkMs, 'number', 'the check at open is timed');
      await again.close();

      const raw = new Database(path, { readonly: true });
      const leaf = raw
        .prepare(
          "SELECT pageno FROM dbstat WHERE name = 'lease4_subnet' AND pagetype = 'leaf' LIMIT 1 OFFSET 3",
        )
        .pluck()
        .get() as number;
      raw.close();
      scribble(path, (leaf - 1) * PAGE, PAGE);
      const before = sha256(path);

      const error = await openFailure(path);
      assert.ok(error instanceof LeaseStoreDamagedError, String(error));
      assert.equal(error.code, 'ERR_LEASE_STORE_DAMAGED');
      assert.match(error.message, /is damaged \(quick_check: /);
      assert.match(error.message, /nothing was written/);
      assert.match(error.message, /To recover: stop every server .* \.dump/);
      assert.equal(sha256(path), before, 'the damaged file is not rewritten');

      // Checked in a child process while its leases load: the same error, once the load is done.
      const whileLoading = await loadFailure(path);
      assert.ok(whileLoading.error instanceof LeaseStoreDamagedError, String(whileLoading.error));
      assert.equal(whileLoading.error.message, error.message);
      assert.equal(whileLoading.loaded, 3000, 'the leases were read while the file was checked');
      assert.equal(sha256(path), before, 'the damaged file is not rewritten');
      const served = await serveFailure(path);
      assert.ok(served instanceof LeaseStoreDamagedError, String(served));
      assert.equal(served.message, error.message);
      assert.equal(sha256(path), before, 'the damaged file is not rewritten');
    } finally {
      tmp.remove();
    }
  });

  it('whose WAL is damaged after a kill -9 is refused instead of silently dropping the commits after the damage', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'leases4.sqlite');
    const crashed = join(tmp.dir, 'crashed.sqlite');
    try {
      // Inline: its connection checkpoints only at SQLite's automatic 1,000 pages (the writer thread's does
      // every few hundred frames), so the 100 transactions, one per lease, are all in the WAL.
      const store = await SqliteLeaseStore.open({ path, writer: 'inline' });
      for (let i = 0; i < 100; i++) await store.commit(leaseNumber(i));
      // What a kill -9 leaves: the database file and its WAL as they are on disk now.
      copyFileSync(path, crashed);
      copyFileSync(`${path}-wal`, `${crashed}-wal`);
      await store.close();

      // A torn last frame (power loss in the middle of a commit nobody was told about) is no damage.
      const torn = join(tmp.dir, 'torn.sqlite');
      copyFileSync(crashed, torn);
      copyFileSync(`${crashed}-wal`, `${torn}-wal`);
      truncateSync(`${torn}-wal`, statSync(`${torn}-wal`).size - 1000);
      const survivor = await SqliteLeaseStore.open({ path: torn, writer: 'worker' });
      assert.equal((await survivor.getAll()).length, 99);
      await survivor.close();

      const frames = Math.floor((statSync(`${crashed}-wal`).size - 32) / (24 + PAGE));
      const frameData = (n: number): number => 32 + (n - 1) * (24 + PAGE) + 24;

      // An earlier frame of the last transaction lost while its commit frame reached the disk: what a power
      // loss during that (unacknowledged) commit leaves. Reported, not refused.
      const lastTorn = join(tmp.dir, 'last-torn.sqlite');
      copyFileSync(crashed, lastTorn);
      copyFileSync(`${crashed}-wal`, `${lastTorn}-wal`);
      scribble(`${lastTorn}-wal`, frameData(frames - 1) + 512, 1024);
      const opened = await SqliteLeaseStore.open({ path: lastTorn, writer: 'worker' });
      assert.equal((await opened.getAll()).length, 99);
      assert.match(
        opened.openReport.warnings.join('\n'),
        /SQLite drops 1 committed transactions .*power loss/,
      );
      await opened.close();

      const damaged = Math.floor(frames / 2);
      scribble(`${crashed}-wal`, frameData(damaged) + 512, 1024);
      const before = sha256(`${crashed}-wal`);

      const error = await openFailure(crashed);
      assert.ok(error instanceof LeaseStoreDamagedError, String(error));
      assert.equal((await loadFailure(crashed)).error.message, error.message);
      assert.match(error.message, new RegExp(`WAL .* is damaged at frame ${damaged} of ${frames}`));
      assert.match(error.message, /SQLite drops \d+ committed transactions after it/);
      assert.match(error.message, /To recover/);
      assert.equal(sha256(`${crashed}-wal`), before, 'the WAL is kept as it is');
    } finally {
      tmp.remove();
    }
  });

  it('reports leases missing since the last clean shutdown', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'leases4.sqlite');
    try {
      let store = await SqliteLeaseStore.open({ path, writer: 'inline' });
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.commit(leaseNumber(i))));
      await store.close();
      // Leases lost between two runs (here deleted behind the server's back, as an older copy would lack them).
      const raw = new Database(path);
      raw.prepare('DELETE FROM lease4 WHERE address % 5 = 0').run();
      raw.close();

      store = await SqliteLeaseStore.open({ path, writer: 'worker' });
      assert.equal(store.openReport.warnings.length, 1);
      const missing = /holds 10 leases fewer than at the clean shutdown at .* \(40 now, 50 then\)/;
      assert.match(store.openReport.warnings[0]!, missing);
      // The server logs it, and how long the check at open took.
      const { logger, records } = captureLogs();
      const lab = await virtualLab({ store, logger });
      await lab.close();
      assert.ok(records.some((r) => r.level === 40 && missing.test(r.msg)));
      assert.ok(
        records.some((r) => /^lease file checked in \d+ ms \(WAL scan and quick_check\)/.test(r.msg)),
      );
      store = await SqliteLeaseStore.open({ path, writer: 'worker' });
      assert.deepEqual(store.openReport.warnings, [], 'reported once; this run closed cleanly with 40');
      await store.close();
    } finally {
      tmp.remove();
    }
  });
});
