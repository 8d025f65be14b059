// The DDNS queue in a PostgreSQL lease database (table leasekeeper_ddns4): a removal pending while DNS is down
// survives a restart of the server and is sent once DNS is back; several servers sharing the database never take
// the same pending change, and one that dies without handing its changes back has them adopted by a live one.
// A throwaway PostgreSQL cluster (root, Debian's postgresql); DNS is a stand-in on loopback.
import assert from 'node:assert/strict';
import pg from 'pg';
import { compileBehaviour, compileDdns } from '../../src/config/ddns.ts';
import { compileConfig } from '../../src/config/index.ts';
import { openLeaseStore } from '../../src/leases/open.ts';
import { PostgresLeaseStore } from '../../src/leases/index.ts';
import { DdnsService, PostgresQueueStorage, type DdnsQueueStorage } from '../../src/runtime/ddns/index.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { startServer } from '../../src/runtime/server.ts';
import { VirtualNetwork } from '../../src/transport/virtual/index.ts';
import { eventually } from '../interop/harness.ts';
import { requiring } from '../lab/needs.ts';
import { makeLease } from '../leases/fixtures.ts';
import { useTempCluster, type TempCluster } from '../leases/pg-cluster.ts';
import { deletesA, standInDns, type StandInDns } from './stand-in-dns.ts';

const { after, before, describe, it } = requiring('root', 'postgresql');
const silent = createLogger({ level: 'silent' });
const DESK = makeLease({
  address: '198.18.0.100',
  hostname: 'desk.example.com',
  fqdnFwd: true,
  fqdnRev: true,
  hwAddress: '02:00:00:00:dd:01',
});

function config(dns: StandInDns) {
  const servers = [{ 'ip-address': '127.0.0.1', port: dns.port }];
  return compileConfig({
    Dhcp4: {
      'interfaces-config': { interfaces: ['eth0'] },
      'valid-lifetime': 600,
      'dhcp-ddns': { 'enable-updates': true },
      'ddns-qualifying-suffix': 'example.com',
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.150' }] }],
    },
    DhcpDdns: {
      'dns-server-timeout': 100,
      'forward-ddns': { 'ddns-domains': [{ name: 'example.com.', 'dns-servers': servers }] },
      'reverse-ddns': { 'ddns-domains': [{ name: '18.198.in-addr.arpa.', 'dns-servers': servers }] },
    },
  });
}

