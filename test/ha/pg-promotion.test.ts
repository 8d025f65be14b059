/**
 * A server whose lease-database `host` lists a primary and its streaming standby (libpq's multi-host form):
 * it writes to the primary; the primary dies and the standby is promoted in the middle of the run; the
 * server follows it without a restart, keeps every lease it acknowledged and goes on granting new ones.
 */
import assert from 'node:assert/strict';
import { requiring } from '../lab/needs.ts';
import pg from 'pg';
import { compileConfig } from '../../src/config/index.ts';
import { postgresFromKea } from '../../src/leases/kea-postgres.ts';
import { openLeaseStore } from '../../src/leases/open.ts';
import type { PostgresLeaseStore } from '../../src/leases/postgres.ts';
import { intToIp } from '../../src/protocol/index.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { startServer, type ServerRuntime } from '../../src/runtime/server.ts';
import { VirtualNetwork } from '../../src/transport/virtual/index.ts';
import { startReplicaPair, type ReplicaPair } from '../leases/pg-replica.ts';
import { Client, until } from './helpers.ts';

const { after, before, describe, it } = requiring('root', 'postgresql');

describe('a primary/standby PostgreSQL failover under a running server', () => {
  let pair: ReplicaPair | null = null;
  let server: ServerRuntime | null = null;
  const clients: Client[] = [];
  before(async () => {
    pair = await startReplicaPair();
    process.on('exit', () => pair?.stopSync());
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await pair?.stop();
  });

  it('follows the promoted standby and loses no acknowledged lease', async () => {
    const database = await pair!.createDatabase('promotion');
    const config = compileConfig({
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'] },
        'lease-database': {
          type: 'postgresql',
          name: database,
          host: `${pair!.primarySocket},${pair!.standbySocket}`,
          user: 'postgres',
          'connect-timeout': 2,
        },
        'valid-lifetime': 600,
        subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.199' }] }],
      },
    });
    const net = new VirtualNetwork();
    const lan = net.createLink('lan');
    const host = net.createHost('srv');
    host.attach(lan, { ifname: 'eth0', addresses: ['198.18.0.1/24'] });
    const store = await openLeaseStore(postgresFromKea(config.leaseDatabase).spec);
    assert.equal((store as PostgresLeaseStore).host, pair!.primarySocket);
    server = await startServer({
      config,
      store,
      transport: {
        transport: host.openTransport({ port: 67 }),
        interfaces: [{ name: 'eth0', addresses: [{ address: '198.18.0.1', prefixLength: 24 }] }],
      },
      logger: createLogger({ level: process.env['HA_TEST_LOG'] === undefined ? 'silent' : 'info' }),
      control: false,
    });
    const batch = (from: number, n: number): Client[] => {
      const made: Client[] = [];
      for (let i = from; i < from + n; i++) made.push(new Client(net, lan, i, '02:00:00:00:50'));
      clients.push(...made);
      for (const c of made) c.start();
      return made;
    };
    const first = batch(0, 8);
    await until('the first clients bound', () => first.every((c) => c.acks.length > 0));

    await pair!.promote();
    const second = batch(8, 8);
    await until('clients bound after the promotion', () => second.every((c) => c.acks.length > 0), 90_000);
    assert.equal((store as PostgresLeaseStore).host, pair!.standbySocket);

    const sql = new pg.Client({ host: pair!.standbySocket, user: 'postgres', database });
    await sql.connect();
    try {
      const { rows } = await sql.query<{ address: string; hw_address: string }>(
        'SELECT address, hw_address FROM leasekeeper_lease4 WHERE state = 0',
      );
      const holder = new Map(rows.map((r) => [intToIp(Number(r.address)), r.hw_address]));
      for (const c of [...first, ...second]) {
        for (const ack of c.acks)
          assert.equal(holder.get(ack.address), c.mac, `${c.mac}: ${ack.address} kept`);
      }
    } finally {
      await sql.end();
    }
  });
});
