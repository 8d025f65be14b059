/**
 * The PostgreSQL lease store in a database it shares with Kea's schema (`kea-admin db-init pgsql`): one
 * database as both `lease-database` and `hosts-database`, Kea's active leases imported once on the first start,
 * and a database of the earlier layout (our table named `lease4`) migrated with its leases.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { compileConfig } from '../../src/config/index.ts';
import { PostgresLeaseStore } from '../../src/leases/postgres.ts';
import { MessageType, decodeMessage } from '../../src/protocol/index.ts';
import { startServer, type ServerRuntime } from '../../src/runtime/server.ts';
import { encodeReply, settle } from '../../src/server/index.ts';
import { requiring } from '../lab/needs.ts';
import { captureLogs } from './log-capture.ts';
import { type TempCluster, useTempCluster } from './pg-cluster.ts';
import { ETH0, msg } from '../server/harness.ts';

const { after, before, describe, it } = requiring('root', 'postgresql', 'kea-admin');

let cluster: TempCluster | null = null;
let databases = 0;

useTempCluster({ before, after }, (started) => (cluster = started));

interface Database {
  readonly name: string;
  readonly socket: string;
  readonly connection: pg.PoolConfig;
  readonly sql: pg.Client;
}

/** A fresh database, with Kea's schema made by Kea's own tool when `kea` is set. */
async function database(kea: boolean): Promise<Database> {
  const name = await cluster!.createDatabase(`kea_share_${process.pid}_${databases++}`);
  const connection = cluster!.connection(name);
  const socket = connection.host as string;
  if (kea) {
    execFileSync(
      'runuser',
      ['-u', 'postgres', '--', 'kea-admin', 'db-init', 'pgsql', '-u', 'postgres', '-n', name, '-h', socket],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
  }
  const sql = new pg.Client(connection);
  await sql.connect();
  return { name, socket, connection, sql };
}

const ip = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);

/** Writes a lease into Kea's `lease4` as Kea's PgSqlLeaseMgr does: bytes for identifiers, `expire`, booleans. */
async function keaLease(
  sql: pg.Client,
  lease: {
    address: string;
    hwaddr: string;
    clientId?: string;
    expiresInS: number;
    state?: number;
    hostname?: string;
    userContext?: string;
  },
): Promise<void> {
  await sql.query(
    `INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev,
                         hostname, state, user_context)
     VALUES ($1, decode($2, 'hex'), decode($3, 'hex'), 3600, now() + make_interval(secs => $4), 1, true, false,
             $5, $6, $7)`,
    [
      ip(lease.address),
      lease.hwaddr.replaceAll(':', ''),
      (lease.clientId ?? '').replaceAll(':', ''),
      lease.expiresInS,
      lease.hostname ?? '',
      lease.state ?? 0,
      lease.userContext ?? null,
    ],
  );
}

const keaCount = async (sql: pg.Client): Promise<number> =>
  Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM lease4')).rows[0]!.n);