describe('DDNS queue in PostgreSQL', () => {
  let cluster: TempCluster;
  let admin: pg.Pool;
  after(async () => {
    await admin?.end();
  });
  // Registered after the hook above: hooks run in order, so the cluster stops once its users have.
  useTempCluster({ before, after }, (started) => (cluster = started));

  it('a removal pending while DNS is down survives a server restart and is sent when DNS is back', async () => {
    const connection = cluster.connection(await cluster.createDatabase('ddns_restart'));
    admin = new pg.Pool(connection);
    const dns = await standInDns();
    const net = new VirtualNetwork();
    const host = net.createHost('srv');
    host.attach(net.createLink('lan'), {
      ifname: 'eth0',
      mac: '02:00:00:00:00:01',
      addresses: ['198.18.0.1/24'],
    });
    const start = async () =>
      startServer({
        config: config(dns),
        store: await openLeaseStore({ type: 'postgresql', connection }),
        transport: {
          transport: host.openTransport({ port: 67 }),
          interfaces: [{ name: 'eth0', addresses: [{ address: '198.18.0.1', prefixLength: 24 }] }],
        },
        logger: silent,
        control: false,
      });
    try {
      const first = await start();
      assert.equal((await first.store.commit(DESK)).ok, true);
      await eventually(
        async () => (first.ddns.pending === 0 ? true : undefined),
        10_000,
        'the add to be sent',
      );
      dns.down = true;
      await first.store.remove(DESK.address);
      await eventually(
        async () => (first.ddns.statistics()['update-timeout']! >= 1 ? true : undefined),
        10_000,
        'the removal to time out',
      );
      await first.stop();
      const { rows } = await admin.query<{ kind: string; fqdn: string; free: boolean }>(
        "SELECT kind, fqdn, claimed_until = '-infinity' AS free FROM leasekeeper_ddns4",
      );
      assert.deepEqual(
        rows,
        [{ kind: 'remove', fqdn: 'desk.example.com', free: true }],
        'handed back at stop',
      );
      assert.equal(dns.received.filter(deletesA('desk.example.com')).length, 1, 'tried once, unanswered');

      dns.down = false;
      const second = await start();
      try {
        await eventually(
          async () => (dns.received.filter(deletesA('desk.example.com')).length >= 2 ? true : undefined),
          10_000,
          'the removal to reach DNS after the restart',
        );
        await eventually(
          async () =>
            (await admin.query('SELECT 1 FROM leasekeeper_ddns4')).rowCount === 0 ? true : undefined,
          10_000,
          'the finished removal to leave the table',
        );
        assert.equal(second.ddns.pending, 0);
      } finally {
        await second.stop();
      }
    } finally {
      dns.close();
    }
  });

  it("servers sharing the database: no change is taken twice, and a dead server's changes are adopted", async () => {
    const connection = cluster.connection(await cluster.createDatabase('ddns_shared'));
    const stores = await Promise.all(
      [0, 1, 2].map(() => PostgresLeaseStore.open({ connection, listen: false })),
    );
    const [a, b, c] = stores.map(
      (s, i) =>
        new PostgresQueueStorage({ query: s.coordination().query, claimMs: 500, owner: `server-${i}` }),
    ) as [PostgresQueueStorage, PostgresQueueStorage, PostgresQueueStorage];
    const dns = await standInDns();
    const fail = { add: (p: string, m: string) => assert.fail(`${p}: ${m}`) };
    const servers = [{ 'ip-address': '127.0.0.1', port: dns.port }];
    const ddns = compileDdns(
      { 'enable-updates': true },
      {
        'dns-server-timeout': 100,
        'forward-ddns': { 'ddns-domains': [{ name: 'example.com.', 'dns-servers': servers }] },
      },
      fail,
    );
    const behaviour = compileBehaviour([{}], 'Dhcp4', fail);
    const service = (storage: DdnsQueueStorage) =>
      new DdnsService({
        ddns: () => ddns,
        behaviour: () => behaviour,
        logger: silent,
        storage,
        adoptEveryMs: 100,
      });
    try {
      // 40 pending changes left by a server that stopped cleanly: two servers starting at once split them.
      const left = Array.from({ length: 40 }, (_, i) => ({
        key: `gone-${i}`,
        queuedAt: i,
        change: {
          kind: 'remove' as const,
          fqdn: `h${i}.example.com`,
          address: `198.18.0.${i + 1}`,
          dhcid: 'AAEB',
          ttl: 300,
          forward: true,
          reverse: false,
          mode: 'no-check-without-dhcid' as const,
        },
      }));
      await c.write(left, []);
      await c.close();
      const [takenByA, takenByB] = await Promise.all([a.take(40), b.take(40)]);
      const keysA = new Set(takenByA.map((e) => e.key));
      assert.equal(takenByA.length + takenByB.length, 40, 'every change taken');
      assert.deepEqual(
        takenByB.filter((e) => keysA.has(e.key)),
        [],
        'none taken twice',
      );
      await stores[0]!.coordination().query('DELETE FROM leasekeeper_ddns4', []);

      // Server 0 queues a removal while DNS is down, then dies: its claim is not handed back.
      dns.down = true;
      // A crash: nothing is handed back at the end.
      const crashed: DdnsQueueStorage = {
        where: a.where,
        take: (n) => a.take(n),
        write: (added, done) => a.write(added, done),
        close: async () => undefined,
      };
      const dying = service(crashed);
      await dying.start();
      dying.onLeaseChange({ kind: 'removed', lease: DESK, previous: null });
      await eventually(
        async () =>
          ((await stores[1]!.coordination().query('SELECT 1 FROM leasekeeper_ddns4', [])) as pg.QueryResult)
            .rowCount === 1
            ? true
            : undefined,
        10_000,
        'the removal to be stored',
      );
      await dying.stop();
      const triedBefore = dns.received.filter(deletesA('desk.example.com')).length;
      dns.down = false;
      const live = service(b);
      await live.start();
      assert.equal(live.pending, 0, 'still claimed by the dead server');
      await eventually(
        async () =>
          dns.received.filter(deletesA('desk.example.com')).length > triedBefore && live.pending === 0
            ? true
            : undefined,
        10_000,
        'the live server to adopt and send the removal once the claim ran out',
      );
      await live.stop();
    } finally {
      dns.close();
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
