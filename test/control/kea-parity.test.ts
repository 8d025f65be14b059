/**
 * Shape parity with a real Kea 2.2: the same commands go to kea-dhcp4 (with lease_cmds and stat_cmds, no
 * DHCP interfaces, a control socket in a temp dir) and to leasekeeper's registry over a fake target
 * configured alike (over the project's MemoryLeaseStore); answers must agree in result code and in the keys and types of every value,
 * and where both servers hold the same leases, in the leases' values.
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sendUnix } from '../../src/control/client.ts';
import { createCommandRegistry } from '../../src/control/commands/index.ts';
import { UnixControlServer } from '../../src/control/unix-server.ts';
import { HttpControlServer } from '../../src/control/http-server.ts';
import { FakeTarget } from './fake-target.ts';
import { listenHttp } from './helpers.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';

const { after, before, test } = requiring('kea-dhcp4', 'kea-ctrl-agent');

const HOOKS = '/usr/lib/x86_64-linux-gnu/kea/hooks';
const dir = mkdtempSync(join(tmpdir(), 'lk-kea-'));
const keaSocket = join(dir, 'kea.sock');
const ourSocket = join(dir, 'lk.sock');
let kea: ChildProcess | undefined;
let ours: UnixControlServer | undefined;
let agent: ChildProcess | undefined;
let agentPort = 0;
let oursHttp: HttpControlServer | undefined;
const AUTH = { realm: 'parity', clients: [{ user: 'admin', password: 's3cret' }] };
// The real in-memory LeaseStore, so the lease commands are checked end to end.
const target = new FakeTarget(new MemoryLeaseStore());

before(async () => {
  const config = {
    Dhcp4: {
      'interfaces-config': { interfaces: [] },
      'control-socket': { 'socket-type': 'unix', 'socket-name': keaSocket },
      'lease-database': { type: 'memfile', persist: false },
      'hooks-libraries': [
        { library: `${HOOKS}/libdhcp_lease_cmds.so` },
        { library: `${HOOKS}/libdhcp_stat_cmds.so` },
      ],
      'valid-lifetime': 4000,
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.200' }] }],
      loggers: [{ name: 'kea-dhcp4', output_options: [{ output: join(dir, 'kea.log') }], severity: 'WARN' }],
    },
  };
  const file = join(dir, 'kea.json');
  writeFileSync(file, JSON.stringify(config));
  kea = spawn('kea-dhcp4', ['-c', file], {
    env: {
      ...process.env,
      KEA_PIDFILE_DIR: dir,
      KEA_LOCKFILE_DIR: dir,
      KEA_LOGGER_DESTINATION: join(dir, 'kea.log'),
    },
    stdio: 'ignore',
  });
  for (let i = 0; i < 100 && !existsSync(keaSocket); i++) await sleep(100);
  assert.ok(existsSync(keaSocket), 'kea-dhcp4 did not open its control socket');
  ours = await UnixControlServer.listen({ path: ourSocket, registry: createCommandRegistry(), target });

  agentPort = await freePort();
  const agentFile = join(dir, 'agent.json');
  writeFileSync(
    agentFile,
    JSON.stringify({
      'Control-agent': {
        'http-host': '127.0.0.1',
        'http-port': agentPort,
        authentication: { type: 'basic', realm: AUTH.realm, clients: AUTH.clients },
        'control-sockets': { dhcp4: { 'socket-type': 'unix', 'socket-name': keaSocket } },
        loggers: [
          { name: 'kea-ctrl-agent', output_options: [{ output: join(dir, 'agent.log') }], severity: 'WARN' },
        ],
      },
    }),
  );
  agent = spawn('kea-ctrl-agent', ['-c', agentFile], {
    env: { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir },
    stdio: 'ignore',
  });
  oursHttp = await listenHttp({
    target,
    auth: AUTH,
  });
  for (let i = 0; i < 100 && !(await listening(agentPort)); i++) await sleep(100);
});

after(async () => {
  await ours?.close();
  await oursHttp?.close();
  await stop(agent);
  await stop(kea);
  rmSync(dir, { recursive: true, force: true });
});

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  await exited;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

interface HttpReply {
  status: number;
  challenge: string | undefined;
  body: unknown;
}

function post(port: number, body: string, auth = true): Promise<HttpReply> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (auth) headers['Authorization'] = `Basic ${Buffer.from('admin:s3cret').toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      let data = '';
      res.on('data', (d: Buffer) => (data += d.toString()));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          challenge: res.headers['www-authenticate'],
          body: JSON.parse(data),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A value's skeleton: object keys with their skeletons, array element skeletons, or the JSON type. */