describe("PostgreSQL lease store beside Kea's schema", () => {
  it('serves from a database made by kea-admin as both lease-database and hosts-database, unchanged', async () => {
    const db = await database(true);
    const { logger, records } = captureLogs();
    const server = await (async (): Promise<ServerRuntime> => {
      try {
        // A lease a Kea server handed out from this pool, and a reservation in Kea's hosts table.
        await keaLease(db.sql, { address: '198.18.0.10', hwaddr: '02:00:00:00:0b:01', expiresInS: 3000 });
        await db.sql.query(
          `INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address, hostname)
           VALUES (decode('020000000b02', 'hex'), 0, 1, $1, 'printer')`,
          [ip('198.18.0.100')],
        );
        const entry = { type: 'postgresql', name: db.name, host: db.socket, user: 'postgres' };
        const config = {
          Dhcp4: {
            'lease-database': entry,
            'hosts-database': entry,
            'valid-lifetime': 3600,
            subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.20' }] }],
          },
        };
        return await startServer({ config: compileConfig(config), logger });
      } catch (error) {
        await db.sql.end();
        throw error;
      }
    })();
    try {
      /** DISCOVER then REQUEST from `mac`: the address acknowledged. */
      const exchange = async (mac: string): Promise<string> => {
        const now = Date.now();
        const offered = await settle(
          server.engine,
          server.engine.handle(msg(MessageType.DISCOVER, mac), ETH0, now),
          server.store,
          now,
        );
        const offer = decodeMessage(encodeReply(offered.replies[0]!));
        const request = msg(MessageType.REQUEST, mac, {
          options: {
            'dhcp-requested-address': offer.yiaddr,
            'dhcp-server-identifier': offer.options.get('dhcp-server-identifier')!,
          },
        });
        const acked = await settle(
          server.engine,
          server.engine.handle(request, ETH0, now),
          server.store,
          now,
        );
        const ack = decodeMessage(encodeReply(acked.replies[0]!));
        assert.equal(ack.options.get('dhcp-message-type'), MessageType.ACK, `ACK for ${mac}`);
        return ack.yiaddr;
      };
      assert.equal(
        await exchange('02:00:00:00:0b:02'),
        '198.18.0.100',
        "the reservation in Kea's hosts table",
      );
      const dynamic = await exchange('02:00:00:00:0b:03');
      assert.notEqual(dynamic, '198.18.0.10', 'the address Kea handed out is not handed out again');

      const ours = await db.sql.query<{ address: number; hw_address: string }>(
        'SELECT address, hw_address FROM leasekeeper_lease4 ORDER BY address',
      );
      assert.deepEqual(
        ours.rows.map((r) => [Number(r.address), r.hw_address]),
        [
          [ip('198.18.0.10'), '02:00:00:00:0b:01'],
          [ip(dynamic), '02:00:00:00:0b:03'],
          [ip('198.18.0.100'), '02:00:00:00:0b:02'],
        ].sort((a, b) => (a[0] as number) - (b[0] as number)),
      );
      assert.equal(await keaCount(db.sql), 1, "Kea's lease4 is left as it was");
      assert.match(
        records.map((r) => r.msg).join('\n'),
        /imported 1 active lease\(s\) from Kea's lease4 table/,
        'the start-up log says how many',
      );
    } finally {
      await server.stop();
      await db.sql.end();
    }
  });

  it("imports Kea's active leases once, field by field, leaving Kea's table as it was", async () => {
    const db = await database(true);
    try {
      await keaLease(db.sql, {
        address: '198.18.1.10',
        hwaddr: '02:00:00:00:0c:01',
        clientId: '01:02:00:00:00:0c:01',
        expiresInS: 1800,
        hostname: 'laptop.example',
        userContext: '{"site":"lab"}',
      });
      await keaLease(db.sql, { address: '198.18.1.11', hwaddr: '', expiresInS: 600, state: 1 });
      await keaLease(db.sql, { address: '198.18.1.12', hwaddr: '02:00:00:00:0c:03', expiresInS: -60 });
      await keaLease(db.sql, {
        address: '198.18.1.13',
        hwaddr: '02:00:00:00:0c:04',
        expiresInS: 600,
        state: 2,
      });
      // A user context that is not a map (ours are) is dropped rather than the lease.
      await keaLease(db.sql, {
        address: '198.18.1.14',
        hwaddr: '02:00:00:00:0c:05',
        expiresInS: 600,
        userContext: '[1]',
      });
      const before = await db.sql.query('SELECT * FROM lease4 ORDER BY address');

      const store = await PostgresLeaseStore.open({ connection: db.connection, listen: false });
      try {
        assert.match(
          store.openReport.warnings.join('\n'),
          /imported 3 active lease\(s\) from Kea's lease4 table \(5 row\(s\) there\)/,
        );
        const all = await store.getAll();
        assert.deepEqual(
          all.map((l) => l.address),
          ['198.18.1.10', '198.18.1.11', '198.18.1.14'],
          'active and declined leases; expired and reclaimed ones are free',
        );
        const laptop = all[0]!;
        assert.equal(laptop.hwAddress, '02:00:00:00:0c:01');
        assert.equal(laptop.clientId, '01:02:00:00:00:0c:01');
        assert.equal(laptop.hostname, 'laptop.example');
        assert.equal(laptop.subnetId, 1);
        assert.equal(laptop.validLifetime, 3600);
        assert.equal(laptop.state, 'default');
        assert.equal(laptop.fqdnFwd, true);
        assert.equal(laptop.fqdnRev, undefined);
        assert.deepEqual(laptop.userContext, { site: 'lab' });
        assert.equal(laptop.expiresAt - laptop.cltt, 3600 * 1000);
        const expire = await db.sql.query<{ ms: string }>(
          'SELECT (extract(epoch FROM expire) * 1000)::bigint AS ms FROM lease4 WHERE address = $1',
          [ip('198.18.1.10')],
        );
        assert.equal(laptop.expiresAt, Number(expire.rows[0]!.ms));
        assert.equal(all[1]!.state, 'declined');
        assert.equal(all[1]!.hwAddress, '');
        assert.equal(all[1]!.hostname, null, "Kea's '' is no hostname");
        assert.equal(all[2]!.userContext, null);
      } finally {
        await store.close();
      }
      assert.deepEqual((await db.sql.query('SELECT * FROM lease4 ORDER BY address')).rows, before.rows);

      // Not again: a lease Kea wrote since, and leases we removed, stay as they are.
      await keaLease(db.sql, { address: '198.18.1.20', hwaddr: '02:00:00:00:0c:06', expiresInS: 600 });
      const again = await PostgresLeaseStore.open({ connection: db.connection, listen: false });
      try {
        assert.deepEqual(again.openReport.warnings, []);
        assert.equal((await again.getAll()).length, 3);
        await again.wipe();
      } finally {
        await again.close();
      }
      const third = await PostgresLeaseStore.open({ connection: db.connection, listen: false });
      try {
        assert.deepEqual(third.openReport.warnings, []);
        assert.deepEqual(await third.getAll(), [], 'an emptied table is not filled again');
      } finally {
        await third.close();
      }
    } finally {
      await db.sql.end();
    }
  });

  it('skips the import when told to', async () => {
    const db = await database(true);
    try {
      await keaLease(db.sql, { address: '198.18.2.10', hwaddr: '02:00:00:00:0d:01', expiresInS: 600 });
      const store = await PostgresLeaseStore.open({
        connection: db.connection,
        listen: false,
        importKeaLeases: false,
      });
      try {
        assert.deepEqual(await store.getAll(), []);
        assert.deepEqual(store.openReport.warnings, []);
      } finally {
        await store.close();
      }
    } finally {
      await db.sql.end();
    }
  });

  it('refuses to start on an old Kea lease4 it cannot import, saying what to do, and changes nothing', async () => {
    const db = await database(true);
    try {
      await keaLease(db.sql, { address: '198.18.2.20', hwaddr: '02:00:00:00:0d:02', expiresInS: 600 });
      // Kea's schema before 5.0 had no user context (its triggers read it: they go with it).
      await db.sql.query('ALTER TABLE lease4 DROP COLUMN user_context CASCADE');
      await assert.rejects(
        PostgresLeaseStore.open({ connection: db.connection, listen: false }),
        (error: Error) => {
          assert.equal(error.name, 'LeaseStoreOpenError');
          assert.match(
            error.message,
            /lacks user_context .*kea-admin db-upgrade pgsql.*"import-kea-leases": false/,
          );
          return true;
        },
      );
      const ours = await db.sql.query("SELECT to_regclass('leasekeeper_lease4') AS t");
      assert.equal(ours.rows[0]!.t, null, 'the schema transaction was rolled back');
    } finally {
      await db.sql.end();
    }
  });

  it('migrates the earlier layout (our table named lease4) with its leases, two servers starting at once', async () => {
    const db = await database(false);
    try {
      // Version 1 of our schema as earlier leasekeeper releases made it.
      await db.sql.query(`
        CREATE TABLE leasekeeper_schema (version integer NOT NULL);
        INSERT INTO leasekeeper_schema VALUES (1);
        CREATE TABLE lease4 (
          address bigint PRIMARY KEY CHECK (address BETWEEN 0 AND 4294967295),
          hw_address text NOT NULL, client_id text, subnet_id bigint NOT NULL, valid_lifetime bigint NOT NULL,
          cltt bigint NOT NULL, expires_at bigint NOT NULL, hostname text, state smallint NOT NULL,
          user_context text, fqdn_fwd smallint NOT NULL DEFAULT 0, fqdn_rev smallint NOT NULL DEFAULT 0);
        CREATE INDEX lease4_client_id ON lease4 (client_id, subnet_id) WHERE client_id IS NOT NULL;
        CREATE INDEX lease4_hw_address ON lease4 (hw_address, subnet_id);
        CREATE INDEX lease4_subnet ON lease4 (subnet_id);
        CREATE INDEX lease4_expires ON lease4 (expires_at) WHERE state <> 2;
        CREATE INDEX lease4_hostname ON lease4 (lower(hostname)) WHERE hostname IS NOT NULL;
        CREATE FUNCTION leasekeeper_notify4() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN PERFORM pg_notify('leasekeeper_lease4', '{}'); RETURN NULL; END $fn$;
        CREATE TRIGGER lease4_notify AFTER INSERT OR UPDATE OR DELETE ON lease4
          FOR EACH ROW EXECUTE FUNCTION leasekeeper_notify4();
        INSERT INTO lease4 (address, hw_address, client_id, subnet_id, valid_lifetime, cltt, expires_at, hostname,
                            state, user_context, fqdn_fwd)
        VALUES (${ip('198.18.3.10')}, '02:00:00:00:0e:01', '01:02:00:00:00:0e:01', 7, 600, 1000, 601000, 'old',
                0, '{"a":1}', 1),
               (${ip('198.18.3.11')}, '', NULL, 7, 600, 2000, 602000, NULL, 1, NULL, 0);
      `);
      const [a, b] = await Promise.all([
        PostgresLeaseStore.open({ connection: db.connection }),
        PostgresLeaseStore.open({ connection: db.connection }),
      ]);
      try {
        const warnings = [...a.openReport.warnings, ...b.openReport.warnings];
        assert.deepEqual(warnings, [
          'lease table lease4 of an earlier leasekeeper renamed to leasekeeper_lease4',
        ]);
        const leases = await a.getAll();
        assert.equal(leases.length, 2);
        assert.deepEqual(
          { ...leases[0]! },
          {
            address: '198.18.3.10',
            hwAddress: '02:00:00:00:0e:01',
            clientId: '01:02:00:00:00:0e:01',
            subnetId: 7,
            validLifetime: 600,
            cltt: 1000,
            expiresAt: 601000,
            hostname: 'old',
            fqdnFwd: true,
            state: 'default',
            userContext: { a: 1 },
          },
        );
        assert.equal(leases[1]!.state, 'declined');
        const names = await db.sql.query<{ name: string }>(
          `SELECT relname AS name FROM pg_class WHERE relname LIKE '%lease4%' AND relkind IN ('r', 'i') ORDER BY 1`,
        );
        assert.deepEqual(
          names.rows.map((r) => r.name),
          [
            'leasekeeper_lease4',
            'leasekeeper_lease4_change_xid',
            'leasekeeper_lease4_client_id',
            'leasekeeper_lease4_expires',
            'leasekeeper_lease4_hostname',
            'leasekeeper_lease4_hw_address',
            'leasekeeper_lease4_pkey',
            'leasekeeper_lease4_reclaimed',
            'leasekeeper_lease4_removed',
            'leasekeeper_lease4_removed_change_xid',
            'leasekeeper_lease4_removed_pkey',
            'leasekeeper_lease4_subnet',
          ],
        );
        const triggers = await db.sql.query<{ tgname: string }>(
          'SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1',
        );
        assert.deepEqual(
          triggers.rows.map((r) => r.tgname),
          ['leasekeeper_lease4_notify', 'leasekeeper_lease4_track'],
        );
        const version = await db.sql.query<{ version: number }>('SELECT version FROM leasekeeper_schema');
        assert.deepEqual(version.rows, [{ version: 2 }]);

        // The migrated table works as before: a write on one server reaches the other through NOTIFY.
        const seen = new Promise<string>((resolve) =>
          b.onChange((change) => {
            if (change.origin === 'remote') resolve(change.lease.address);
          }),
        );
        await a.commit({ ...leases[0]!, cltt: 5000, expiresAt: 605000 }, { now: 5000 });
        assert.equal(await seen, '198.18.3.10');
      } finally {
        await a.close();
        await b.close();
      }
    } finally {
      await db.sql.end();
    }
  });
});
