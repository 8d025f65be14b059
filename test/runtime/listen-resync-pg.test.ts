/**
 * Two servers sharing one PostgreSQL pool; one loses its LISTEN connection while the other leases, releases and
 * removes. On reconnecting it must re-read what it was not told, so its engine offers what is free and not what
 * the other server holds.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import { compileConfig, type CompiledConfig } from '../../src/config/index.ts';
import type { Logger } from 'pino';
import { postgresFromKea } from '../../src/leases/kea-postgres.ts';
import type { Lease } from '../../src/leases/lease.ts';
import type { ListenResync } from '../../src/leases/index.ts';
import { PostgresLeaseStore } from '../../src/leases/postgres.ts';
import { openLeaseStore } from '../../src/leases/open.ts';
import { MessageType } from '../../src/protocol/index.ts';
import { startServer, type ServerRuntime } from '../../src/runtime/server.ts';
import { VirtualNetwork } from '../../src/transport/virtual/index.ts';
import { until } from '../ha/helpers.ts';
import { requiring } from '../lab/needs.ts';
import { makeLease } from '../leases/fixtures.ts';
import { captureLogs } from '../leases/log-capture.ts';
import { keaLeaseDatabase, type TempCluster, useTempCluster } from '../leases/pg-cluster.ts';
import { ETH0, msg } from '../server/harness.ts';

const { after, before, describe, it } = requiring('root', 'postgresql');

let cluster: TempCluster | null = null;

useTempCluster({ before, after }, (started) => (cluster = started));

/** A lease of `mac`'s bound at `now` for an hour. */
function lease(address: string, mac: string, now: number, patch: Partial<Lease> = {}): Lease {
  return makeLease({ address, hwAddress: mac, clientId: null, cltt: now, ...patch });
}

/** What `engine` offers a new client, or null. */
function offerTo(server: ServerRuntime, mac: string): string | null {
  const out = server.engine.handle(msg(MessageType.DISCOVER, mac), ETH0, Date.now());
  const offer = out.replies.find((r) => r.message.options.get('dhcp-message-type') === MessageType.OFFER);
  return offer?.message.yiaddr ?? null;
}

/** A database with a three-address pool, and server A's configuration for it. */
async function sharedPool(
  name: string,
): Promise<{ config: CompiledConfig; store: () => Promise<PostgresLeaseStore> }> {
  const database = await cluster!.createDatabase(name);
  const config = compileConfig({
    Dhcp4: {
      'interfaces-config': { interfaces: ['eth0'] },
      'lease-database': keaLeaseDatabase(cluster!, database),
      'valid-lifetime': 3600,
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.102' }] }],
    },
  });
  const { spec } = postgresFromKea(config.leaseDatabase);
  return {
    config,
    store: async () => {
      const store = await openLeaseStore(spec);
      assert.ok(store instanceof PostgresLeaseStore);
      return store;
    },
  };
}

function startA(config: CompiledConfig, store: PostgresLeaseStore, logger: Logger): Promise<ServerRuntime> {
  return startServer({
    config,
    store,
    transport: {
      transport: new VirtualNetwork().createHost('srv-a').openTransport({ port: 67 }),
      interfaces: [{ name: 'eth0', addresses: [{ address: '198.18.0.1', prefixLength: 24 }] }],
    },
    logger,
    control: false,
  });
}