function shape(value: unknown, depth = Infinity): unknown {
  if (Array.isArray(value)) {
    if (depth <= 0) return 'array';
    return value.length === 0 ? [] : [shape(value[0], depth - 1)];
  }
  if (typeof value === 'object' && value !== null) {
    if (depth <= 0) return 'object';
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, shape((value as Record<string, unknown>)[k], depth - 1)]),
    );
  }
  return value === null ? 'null' : typeof value;
}

/** Kea's config parser appends the position of the element; the wording before it is what we match. */
function withoutPosition(text: unknown): unknown {
  return typeof text === 'string' ? text.replace(/ ?\(<(wire|string)>:\d+:\d+\)$/, '') : text;
}

interface Sent {
  kea: Record<string, unknown>;
  ours: Record<string, unknown>;
}

async function both(command: string, args?: unknown): Promise<Sent> {
  const message = args === undefined ? { command } : { command, arguments: args };
  const [k, o] = await Promise.all([sendUnix(keaSocket, message), sendUnix(ourSocket, message)]);
  return { kea: k as Record<string, unknown>, ours: o as Record<string, unknown> };
}

/** The values of every lease an answer carries (`arguments.leases`, or `arguments` itself), by address. */
function leaseValues(answer: Record<string, unknown>): { leases: unknown[]; count: unknown; cltt: number[] } {
  const args = answer['arguments'] as Record<string, unknown> | undefined;
  const list = (
    Array.isArray(args?.['leases']) ? args['leases'] : args && 'ip-address' in args ? [args] : []
  ) as Record<string, unknown>[];
  const sorted = [...list].sort((a, b) => String(a['ip-address']).localeCompare(String(b['ip-address'])));
  return {
    leases: sorted.map((l) => ({
      'ip-address': l['ip-address'],
      'hw-address': l['hw-address'],
      'client-id': l['client-id'] ?? null,
      'subnet-id': l['subnet-id'],
      'valid-lft': l['valid-lft'],
      // The lifetime the two times imply; cltt itself is "now" on each server (below).
      'expire - cltt': (l['expire'] as number) - (l['cltt'] as number),
      state: l['state'],
      hostname: l['hostname'],
      'user-context': l['user-context'] ?? null,
      'fqdn-fwd': l['fqdn-fwd'],
      'fqdn-rev': l['fqdn-rev'],
    })),
    count: args?.['count'],
    cltt: sorted.map((l) => l['cltt'] as number),
  };
}

/** Same result, same shape (down to `depth`), optionally the same text, and the same lease values. */
async function same(
  command: string,
  args?: unknown,
  opts: { text?: boolean; depth?: number } = {},
): Promise<Sent> {
  const sent = await both(command, args);
  const label = `${command} ${JSON.stringify(args)}`;
  assert.equal(
    sent.ours['result'],
    sent.kea['result'],
    `${label}: result\nkea:  ${JSON.stringify(sent.kea)}\nours: ${JSON.stringify(sent.ours)}`,
  );
  assert.deepEqual(shape(sent.ours, opts.depth), shape(sent.kea, opts.depth), `${label}: shape`);
  if (opts.text === true) {
    assert.equal(withoutPosition(sent.ours['text']), withoutPosition(sent.kea['text']), `${label}: text`);
  }
  if (command.startsWith('lease4-get')) {
    const ours = leaseValues(sent.ours);
    const kea = leaseValues(sent.kea);
    assert.deepEqual(ours.leases, kea.leases, `${label}: lease values`);
    assert.equal(ours.count, kea.count, `${label}: count`);
    // A lease added without times starts "now" on each server: the same second, give or take a slow machine.
    ours.cltt.forEach((t, i) => {
      const k = kea.cltt[i] as number;
      assert.ok(Math.abs(t - k) <= 60, `${label}: cltt ${t}, Kea ${k}`);
    });
  }
  return sent;
}

