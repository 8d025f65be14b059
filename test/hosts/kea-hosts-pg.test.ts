/**
 * Host reservations in PostgreSQL on Kea's own `hosts` schema, created by Debian's `kea-admin db-init pgsql`:
 * rows written in Kea's layout with SQL are served by the engine, and a `reservation-add` sent to one
 * server's control socket is served by a second server on the same database after its refresh.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { compileConfig } from '../../src/config/index.ts';
import { sendUnix } from '../../src/control/index.ts';
import { MemoryLeaseStore } from '../../src/leases/index.ts';
import { MessageType, decodeMessage } from '../../src/protocol/index.ts';
import { startServer, type ServerRuntime } from '../../src/runtime/server.ts';
import { encodeReply, settle } from '../../src/server/index.ts';
import { requiring } from '../lab/needs.ts';
import { captureLogs, type LogRecord } from '../leases/log-capture.ts';
import { useTempCluster, type TempCluster } from '../leases/pg-cluster.ts';
import { ETH0, msg } from '../server/harness.ts';

const { after, before, describe, it } = requiring('root', 'postgresql', 'kea-admin');

let cluster: TempCluster | null = null;
let dir = '';
let databases = 0;

useTempCluster({ before, after }, (started) => (cluster = started));
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'leasekeeper-hosts-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh database with Kea's schema, made by Kea's own tool. */
async function keaDatabase(): Promise<{ name: string; socket: string; sql: pg.Client }> {
  const name = await cluster!.createDatabase(`kea_hosts_${process.pid}_${databases++}`);
  const socket = cluster!.connection(name).host as string;
  execFileSync(
    'runuser',
    ['-u', 'postgres', '--', 'kea-admin', 'db-init', 'pgsql', '-u', 'postgres', '-n', name, '-h', socket],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const sql = new pg.Client(cluster!.connection(name));
  await sql.connect();
  return { name, socket, sql };
}

function serverConfig(db: { name: string; socket: string }, socketName: string, extra: object = {}): object {
  return {
    Dhcp4: {
      'hosts-database': { type: 'postgresql', name: db.name, host: db.socket, user: 'postgres' },
      'control-socket': { 'socket-type': 'unix', 'socket-name': socketName },
      'valid-lifetime': 3600,
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/24',
          pools: [{ pool: '198.18.0.10 - 198.18.0.20' }],
          'option-data': [{ name: 'routers', data: '198.18.0.1' }],
          reservations: [{ 'hw-address': '02:00:00:00:0a:03', 'ip-address': '198.18.0.103' }],
        },
      ],
      ...extra,
    },
  };
}

async function start(
  config: object,
  logger = captureLogs().logger,
  hostsRefreshMs = 3_600_000,
): Promise<ServerRuntime> {
  return startServer({
    config: compileConfig(config),
    store: new MemoryLeaseStore(),
    logger,
    hostsRefreshMs,
  });
}

/** The engine's answer to a DISCOVER from `mac` asking for the options of `prl`, decoded as a client would. */
async function offer(server: ServerRuntime, mac: string, prl: number[] = [1, 3, 12, 15, 42, 67]) {
  const now = Date.now();
  const discover = msg(MessageType.DISCOVER, mac, { options: { 'dhcp-parameter-request-list': prl } });
  const { replies } = await settle(
    server.engine,
    server.engine.handle(discover, ETH0, now),
    server.store,
    now,
  );
  assert.equal(replies.length, 1, 'one OFFER');
  return decodeMessage(encodeReply(replies[0]!));
}

