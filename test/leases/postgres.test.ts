import assert from 'node:assert/strict';
import { requiring } from '../lab/needs.ts';
import pg from 'pg';
import { PostgresLeaseStore } from '../../src/leases/postgres.ts';
import type { LeaseChange, LeaseStore } from '../../src/leases/store.ts';
import { runConformance } from './conformance.ts';
import { runDifferential } from './differential.ts';
import { makeLease } from './fixtures.ts';
import { useTempCluster, type TempCluster } from './pg-cluster.ts';

const { after, before, describe, it } = requiring('root', 'postgresql');

// One throwaway cluster for the whole file (initdb takes seconds); a fresh database per test.
let cluster: TempCluster | null = null;
let databases = 0;

async function freshDatabase(): Promise<pg.PoolConfig> {
  if (cluster === null) throw new Error('the PostgreSQL cluster is not running');
  return cluster.connection(await cluster.createDatabase(`leases_${process.pid}_${databases++}`));
}

useTempCluster({ before, after }, (started) => (cluster = started));

// Inside a suite so that a machine without PostgreSQL skips it with the rest.
describe('postgresql conformance', () => {
  runConformance({
    name: 'postgresql',
    persistent: true,
    shared: true,
    async create() {
      const connection = await freshDatabase();
      return {
        open: () => PostgresLeaseStore.open({ connection }),
        destroy: async () => undefined,
      };
    },
  });
});

