/**
 * Three servers active-active on one PostgreSQL lease database, on a virtual LAN: each answers the clients
 * of its buckets, offers are claimed in the database, a server that dies (without saying goodbye) loses
 * its buckets to the others once its heartbeat row is older than max-response-delay, and takes them back
 * when it returns. At the end no address is held by two clients and every client's last ACK is in the
 * database.
 */
import assert from 'node:assert/strict';
import { requiring } from '../lab/needs.ts';
import pg from 'pg';
import { compileConfig } from '../../src/config/index.ts';
import { bucketOwner } from '../../src/ha/active-active.ts';
import { postgresFromKea } from '../../src/leases/kea-postgres.ts';
import { openLeaseStore } from '../../src/leases/open.ts';
import { intToIp } from '../../src/protocol/index.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { startServer, type ServerRuntime } from '../../src/runtime/server.ts';
import { VirtualNetwork } from '../../src/transport/virtual/index.ts';
import { keaLeaseDatabase, useTempCluster, type TempCluster } from '../leases/pg-cluster.ts';
import { activeActiveHooks, Client, until } from './helpers.ts';

const { after, before, describe, it } = requiring('root', 'postgresql');

const NAMES = ['lk1', 'lk2', 'lk3'] as const;
const ADDRESS: Record<string, string> = { lk1: '198.18.0.1', lk2: '198.18.0.2', lk3: '198.18.0.3' };
const CLIENTS = 24;

describe('active-active on one PostgreSQL database', () => {
  let cluster: TempCluster | null = null;
  const servers = new Map<string, ServerRuntime>();
  const clients: Client[] = [];
  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const s of servers.values()) await s.stop().catch(() => undefined);
  });
  // Registered after the hook above: hooks run in order, so the cluster stops once its users have.
  useTempCluster({ before, after }, (started) => (cluster = started));

  it('splits the clients, fails over a silent server and gives its clients back', async () => {
    const database = await cluster!.createDatabase('active_active');
    const leaseDatabase = keaLeaseDatabase(cluster!, database);
    const configFor = (name: string) =>
      compileConfig({
        Dhcp4: {
          'interfaces-config': { interfaces: ['eth0'] },
          'lease-database': leaseDatabase,
          // The client's floors: T1 at least 15 s, a lease at least 30 s.
          'valid-lifetime': 30,
          'renew-timer': 15,
          'rebind-timer': 16,
          'hooks-libraries': activeActiveHooks(name, 200, 1500),
          subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.199' }] }],
        },
      });
    const net = new VirtualNetwork();
    const lan = net.createLink('lan');
    const hosts = new Map<string, ReturnType<VirtualNetwork['createHost']>>(
      NAMES.map((name) => {
        const host = net.createHost(name);
        host.attach(lan, { ifname: 'eth0', addresses: [`${ADDRESS[name]}/24`] });
        return [name, host] as const;
      }),
    );
    const start = async (name: string): Promise<ServerRuntime> => {
      const config = configFor(name);
      const s = await startServer({
        config,
        store: await openLeaseStore(postgresFromKea(config.leaseDatabase).spec),
        transport: {
          transport: hosts.get(name)!.openTransport({ port: 67 }),
          interfaces: [{ name: 'eth0', addresses: [{ address: ADDRESS[name]!, prefixLength: 24 }] }],
        },
        logger: createLogger({ level: process.env['HA_TEST_LOG'] === undefined ? 'silent' : 'info' }),
        control: false,
      });
      servers.set(name, s);
      return s;
    };
    for (const name of NAMES) await start(name);
    const all = (): ServerRuntime[] => [...servers.values()];
    await until('every server sees three', () => all().every((s) => s.activeActive?.servers.length === 3));

    for (let i = 0; i < CLIENTS; i++) clients.push(new Client(net, lan, i, '02:00:00:00:30'));
    for (const c of clients) c.start();
    await until('every client bound', () => clients.every((c) => c.acks.length > 0));
    const ownerOf = (c: Client, alive: readonly string[]): string => bucketOwner(c.hash, alive)!;
    for (const c of clients) {
      assert.equal(
        c.acks[0]!.serverId,
        ADDRESS[ownerOf(c, NAMES)],
        `${c.mac} answered by its bucket's owner`,
      );
    }
    assert.ok(new Set(clients.map((c) => ownerOf(c, NAMES))).size === 3, 'all three servers have clients');

    // lk2 loses its database and dies without leaving: the others wait out max-response-delay.
    const victim = servers.get('lk2')!;
    await victim.store.close();
    await victim.stop();
    servers.delete('lk2');
    const survivors = ['lk1', 'lk3'];
    await until('the survivors see two', () => all().every((s) => s.activeActive?.servers.length === 2));
    const downAt = Date.now();
    const orphans = clients.filter((c) => ownerOf(c, NAMES) === 'lk2');
    assert.ok(orphans.length > 0);
    await until('the orphans served by their new owners', () =>
      orphans.every((c) =>
        c.acks.some((a) => a.at > downAt && a.serverId === ADDRESS[ownerOf(c, survivors)]),
      ),
    );
    // Only lk2's clients moved (rendezvous hashing).
    for (const c of clients.filter((x) => ownerOf(x, NAMES) !== 'lk2')) {
      assert.equal(ownerOf(c, survivors), ownerOf(c, NAMES));
    }

    // lk2 returns and takes its clients back.
    await start('lk2');
    await until('every server sees three again', () =>
      all().every((s) => s.activeActive?.servers.length === 3),
    );
    const backAt = Date.now();
    await until('lk2 serves its clients again', () =>
      orphans.every((c) => c.acks.some((a) => a.at > backAt && a.serverId === ADDRESS['lk2'])),
    );

    // The database: no address held by two clients, and each client's last ACK is there.
    const sql = new pg.Client(cluster!.connection(database));
    await sql.connect();
    try {
      const { rows } = await sql.query<{ address: string; hw_address: string }>(
        'SELECT address, hw_address FROM leasekeeper_lease4 WHERE state = 0 AND expires_at > $1',
        [Date.now()],
      );
      const holder = new Map(rows.map((r) => [intToIp(Number(r.address)), r.hw_address]));
      assert.equal(new Set(rows.map((r) => r.hw_address)).size, rows.length, 'one address per client');
      for (const c of clients) {
        const last = c.acks.at(-1)!;
        assert.equal(holder.get(last.address), c.mac, `${c.mac}'s ACK of ${last.address} is in the database`);
      }
      const claims = await sql.query('SELECT count(*)::int AS n FROM leasekeeper_offer4');
      assert.ok((claims.rows[0] as { n: number }).n > 0, 'offers were claimed in the database');
    } finally {
      await sql.end();
    }
  });
});