/** Sends raw text (not necessarily JSON) and reads the answer until the server closes. */
function raw(path: string, text: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(JSON.parse(got)));
    socket.write(text);
  });
}

test('envelope errors and unknown commands', async () => {
  await same('no-such-command', undefined, { text: true });
  await same('list-commands', []);
  for (const text of ['[1]', '{"comand":"x"}', '{"command":1}', 'garbage']) {
    const [k, o] = await Promise.all([raw(keaSocket, text), raw(ourSocket, text)]);
    assert.deepEqual(o, k, text);
  }
});

test('server commands: list-commands, version-get, build-report, status-get, leases-reclaim', async () => {
  const list = await same('list-commands');
  const keaNames = new Set(list.kea['arguments'] as string[]);
  const missing = (list.ours['arguments'] as string[]).filter(
    (n) =>
      !keaNames.has(n) &&
      !n.startsWith('reservation-') &&
      !n.startsWith('class-') &&
      !['config-hash-get', 'subnet4-list', 'network4-list'].includes(n),
  );
  assert.deepEqual(
    missing,
    [],
    'every command leasekeeper has is a Kea 2.2 command (reservation-*, class-*, subnet4-list, network4-list and config-hash-get are newer or premium)',
  );
  await same('version-get');
  await same('build-report');
  const status = await both('status-get');
  const { 'dhcp-state': dhcpState, ...rest } = status.ours['arguments'] as Record<string, unknown>;
  assert.equal(typeof dhcpState, 'object', "status-get adds Kea 2.4's dhcp-state");
  assert.deepEqual(shape({ ...status.ours, arguments: rest }), shape(status.kea));
  await same('leases-reclaim', undefined, { text: true });
  await same('leases-reclaim', { remove: 1 }, { text: true });
  await same('leases-reclaim', { remove: true }, { text: true });
});

test('config commands', async () => {
  await same('config-get', undefined, { depth: 2 });
  await same('config-test', undefined, { text: true });
  await same('config-test', {}, { text: true });
  await same('config-test', { Dhcp4: { 'valid-lifetime': 100 } }, { text: true });
  await same('config-write', { filename: 1 }, { text: true });
  await same('config-write', { filename: join(dir, 'written.json') });
  await same('dhcp-disable', { 'max-period': 'x' }, { text: true });
  await same('dhcp-enable', { origin: 'x' }, { text: true });
  await same('dhcp-disable', undefined, { text: true });
  await same('dhcp-enable', undefined, { text: true });
});

test('statistics commands', async () => {
  await same('statistic-get', { name: 'pkt4-received' });
  await same('statistic-get', { name: 'nope' });
  await same('statistic-get', {}, { text: true });
  await same('statistic-get', { name: 1 }, { text: true });
  const all = await both('statistic-get-all');
  const pick = (a: Record<string, unknown>) => (a['arguments'] as Record<string, unknown>)['pkt4-received'];
  assert.deepEqual(shape(pick(all.ours)), shape(pick(all.kea)));
  await same('statistic-reset', { name: 'pkt4-received' }, { text: true });
  await same('statistic-reset', { name: 'nope' }, { text: true });
  await same('statistic-remove', { name: 'nope' }, { text: true });
});

const L1 = {
  'ip-address': '198.18.0.101',
  'hw-address': '1a:1b:1c:1d:1e:1f',
  hostname: 'h1',
  'client-id': '01:1a:1b',
  'user-context': { a: 1 },
};
const L2 = {
  'ip-address': '198.18.0.102',
  'hw-address': '1a:1b:1c:1d:1e:20',
  'valid-lft': 100,
  expire: 2000000000,
  hostname: 'h2.example.',
  state: 1,
};