describe('LISTEN gap on a shared PostgreSQL pool', () => {
  it('applies what the other server changed while this one was loading its leases', async () => {
    const { config, store } = await sharedPool('listen_load');
    const storeA = await store();
    const b = await store();
    const now = Date.now();
    // While A loads, after it read the (empty) table, B leases .101 and A hears of it.
    const read = storeA.getPage.bind(storeA);
    let raced = false;
    storeA.getPage = async (from, limit) => {
      const page = await read(from, limit);
      if (raced) return page;
      raced = true;
      const heard = new Promise<void>((resolve) => {
        const off = storeA.onChange((c) => {
          if (c.lease.address !== '198.18.0.101') return;
          off();
          resolve();
        });
      });
      assert.ok((await b.commit(lease('198.18.0.101', '02:00:00:00:00:03', now))).ok);
      await heard;
      return page;
    };
    const a = await startA(config, storeA, captureLogs().logger);
    try {
      assert.ok(raced);
      assert.equal(a.engine.lease('198.18.0.101')?.hwAddress, '02:00:00:00:00:03');
      const offers = [offerTo(a, '02:00:00:00:01:01'), offerTo(a, '02:00:00:00:01:02')];
      assert.deepEqual(offers.sort(), ['198.18.0.100', '198.18.0.102']);
    } finally {
      await b.close();
      await a.stop();
    }
  });

  it('re-reads on reconnection every change the other server made meanwhile', async () => {
    const { config, store } = await sharedPool('listen_gap');
    const database = 'listen_gap';
    const storeA = await store();
    const { logger, records } = captureLogs();
    const a = await startA(config, storeA, logger);
    // B writes only; it does not listen, so A's is the database's one LISTEN connection.
    const b = await PostgresLeaseStore.open({ connection: cluster!.connection(database), listen: false });
    const admin = new pg.Client(cluster!.connection('postgres'));
    await admin.connect();
    let failures = 0;
    let onFailure = (): void => undefined;
    let onBack = (_: ListenResync): void => undefined;
    const unwatch = storeA.watchListen({
      failed: () => {
        failures++;
        onFailure();
      },
      reconnected: (resync) => onBack(resync),
    });
    try {
      const now = Date.now();
      // Before the gap, A hears B's leases as they are made.
      await b.commit(lease('198.18.0.100', '02:00:00:00:00:01', now));
      await b.commit(lease('198.18.0.102', '02:00:00:00:00:02', now));
      await until('A hears the leases B made', () => a.engine.lease('198.18.0.102') !== undefined, 20_000);
      assert.equal(a.engine.lease('198.18.0.100')?.hwAddress, '02:00:00:00:00:01');

      // The gap: A's LISTEN connection is cut and cannot come back until the database accepts connections again.
      const failed = new Promise<void>((resolve) => (onFailure = resolve));
      await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'`,
        [database],
      );
      assert.equal(rowCount, 1);
      await failed;

      // Meanwhile B releases .100, leases .101 and removes .102 (over the pool connection it already has).
      const released = await b.commit(
        lease('198.18.0.100', '02:00:00:00:00:01', now, { state: 'expired-reclaimed', expiresAt: now }),
        { mode: 'update' },
      );
      assert.ok(released.ok);
      assert.ok((await b.commit(lease('198.18.0.101', '02:00:00:00:00:03', now))).ok);
      assert.notEqual(await b.remove('198.18.0.102'), null);

      const back = new Promise<ListenResync>((resolve) => (onBack = resolve));
      await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
      const resync = await back;
      assert.ok(failures >= 1);

      assert.equal(a.engine.lease('198.18.0.100')?.state, 'expired-reclaimed');
      assert.equal(a.engine.lease('198.18.0.101')?.hwAddress, '02:00:00:00:00:03');
      assert.equal(a.engine.lease('198.18.0.102'), undefined);
      // New clients are offered what B freed, never what B holds.
      const offers = [offerTo(a, '02:00:00:00:01:01'), offerTo(a, '02:00:00:00:01:02')];
      assert.deepEqual(offers.sort(), ['198.18.0.100', '198.18.0.102']);

      // Three addresses changed since A's last checkpoint: .100 and .101 as they are now, .102 as removed.
      assert.equal(resync?.rows, 3);
      const recovered = records.filter((r) => /LISTEN connection back/.test(r.msg));
      assert.equal(recovered.length, 1);
      assert.match(recovered[0]!.msg, /re-read 3 lease row\(s\) changed meanwhile/);
    } finally {
      unwatch();
      await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`).catch(() => undefined);
      await admin.end();
      await b.close();
      await a.stop();
    }
  });
});