/** Polls until `check` holds (bounded: 20 s), for what another server does on its own timer. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what}: not within 20 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ip = (a: string): string => String(a.split('.').reduce((n, o) => n * 256 + Number(o), 0));
const messages = (records: readonly LogRecord[]): string => records.map((r) => r.msg).join('\n');

describe("PostgreSQL host backend on Kea's hosts schema", () => {
  it("serves hosts written with SQL in Kea's layout: address, hostname, options, boot fields; bad rows left out and logged", async () => {
    const db = await keaDatabase();
    try {
      // Kea's layout: identifier bytes and type code, subnet, address as a number, '' and 0 for "not set".
      const host = await db.sql.query<{ host_id: number }>(
        `INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address, hostname,
            dhcp4_client_classes, dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name)
          VALUES (decode('020000000a01', 'hex'), 0, 1, $1, 'printer', '', $2, 'tftp1', 'printer.cfg') RETURNING host_id`,
        [ip('198.18.0.100'), ip('198.18.0.5')],
      );
      const id = host.rows[0]!.host_id;
      // One option as text (formatted_value), one as bytes (value, ntp-servers 198.18.0.123), sent always.
      await db.sql.query(
        `INSERT INTO dhcp4_options (code, value, formatted_value, space, persistent, host_id, scope_id)
          VALUES (15, NULL, 'printer.example', 'dhcp4', false, $1, 3),
                 (42, decode('c612007b', 'hex'), NULL, 'dhcp4', true, $1, 3)`,
        [id],
      );
      // A client id host (type 3) with its address; a flex-id and a circuit-id host (types 4 and 2).
      await db.sql.query(
        `INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address, hostname)
          VALUES (decode('01020000000a02', 'hex'), 3, 1, $1, 'phone'),
                 (decode('616263', 'hex'), 2, 1, $2, ''),
                 (decode('020000000a03', 'hex'), 0, 1, $3, 'shadowed')`,
        [ip('198.18.0.101'), ip('198.18.0.102'), ip('198.18.0.104')],
      );
      // Bad rows: an option code DHCPv4 has not, an address outside the subnet, a DHCPv6-only host.
      const bad = await db.sql.query<{ host_id: number }>(
        `INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address)
          VALUES (decode('020000000a04', 'hex'), 0, 1, $1) RETURNING host_id`,
        [ip('198.18.0.105')],
      );
      await db.sql.query(
        `INSERT INTO dhcp4_options (code, formatted_value, space, persistent, host_id, scope_id) VALUES (300, 'x', 'dhcp4', false, $1, 3)`,
        [bad.rows[0]!.host_id],
      );
      await db.sql.query(
        `INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address)
          VALUES (decode('020000000a05', 'hex'), 0, 1, $1), (decode('020000000a06', 'hex'), 0, NULL, NULL)`,
        [ip('203.0.113.9')],
      );

      const { logger, records } = captureLogs();
      const server = await start(serverConfig(db, join(dir, 'sql.sock')), logger);
      try {
        const printer = await offer(server, '02:00:00:00:0a:01');
        assert.equal(printer.yiaddr, '198.18.0.100', 'the reserved address, outside the pool');
        assert.equal(printer.options.get('host-name'), 'printer');
        assert.equal(printer.options.get('domain-name'), 'printer.example', 'formatted_value');
        assert.deepEqual(printer.options.get('ntp-servers'), ['198.18.0.123'], 'binary value');
        assert.deepEqual(printer.options.get('routers'), ['198.18.0.1'], "the subnet's options still apply");
        assert.equal(printer.siaddr, '198.18.0.5', 'next-server');
        assert.equal(printer.file, 'printer.cfg', 'boot-file-name');
        assert.equal(printer.sname, 'tftp1', 'server-hostname');
        const always = await offer(server, '02:00:00:00:0a:01', [1]);
        assert.deepEqual(always.options.get('ntp-servers'), ['198.18.0.123'], 'persistent is always-send');

        const phone = await offer(server, '02:00:00:00:0a:02');
        assert.notEqual(phone.yiaddr, '198.18.0.101', 'the client id host is not matched by its MAC');
        const byClientId = msg(MessageType.DISCOVER, '02:00:00:00:0a:02', {
          options: { 'dhcp-client-identifier': Buffer.from('01020000000a02', 'hex') },
        });
        const now = Date.now();
        const { replies } = await settle(
          server.engine,
          server.engine.handle(byClientId, ETH0, now),
          server.store,
          now,
        );
        assert.equal(decodeMessage(encodeReply(replies[0]!)).yiaddr, '198.18.0.101', 'client-id (type 3)');

        assert.equal(
          (await offer(server, '02:00:00:00:0a:03')).yiaddr,
          '198.18.0.103',
          "the configuration's reservation comes first, as in Kea's HostMgr",
        );
        const dynamic = await offer(server, '02:00:00:00:0a:04');
        assert.notEqual(dynamic.yiaddr, '198.18.0.105', 'a host with a bad option is not served');
        assert.ok(Number(dynamic.yiaddr.split('.')[3]) >= 10 && Number(dynamic.yiaddr.split('.')[3]) <= 20);

        const text = messages(records);
        assert.match(text, /host databases: 3 hosts served, 1 shadowed by earlier reservations, 1 rejected/);
        assert.match(
          text,
          /1 unreadable host row\(s\) left out: host_id \d+: option dhcp4\/300: code out of 1-254/,
        );
        assert.match(
          text,
          /1 host\(s\) rejected: host_id \d+ \(subnet 1\): .*203\.0\.113\.9 is outside subnet/,
        );
        assert.equal(
          records.filter((r) => /rejected|unreadable/.test(r.msg)).length,
          3,
          'each logged once, with its count',
        );

        // The commands read the database: Kea's answers, hardware addresses as colon hex.
        const socket = join(dir, 'sql.sock');
        const got = (await sendUnix(socket, {
          command: 'reservation-get',
          arguments: { 'subnet-id': 1, 'identifier-type': 'hw-address', identifier: '02:00:00:00:0a:01' },
        })) as { result: number; arguments: Record<string, unknown> };
        assert.equal(got.result, 0);
        assert.equal(got.arguments['ip-address'], '198.18.0.100');
        assert.equal(got.arguments['next-server'], '198.18.0.5');
        const phoneHost = (await sendUnix(socket, {
          command: 'reservation-get',
          arguments: { 'subnet-id': 1, 'ip-address': '198.18.0.101' },
        })) as { result: number; arguments: Record<string, unknown> };
        assert.deepEqual(
          phoneHost.arguments,
          {
            'client-id': '01020000000A02',
            'ip-address': '198.18.0.101',
            hostname: 'phone',
            'next-server': '0.0.0.0',
            'server-hostname': '',
            'boot-file-name': '',
            'client-classes': [],
            'option-data': [],
            'subnet-id': 1,
          },
          "a database host's empty fields as Kea prints them",
        );
        const byName = (await sendUnix(socket, {
          command: 'reservation-get-by-hostname',
          arguments: { hostname: 'PRINTER' },
        })) as { result: number; arguments: { hosts: unknown[] } };
        assert.equal(byName.arguments.hosts.length, 1, 'host names compare case-insensitively');
        const byId = (await sendUnix(socket, {
          command: 'reservation-get-by-id',
          arguments: { 'identifier-type': 'hw-address', identifier: '020000000a03' },
        })) as { result: number; arguments: { hosts: { 'ip-address': string }[] } };
        assert.deepEqual(
          byId.arguments.hosts.map((h) => h['ip-address']).sort(),
          ['198.18.0.103', '198.18.0.104'],
          'one from the configuration, one from the database',
        );
      } finally {
        await server.stop();
      }
    } finally {
      await db.sql.end();
    }
  });

  it("a reservation-add on server A is written in Kea's layout and served by server B after its refresh; a del on B reaches A", async () => {
    const db = await keaDatabase();
    const sockA = join(dir, 'a.sock');
    const sockB = join(dir, 'b.sock');
    const a = await start(serverConfig(db, sockA), undefined, 100);
    const b = await start(serverConfig(db, sockB), undefined, 100);
    try {
      const mac = '02:00:00:00:0b:01';
      assert.notEqual((await offer(b, mac)).yiaddr, '198.18.0.150');
      const added = await sendUnix(sockA, {
        command: 'reservation-add',
        arguments: {
          reservation: {
            'subnet-id': 1,
            'hw-address': mac,
            'ip-address': '198.18.0.150',
            hostname: 'kiosk',
            'option-data': [
              { name: 'domain-name', data: 'kiosk.example' },
              { code: 42, data: 'C6120099', 'csv-format': false, 'always-send': true },
            ],
          },
        },
      });
      assert.deepEqual(added, { result: 0, text: 'Host added.' });

      const rows = await db.sql.query<{ id: string; type: number; subnet: string; address: string }>(
        `SELECT encode(dhcp_identifier, 'hex') AS id, dhcp_identifier_type AS type, dhcp4_subnet_id AS subnet,
                ipv4_address AS address FROM hosts`,
      );
      assert.deepEqual(rows.rows, [
        { id: '020000000b01', type: 0, subnet: '1', address: ip('198.18.0.150') },
      ]);
      const options = await db.sql.query(
        `SELECT code, encode(value, 'hex') AS value, formatted_value, space, persistent, scope_id FROM dhcp4_options ORDER BY code`,
      );
      assert.deepEqual(options.rows, [
        {
          code: 15,
          value: null,
          formatted_value: 'kiosk.example',
          space: 'dhcp4',
          persistent: false,
          scope_id: 3,
        },
        { code: 42, value: 'c6120099', formatted_value: null, space: 'dhcp4', persistent: true, scope_id: 3 },
      ]);

      const fromA = await offer(a, mac);
      assert.equal(fromA.yiaddr, '198.18.0.150', 'A serves its own addition at once');
      await eventually(
        'B serves the host A added',
        async () => (await offer(b, mac)).yiaddr === '198.18.0.150',
      );
      const fromB = await offer(b, mac);
      assert.equal(fromB.options.get('domain-name'), 'kiosk.example');
      assert.deepEqual(fromB.options.get('ntp-servers'), ['198.18.0.153']);

      const again = await sendUnix(sockB, {
        command: 'reservation-add',
        arguments: {
          reservation: { 'subnet-id': 1, 'hw-address': '02:00:00:00:0b:02', 'ip-address': '198.18.0.150' },
        },
      });
      assert.deepEqual(again, { result: 1, text: 'Host already exists.' }, 'the address is reserved already');

      const page = (await sendUnix(sockB, { command: 'reservation-get-page', arguments: { limit: 10 } })) as {
        arguments: { hosts: unknown[]; next: { 'source-index': number } };
      };
      assert.equal(page.arguments.hosts.length, 1, "the configuration's host");
      const next = (await sendUnix(sockB, {
        command: 'reservation-get-page',
        arguments: { limit: 10, 'source-index': 1, from: 0 },
      })) as { arguments: { hosts: { hostname: string }[]; next: { from: number; 'source-index': number } } };
      const hostId = (await db.sql.query('SELECT host_id FROM hosts')).rows[0].host_id;
      assert.deepEqual(
        next.arguments.next,
        { from: hostId, 'source-index': 1 },
        "a database pages by host_id, as Kea's",
      );
      const end = (await sendUnix(sockB, {
        command: 'reservation-get-page',
        arguments: { limit: 10, ...next.arguments.next },
      })) as { result: number };
      assert.equal(end.result, 3, 'then nothing more');
      assert.deepEqual(
        next.arguments.hosts.map((h) => h.hostname),
        ['kiosk'],
        'source 1 is the database',
      );

      const memoryOnly = (await sendUnix(sockB, {
        command: 'reservation-get',
        arguments: {
          'subnet-id': 1,
          'identifier-type': 'hw-address',
          identifier: mac,
          'operation-target': 'memory',
        },
      })) as { result: number };
      assert.equal(memoryOnly.result, 3, 'not in the configuration');

      assert.deepEqual(
        await sendUnix(sockB, {
          command: 'reservation-del',
          arguments: { 'subnet-id': 1, 'identifier-type': 'hw-address', identifier: mac },
        }),
        { result: 0, text: 'Host deleted.' },
      );
      assert.equal(
        (await db.sql.query('SELECT count(*)::int AS n FROM dhcp4_options')).rows[0].n,
        0,
        'options cascade',
      );
      await eventually(
        'A stops serving the deleted host',
        async () => (await offer(a, mac)).yiaddr !== '198.18.0.150',
      );
      const config = (await sendUnix(sockA, { command: 'config-get' })) as {
        arguments: { Dhcp4: { subnet4: { reservations: unknown[] }[] } };
      };
      assert.equal(
        config.arguments.Dhcp4.subnet4[0]!.reservations.length,
        1,
        'database hosts never enter config-get',
      );
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await db.sql.end();
    }
  });

  it("refuses to start on a database without Kea's schema, and a readonly database refuses writes", async () => {
    const name = await cluster!.createDatabase(`not_kea_${process.pid}`);
    const socket = cluster!.connection(name).host as string;
    await assert.rejects(
      start(serverConfig({ name, socket }, join(dir, 'x.sock'))),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ERR_HOSTS_DATABASE');
        assert.match(err.message, /not Kea's hosts schema \(create it with kea-admin db-init pgsql\)/);
        return true;
      },
    );
    const db = await keaDatabase();
    const sock = join(dir, 'ro.sock');
    const server = await start({
      Dhcp4: {
        ...(serverConfig(db, sock) as { Dhcp4: object }).Dhcp4,
        'hosts-database': {
          type: 'postgresql',
          name: db.name,
          host: db.socket,
          user: 'postgres',
          readonly: true,
        },
      },
    });
    try {
      const answer = await sendUnix(sock, {
        command: 'reservation-add',
        arguments: { reservation: { 'subnet-id': 1, 'hw-address': '02:00:00:00:0c:01' } },
      });
      assert.deepEqual(answer, {
        result: 1,
        text: 'Unable to add a host because there is no writable hosts-databases configured.',
      });
      assert.equal(
        (
          (await sendUnix(sock, {
            command: 'reservation-add',
            arguments: {
              reservation: { 'subnet-id': 1, 'hw-address': '02:00:00:00:0c:01' },
              'operation-target': 'memory',
            },
          })) as { result: number }
        ).result,
        0,
        'operation-target memory still adds to the configuration',
      );
    } finally {
      await server.stop();
      await db.sql.end();
    }
  });

  it('keeps serving the hosts it read while the database is down, logs the outage once and its end', async () => {
    const db = await keaDatabase();
    await db.sql.query(
      `INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address)
        VALUES (decode('020000000d01', 'hex'), 0, 1, $1)`,
      [ip('198.18.0.160')],
    );
    await db.sql.end();
    const { logger, records } = captureLogs();
    const server = await start(serverConfig(db, join(dir, 'down.sock')), logger, 100);
    try {
      cluster!.halt();
      await eventually('the outage is logged', async () => records.some((r) => r.level >= 50));
      const downSince = Date.now();
      assert.equal(
        (await offer(server, '02:00:00:00:0d:01')).yiaddr,
        '198.18.0.160',
        'the cached host is served',
      );
      // Several refreshes fail meanwhile; one line says so, the next would come a minute later with a count.
      await new Promise((r) => setTimeout(r, 500));
      const errors = records.filter((r) => r.level >= 50);
      assert.ok(errors.length <= 1 + Math.ceil((Date.now() - downSince) / 60_000), messages(errors));
      assert.match(
        errors[0]!.msg,
        /Dhcp4\.hosts-database: cannot read hosts \(.*\); serving the 1 read before/,
      );
      cluster!.restart();
      await eventually('the recovery is logged', async () =>
        /hosts readable again after \d+ s and \d+ failed attempts/.test(messages(records)),
      );
      assert.equal((await offer(server, '02:00:00:00:0d:01')).yiaddr, '198.18.0.160');
    } finally {
      await server.stop();
    }
  });

  it('with retry-on-startup, starts without a database that is not there yet and serves its hosts once it is', async () => {
    const name = `kea_later_${process.pid}`;
    const socket = cluster!.connection('postgres').host as string;
    const { logger, records } = captureLogs();
    const sock = join(dir, 'later.sock');
    const server = await start(
      {
        Dhcp4: {
          ...(serverConfig({ name, socket }, sock) as { Dhcp4: object }).Dhcp4,
          'hosts-database': {
            type: 'postgresql',
            name,
            host: socket,
            user: 'postgres',
            'retry-on-startup': true,
          },
        },
      },
      logger,
      100,
    );
    try {
      assert.match(
        messages(records),
        /Dhcp4\.hosts-database: .*cannot connect: .*; starting without its hosts \(retry-on-startup\)/,
      );
      assert.notEqual((await offer(server, '02:00:00:00:0e:01')).yiaddr, '198.18.0.170');
      await cluster!.createDatabase(name);
      execFileSync(
        'runuser',
        ['-u', 'postgres', '--', 'kea-admin', 'db-init', 'pgsql', '-u', 'postgres', '-n', name, '-h', socket],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const sql = new pg.Client(cluster!.connection(name));
      await sql.connect();
      await sql.query(
        `INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address)
          VALUES (decode('020000000e01', 'hex'), 0, 1, $1)`,
        [ip('198.18.0.170')],
      );
      await sql.end();
      await eventually(
        'the host is served once the database is there',
        async () => (await offer(server, '02:00:00:00:0e:01')).yiaddr === '198.18.0.170',
      );
      assert.match(messages(records), /hosts readable again after \d+ s and \d+ failed attempts/);
    } finally {
      await server.stop();
    }
  });
});