test('lease commands', async () => {
  await same('lease4-get-all', undefined, { text: true });
  await same('lease4-add', L1, { text: true });
  await same('lease4-add', L2, { text: true });
  await same('lease4-add', L1, { text: true });
  const errors: unknown[] = [
    undefined,
    { 'hw-address': '1a:1b:1c:1d:1e:20' },
    { 'ip-address': '198.18.0.103' },
    { 'ip-address': 'x', 'hw-address': '1a:1b:1c:1d:1e:20' },
    { 'ip-address': '198.18.0.103', 'hw-address': 'zz' },
    { 'ip-address': '198.18.0.103', 'hw-address': '1a-1b-1c-1d-1e-21' },
    { 'ip-address': '10.0.0.1', 'hw-address': '1a:1b:1c:1d:1e:20' },
    { 'ip-address': '198.18.0.104', 'hw-address': '1a:1b:1c:1d:1e:21', 'subnet-id': 7 },
    { 'ip-address': '198.18.0.104', 'hw-address': '1a:1b:1c:1d:1e:21', 'valid-lft': 'x' },
    { 'ip-address': '198.18.0.104', 'hw-address': '1a:1b:1c:1d:1e:21', state: 7 },
    { 'ip-address': '198.18.0.104', 'hw-address': '1a:1b:1c:1d:1e:21', 'user-context': 5 },
    { 'ip-address': '198.18.0.104', 'hw-address': '1a:1b:1c:1d:1e:21', 'client-id': 'zz' },
  ];
  for (const args of errors) await same('lease4-add', args, { text: true });

  await same('lease4-get', { 'ip-address': '198.18.0.101' }, { text: true });
  await same('lease4-get', { 'ip-address': '198.18.0.102' }, { text: true });
  await same('lease4-get', { 'ip-address': '198.18.0.109' }, { text: true });
  await same('lease4-get', {
    'identifier-type': 'hw-address',
    identifier: '1a:1b:1c:1d:1e:1f',
    'subnet-id': 1,
  });
  await same('lease4-get', { 'identifier-type': 'client-id', identifier: '01:1a:1b', 'subnet-id': 1 });
  await same(
    'lease4-get',
    { 'identifier-type': 'hw-address', identifier: '1a:1b:1c:1d:1e:1f' },
    { text: true },
  );
  await same(
    'lease4-get',
    { 'identifier-type': 'duid', identifier: '01:02', 'subnet-id': 1 },
    { text: true },
  );
  await same('lease4-get', {}, { text: true });
  await same('lease4-get', undefined, { text: true });
  await same('lease4-get', { 'ip-address': 1 }, { text: true });

  await same('lease4-get-all', undefined, { text: true });
  await same('lease4-get-all', { subnets: [1] }, { text: true });
  await same('lease4-get-all', { subnets: [2] }, { text: true });
  await same('lease4-get-all', { subnets: 'x' }, { text: true });
  await same('lease4-get-page', { from: 'start', limit: 1 }, { text: true });
  await same('lease4-get-page', { from: '198.18.0.101', limit: 5 }, { text: true });
  await same('lease4-get-page', { from: '198.18.0.102', limit: 5 }, { text: true });
  for (const args of [
    { from: 'start' },
    { limit: 2 },
    { from: 'start', limit: 0 },
    { from: 'bogus', limit: 2 },
    { from: 'start', limit: '2' },
    { from: 1, limit: 1 },
    { from: 'start', limit: -1 },
  ]) {
    await same('lease4-get-page', args, { text: true });
  }
  await same('lease4-get-by-hw-address', { 'hw-address': '1a:1b:1c:1d:1e:1f' }, { text: true });
  await same('lease4-get-by-hw-address', { 'hw-address': '1a:1b:1c:1d:1e:ff' }, { text: true });
  await same('lease4-get-by-hw-address', {}, { text: true });
  await same('lease4-get-by-hw-address', { 'hw-address': 1 }, { text: true });
  await same('lease4-get-by-client-id', { 'client-id': '01:1a:1b' }, { text: true });
  await same('lease4-get-by-client-id', {}, { text: true });
  await same('lease4-get-by-hostname', { hostname: 'h1' }, { text: true });
  await same('lease4-get-by-hostname', { hostname: '' }, { text: true });
  await same('lease4-get-by-hostname', undefined, { text: true });

  await same('stat-lease4-get', undefined, { text: true });
  await same('stat-lease4-get', { 'subnet-id': 1 }, { text: true });
  await same('stat-lease4-get', { 'subnet-id': 9 }, { text: true });
  await same('stat-lease4-get', { 'subnet-id': 'x' }, { text: true });
  await same(
    'stat-lease4-get',
    { 'subnet-range': { 'first-subnet-id': 1, 'last-subnet-id': 3 } },
    { text: true },
  );

  const upd = { 'ip-address': '198.18.0.150', 'hw-address': '1a:1b:1c:1d:1e:22' };
  await same('lease4-update', upd, { text: true });
  await same('lease4-update', { ...upd, 'force-create': true }, { text: true });
  await same('lease4-update', { ...upd, hostname: 'upd' }, { text: true });
  await same('lease4-update', { 'ip-address': '198.18.0.150', 'force-create': true }, { text: true });
  await same('lease4-del', { 'ip-address': '198.18.0.150' }, { text: true });
  await same('lease4-del', { 'ip-address': '198.18.0.150' }, { text: true });
  await same('lease4-del', { 'ip-address': 'x' }, { text: true });
  await same(
    'lease4-del',
    { 'identifier-type': 'hw-address', identifier: '1a:1b:1c:1d:1e:20', 'subnet-id': 1 },
    { text: true },
  );
  await same('lease4-del', {}, { text: true });
  await same('lease4-del', undefined, { text: true });
  await same('lease4-wipe', { 'subnet-id': 1 }, { text: true });
  await same('lease4-wipe', { 'subnet-id': 1 }, { text: true });
  await same('lease4-wipe', undefined, { text: true });
});

