// The SQLite store on a full disk (a 2 MiB tmpfs filled up): writes fail with ERR_LEASE_STORE_IO and nothing is
// acknowledged, a little freed space is enough to resume (the WAL is checkpointed and truncated), and a start
// on a full disk leaves no empty file behind. Needs root (mount).
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { requiring } from '../lab/needs.ts';
import { LeaseStoreError } from '../../src/leases/errors.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { MessageType } from '../../src/protocol/index.ts';
import {
  CLIENT_MAC,
  discoverOffer,
  messageTypeOf,
  request,
  virtualLab,
  type VirtualLab,
} from '../runtime/helpers.ts';
import { makeLease, T0 } from './fixtures.ts';
import { assertOutageLogged, captureLogs } from './log-capture.ts';
import { mountSmallDisk } from './tmpfs.ts';

const { describe, it } = requiring('root');

function leaseNumber(i: number, cltt = T0): Lease {
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  return makeLease({
    address: `198.18.${i >> 8}.${i & 255}`,
    hwAddress: `02:00:00:00:${hex(i >> 8)}:${hex(i & 255)}`,
    clientId: null,
    hostname: `host-${i}`,
    cltt,
  });
}

async function failure(p: Promise<unknown>): Promise<LeaseStoreError | null> {
  try {
    await p;
    return null;
  } catch (error) {
    assert.ok(error instanceof LeaseStoreError, String(error));
    return error;
  }
}

for (const writer of ['inline', 'worker'] as const) {
  describe(`sqlite on a full disk (${writer} writer)`, () => {
    it('resumes once 128 KiB are free again, without a restart, and keeps every acknowledged lease', async () => {
      const disk = mountSmallDisk();
      const path = join(disk.dir, 'leases4.sqlite');
      let store: SqliteLeaseStore | undefined;
      try {
        store = await SqliteLeaseStore.open({ path, writer });
        const acknowledged = new Map<string, Lease>();
        for (let i = 0; i < 40; i++) {
          const lease = leaseNumber(i);
          await store.commit(lease);
          acknowledged.set(lease.address, lease);
        }
        disk.fill();
        let refused: LeaseStoreError | null = null;
        for (let i = 40; i < 5000 && refused === null; i++) {
          const lease = leaseNumber(i);
          refused = await failure(store.commit(lease));
          if (refused === null) acknowledged.set(lease.address, lease);
        }
        assert.equal(refused?.code, 'ERR_LEASE_STORE_IO', 'the full disk is reported as an I/O failure');
        assert.match(refused!.message, /full/);
        // SQLite's own code, so the runtime can tell a full disk from other failures, from either writer.
        assert.equal((refused!.cause as { code?: unknown } | undefined)?.code, 'SQLITE_FULL');
        // Still full: every write keeps failing, none is acknowledged.
        for (let i = 0; i < 20; i++)
          assert.notEqual(await failure(store.commit(leaseNumber(4000 + i))), null);

        disk.free(128 * 1024);
        // A server's steady state: renewals. Before the WAL was truncated on failure, these kept growing the
        // WAL until it reached 1,000 pages (about 4 MiB), so 128 KiB let only a handful through.
        const held = [...acknowledged.values()];
        let failed = 0;
        for (let round = 0; round < 1000; round++) {
          const renewed = { ...held[round % held.length]!, cltt: T0 + round * 1000 };
          const renewal = { ...renewed, expiresAt: renewed.cltt + renewed.validLifetime * 1000 };
          if ((await failure(store.commit(renewal))) === null) acknowledged.set(renewal.address, renewal);
          else failed++;
        }
        assert.equal(failed, 0, 'every renewal after 128 KiB came back was committed');

        await store.close();
        store = await SqliteLeaseStore.open({ path, writer });
        for (const lease of acknowledged.values()) assert.deepEqual(await store.get(lease.address), lease);
      } finally {
        await store?.close().catch(() => undefined);
        disk.unmount();
      }
    });
  });
}

describe('sqlite: starting on a full disk', () => {
  it('fails to open, leaves no empty lease file behind, and opens once there is space', async () => {
    const disk = mountSmallDisk();
    const path = join(disk.dir, 'leases4.sqlite');
    try {
      disk.fill();
      const error = await failure(SqliteLeaseStore.open({ path, writer: 'worker' }));
      assert.equal(error?.code, 'ERR_LEASE_STORE_OPEN');
      assert.equal(existsSync(path), false, 'no 0-byte lease file');
      assert.deepEqual(
        readdirSync(disk.dir).filter((f) => f.startsWith('leases4')),
        [],
      );
      disk.free(256 * 1024);
      const store = await SqliteLeaseStore.open({ path, writer: 'worker' });
      try {
        await store.commit(leaseNumber(1));
        assert.equal((await store.getAll()).length, 1);
      } finally {
        await store.close();
      }
    } finally {
      disk.unmount();
    }
  });
});

describe('the server on a full disk', () => {
  it('sends no ACK while the disk is full, logs one line for it, and serves again once space is back', async () => {
    const disk = mountSmallDisk();
    const { logger, records } = captureLogs();
    const now = Date.now();
    let lab: VirtualLab | undefined;
    try {
      const store = await SqliteLeaseStore.open({ path: join(disk.dir, 'leases4.sqlite'), writer: 'worker' });
      lab = await virtualLab({ store, logger, clock: () => now });
      const offer = await discoverOffer(lab);
      const ask = (xid: number): Promise<void> =>
        lab!.send(request(MessageType.REQUEST, { requested: offer.yiaddr, serverId: '198.18.0.1', xid }));
      disk.fill();
      const outageBegan = performance.now();
      for (let xid = 1; xid <= 30; xid++) {
        await ask(xid);
        assert.equal(await lab.reply(200), undefined, `no ACK for REQUEST ${xid} while the disk is full`);
      }
      assert.equal(await lab.store.get(offer.yiaddr), null);
      assertOutageLogged(records, performance.now() - outageBegan);
      assert.equal(lab.server.target.status().leaseStore?.state, 'failing');

      disk.free(128 * 1024);
      let ack;
      // The client retries; the first retry after space came back is answered (bounded in case it is not).
      for (let xid = 100; xid < 110 && ack === undefined; xid++) {
        await ask(xid);
        ack = await lab.reply(1000);
      }
      assert.equal(ack && messageTypeOf(ack), MessageType.ACK);
      assert.equal((await lab.store.get(offer.yiaddr))?.hwAddress, CLIENT_MAC);
      assert.equal(lab.server.target.status().leaseStore?.state, 'ok');
      assert.equal(records.filter((r) => /lease store recovered/.test(r.msg)).length, 1);
    } finally {
      await lab?.close().catch(() => undefined);
      disk.unmount();
    }
  });
});
