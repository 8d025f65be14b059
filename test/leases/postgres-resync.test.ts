/** Catching up after a LISTEN gap: what is re-read, page by page, and from which checkpoint. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { PgListener, type ListenResync } from '../../src/leases/postgres-listen.ts';
import { ipv4ToNumber } from '../../src/leases/address.ts';
import { ChangeHub } from '../../src/leases/changes.ts';
import { LocalWrites, resyncChangedSince, SNAPSHOT } from '../../src/leases/postgres-resync.ts';
import { leaseToRow } from '../../src/leases/row.ts';
import { PostgresLeaseStore } from '../../src/leases/postgres.ts';
import type { LeaseChange } from '../../src/leases/store.ts';
import { until } from '../ha/helpers.ts';
import { requiring } from '../lab/needs.ts';
import { makeLease } from './fixtures.ts';
import { type TempCluster, useTempCluster } from './pg-cluster.ts';

const { after, before, describe, it } = requiring('root', 'postgresql');

let cluster: TempCluster | null = null;
let databases = 0;

useTempCluster({ before, after }, (started) => (cluster = started));

async function freshDatabase(): Promise<pg.PoolConfig> {
  return cluster!.connection(await cluster!.createDatabase(`resync_${process.pid}_${databases++}`));
}

const address = (i: number): string => `10.9.0.${i}`;

/** bigint columns as numbers, as the store reads them. */
function numeric(connection: pg.PoolConfig): pg.ClientConfig {
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format ?? 'text'),
  } as pg.CustomTypesConfig;
  return { ...connection, types };
}

describe('PostgreSQL LISTEN catch-up', () => {
  it('re-reads in pages every row written or removed after a snapshot, and nothing before it', async () => {
    const connection = await freshDatabase();
    const store = await PostgresLeaseStore.open({ connection, listen: false });
    const client = new pg.Client(numeric(connection));
    await client.connect();
    try {
      for (let i = 1; i <= 3; i++) await store.commit(makeLease({ address: address(i) }));
      const { rows } = await client.query<{ snapshot: string }>(SNAPSHOT);
      // After the snapshot: five new leases, one renewed, one removed (removed twice over: written again after).
      for (let i = 10; i < 15; i++) await store.commit(makeLease({ address: address(i) }));
      await store.commit(makeLease({ address: address(1), hostname: 'renewed' }));
      await store.remove(address(2));
      await store.remove(address(3));
      await store.commit(makeLease({ address: address(3), hostname: 'again' }));
      const changes: LeaseChange[] = [];
      const count = await resyncChangedSince({
        client,
        since: rows[0]!.snapshot,
        deliver: (c) => changes.push(c),
        onBadRow: (error) => assert.fail(String(error)),
        pageSize: 2,
      });
      const seen = changes.map((c) => `${c.kind} ${c.lease.address} ${c.lease.hostname ?? ''}`.trim());
      assert.deepEqual(seen, [
        'added 10.9.0.1 renewed',
        'added 10.9.0.3 again',
        ...[10, 11, 12, 13, 14].map((i) => `added ${address(i)}`),
        'removed 10.9.0.2',
      ]);
      assert.equal(count, 8);
      assert.ok(changes.every((c) => c.origin === 'remote'));
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('a reconnection re-reads only the changes since the last checkpoint or reconnection', async () => {
    const connection = await freshDatabase();
    const writer = await PostgresLeaseStore.open({ connection, listen: false });
    const heard: LeaseChange[] = [];
    const listener = new PgListener({
      config: numeric(connection),
      ownSender: 'resync-test-listener',
      deliver: (c) => heard.push(c),
      retryMs: 50,
    });
    const backs: ListenResync[] = [];
    listener.watch({ failed: () => undefined, reconnected: (r) => backs.push(r) });
    await listener.start();
    const admin = new pg.Client(connection);
    await admin.connect();
    // The listener's connection: its statements (LISTEN, the re-read) all name the snapshot; the writer's none.
    const cut = async (): Promise<ListenResync> => {
      const before = backs.length;
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE '%snapshot%' AND pid <> pg_backend_pid()`,
      );
      assert.equal(rowCount, 1);
      await until('the listener is back', () => backs.length > before, 20_000);
      return backs.at(-1)!;
    };
    try {
      for (let i = 1; i <= 6; i++) await writer.commit(makeLease({ address: address(i) }));
      assert.equal(await listener.checkpoint(), true);
      // The checkpoint came after every change it covers was delivered.
      assert.equal(heard.length, 6);
      await writer.commit(makeLease({ address: address(7) }));
      await until('the change after the checkpoint is announced', () => heard.length === 7, 20_000);
      assert.equal((await cut()).rows, 1);
      assert.deepEqual(
        heard.slice(6).map((c) => c.lease.address),
        [address(7), address(7)],
        'announced, then re-read',
      );
      // A second outage re-reads from the reconnection's own snapshot: .8 only, not .7 again.
      await writer.commit(makeLease({ address: address(8) }));
      await until('.8 is announced', () => heard.length === 9, 20_000);
      assert.equal((await cut()).rows, 1);
      assert.equal(heard.at(-1)?.lease.address, address(8));
    } finally {
      await admin.end();
      await listener.stop();
      await writer.close();
    }
  });
});

test('a page read before one of our own commits, answered after it, does not undo that commit', async () => {
  const changes = new ChangeHub();
  const localWrites = new LocalWrites(changes);
  const ours = makeLease({ address: address(1), hostname: 'ours' });
  const stale = makeLease({ address: address(1), hostname: 'stale' });
  const other = makeLease({ address: address(2) });
  let queries = 0;
  // The first page's answer comes back after our commit of .1 was reported.
  const client = {
    query: async () => {
      if (queries++ > 0) return { rows: [] };
      changes.emit({ kind: 'added', lease: ours, previous: null, origin: 'local' });
      return { rows: [stale, other].map((l) => leaseToRow(l, ipv4ToNumber(l.address))) };
    },
  } as unknown as pg.ClientBase;
  const delivered: LeaseChange[] = [];
  const count = await resyncChangedSince({
    client,
    since: '1:1:',
    deliver: (c) => delivered.push(c),
    onBadRow: (error) => assert.fail(String(error)),
    localWrites,
  });
  assert.equal(count, 2);
  assert.deepEqual(
    delivered.map((c) => c.lease.address),
    [address(2)],
  );
  // Outside a re-read our writes are not tracked.
  changes.emit({ kind: 'added', lease: ours, previous: null, origin: 'local' });
  assert.equal(localWrites.wroteSince(address(1), 0), false);
});