test("HTTP: answers as Kea's Control Agent does, forwarding to dhcp4 or answering itself", async () => {
  const port = oursHttp?.port ?? 0;
  const pair = async (body: string, auth = true) => {
    const [k, o] = await Promise.all([post(agentPort, body, auth), post(port, body, auth)]);
    assert.equal(o.status, k.status, `${body}: status`);
    return { kea: k, ours: o };
  };
  const unauth = await pair('{"command":"list-commands"}', false);
  assert.equal(unauth.kea.status, 401);
  assert.deepEqual(unauth.ours.body, unauth.kea.body);
  assert.equal(unauth.ours.challenge, unauth.kea.challenge);

  for (const body of [
    '{"command":"foo"}',
    '{"command":"lease4-get-all"}',
    '{"command":"foo","service":["dhcp4"]}',
    '{"command":"list-commands","service":["dhcp6"]}',
    '{"command":"list-commands","service":"dhcp4"}',
    '{"command":"leases-reclaim","service":["dhcp4"]}',
    '[1]',
    '{"comand":"x"}',
    'garbage',
  ]) {
    const r = await pair(body);
    assert.deepEqual(r.ours.body, r.kea.body, body);
  }

  const agentList = await pair('{"command":"list-commands"}');
  const [kl] = agentList.kea.body as [{ arguments: string[] }];
  const [ol] = agentList.ours.body as [{ arguments: string[] }];
  assert.deepEqual(
    ol.arguments.filter((n) => n !== 'config-hash-get' && !n.startsWith('class-')),
    kl.arguments,
  );
  for (const body of [
    '{"command":"status-get"}',
    '{"command":"version-get"}',
    '{"command":"lease4-get-all","service":["dhcp4"]}',
  ]) {
    const r = await pair(body);
    assert.deepEqual(shape(r.ours.body), shape(r.kea.body), body);
  }
  const forwarded = await pair('{"command":"version-get","service":["dhcp4","dhcp4"]}');
  assert.deepEqual(shape(forwarded.ours.body), shape(forwarded.kea.body));
});

test('shutdown answers alike (last: Kea exits)', async () => {
  await same('shutdown', { 'exit-value': 'x' }, { text: true });
  await same('shutdown', undefined, { text: true });
});