describe('postgresql lease store', () => {
  let shared: pg.PoolConfig | null = null;
  runDifferential(
    'postgresql',
    async () => {
      shared ??= await freshDatabase();
      const store = await PostgresLeaseStore.open({ connection: shared, listen: false });
      await store.wipe();
      return { store, done: () => store.close() };
    },
    40,
  );

  /** Resolves with the first change `store` reports that `accept` takes (rejects after 20 s rather than hang). */
  function nextChange(store: LeaseStore, accept: (c: LeaseChange) => boolean): Promise<LeaseChange> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no change event arrived')), 20_000);
      const off = store.onChange((c) => {
        if (!accept(c)) return;
        off();
        clearTimeout(timer);
        resolve(c);
      });
    });
  }

  it('tells each server what the others leased (LISTEN/NOTIFY), and not its own changes twice', async () => {
    const connection = await freshDatabase();
    const a = await PostgresLeaseStore.open({ connection });
    const b = await PostgresLeaseStore.open({ connection });
    try {
      const seenByA: LeaseChange[] = [];
      a.onChange((c) => seenByA.push(c));
      const lease = makeLease({ address: '10.7.0.1', userContext: { relay: 'r1' } });
      const added = nextChange(b, (c) => c.origin === 'remote');
      await a.commit(lease);
      assert.deepEqual(await added, { kind: 'added', lease, previous: null, origin: 'remote' });

      const declined = nextChange(b, (c) => c.origin === 'remote');
      const now = await a.markDeclined('10.7.0.1', 60);
      const update = await declined;
      assert.equal(update.kind, 'updated');
      assert.deepEqual(update.lease, now);
      assert.deepEqual(update.previous, lease);

      const removed = nextChange(a, (c) => c.origin === 'remote');
      await b.remove('10.7.0.1');
      const removal = await removed;
      assert.equal(removal.kind, 'removed');
      assert.equal(removal.lease.address, '10.7.0.1');
      // A saw its own two changes once each (local) and B's removal once (remote).
      assert.deepEqual(
        seenByA.map((c) => `${c.origin} ${c.kind}`),
        ['local added', 'local updated', 'remote removed'],
      );
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('delivers every change of another server’s commit batch, an oversized user context left out', async () => {
    const connection = await freshDatabase();
    const a = await PostgresLeaseStore.open({ connection, listen: false });
    const b = await PostgresLeaseStore.open({ connection });
    try {
      const count = 300;
      const leases = Array.from({ length: count }, (_, i) =>
        makeLease({
          address: `10.7.${1 + (i >> 8)}.${i & 255}`,
          clientId: null,
          userContext: i === 7 ? { huge: 'x'.repeat(9000) } : { i },
        }),
      );
      const heard: LeaseChange[] = [];
      const all = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${heard.length} changes arrived`)), 20_000);
        b.onChange((c) => {
          if (c.origin === 'remote') heard.push(c);
          if (heard.length === count) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const results = await Promise.all(leases.map((l) => a.commit(l)));
      assert.ok(results.every((r) => r.ok));
      assert.equal(a.lastBatchSize, count);
      await all;
      assert.deepEqual(
        heard.map((c) => c.lease),
        leases.map((l, i) => (i === 7 ? { ...l, userContext: null } : l)),
      );
      assert.ok(heard.every((c) => c.kind === 'added'));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('announces changes made by any writer, e.g. an operator in psql', async () => {
    const connection = await freshDatabase();
    const store = await PostgresLeaseStore.open({ connection });
    const raw = new pg.Client(connection);
    await raw.connect();
    try {
      await store.commit(makeLease({ address: '10.7.0.2' }));
      const seen = nextChange(store, (c) => c.origin === 'remote');
      await raw.query("UPDATE leasekeeper_lease4 SET hostname = 'edited' WHERE address = $1", [
        (10 << 24) + (7 << 16) + 2,
      ]);
      const change = await seen;
      assert.equal(change.kind, 'updated');
      assert.equal(change.lease.hostname, 'edited');
    } finally {
      await raw.end();
      await store.close();
    }
  });

  it('gives every contested address to exactly one of four servers committing in batches', async () => {
    const connection = await freshDatabase();
    const servers = await Promise.all(
      [0, 1, 2, 3].map(() => PostgresLeaseStore.open({ connection, listen: false })),
    );
    try {
      const count = 400;
      // Each server walks the addresses in its own order, so batches overlap and lock in different orders.
      const outcomes = await Promise.all(
        servers.map((server, s) =>
          Promise.all(
            Array.from({ length: count }, (_, n) => {
              const i = s % 2 === 0 ? n : count - 1 - n;
              const address = `10.8.${i >> 8}.${i & 255}`;
              return server.commit(
                makeLease({ address, clientId: `01:0${s}`, hwAddress: `aa:00:00:00:00:0${s}` }),
              );
            }),
          ),
        ),
      );
      const winners = new Map<string, string>();
      for (const results of outcomes) {
        for (const r of results) {
          if (!r.ok) continue;
          assert.ok(!winners.has(r.lease.address), `${r.lease.address} won twice`);
          winners.set(r.lease.address, r.lease.clientId ?? '');
        }
      }
      assert.equal(winners.size, count);
      for (const results of outcomes) {
        for (const r of results) {
          if (r.ok) continue;
          assert.ok(r.reason === 'conflict');
          assert.equal(r.holder.clientId, winners.get(r.holder.address));
        }
      }
      const stored = await servers[0]?.getAll();
      assert.equal(stored?.length, count);
      for (const lease of stored ?? []) assert.equal(lease.clientId, winners.get(lease.address));
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });

  it('reconnects its LISTEN connection after losing it, says so, and hears the others again', async () => {
    const connection = await freshDatabase();
    let reconnected!: () => void;
    const back = new Promise<void>((resolve) => (reconnected = resolve));
    const listening = await PostgresLeaseStore.open({ connection, onListenReconnect: () => reconnected() });
    const writer = await PostgresLeaseStore.open({ connection, listen: false });
    const admin = new pg.Client(connection);
    await admin.connect();
    try {
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
      );
      assert.equal(rowCount, 1);
      await back;
      const heard = nextChange(listening, (c) => c.origin === 'remote');
      await writer.commit(makeLease({ address: '10.7.0.9' }));
      assert.equal((await heard).lease.address, '10.7.0.9');
    } finally {
      await admin.end();
      await writer.close();
      await listening.close();
    }
  });

  it('names a corrupt row and refuses an unreachable server with LeaseStoreOpenError', async () => {
    const connection = await freshDatabase();
    const store = await PostgresLeaseStore.open({ connection, listen: false });
    const raw = new pg.Client(connection);
    await raw.connect();
    try {
      await store.commit(makeLease({ address: '10.7.0.3' }));
      await raw.query("UPDATE leasekeeper_lease4 SET user_context = '{oops'");
      await assert.rejects(store.get('10.7.0.3'), { name: 'LeaseCorruptError', message: /10\.7\.0\.3/ });
    } finally {
      await raw.end();
      await store.close();
    }
    await assert.rejects(
      PostgresLeaseStore.open({ connection: { ...connection, host: '/nonexistent-socket-dir' } }),
      { name: 'LeaseStoreOpenError', code: 'ERR_LEASE_STORE_OPEN' },
    );
  });

  it('compares hostnames folding ASCII letters only in a database whose lower() folds I to dotless ı', async () => {
    if (cluster === null) throw new Error('the PostgreSQL cluster is not running');
    const name = `turkish_${process.pid}`;
    const admin = new pg.Client(cluster.connection('postgres'));
    await admin.connect();
    try {
      await admin.query(
        `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8' LOCALE_PROVIDER icu ICU_LOCALE 'tr-TR'`,
      );
    } finally {
      await admin.end();
    }
    const store = await PostgresLeaseStore.open({ connection: cluster.connection(name), listen: false });
    try {
      await store.commit(makeLease({ address: '10.7.0.4', hostname: 'IMAP.example' }));
      await store.commit(
        makeLease({ address: '10.7.0.5', hwAddress: 'aa:00:00:00:00:05', hostname: 'ımap.example' }),
      );
      const found = async (hostname: string): Promise<string[]> =>
        (await store.getByHostname(hostname)).map((l) => l.address);
      assert.deepEqual(await found('imap.EXAMPLE'), ['10.7.0.4']);
      assert.deepEqual(await found('ımap.example'), ['10.7.0.5'], 'the dotless ı is no I');
    } finally {
      await store.close();
    }
  });
});
