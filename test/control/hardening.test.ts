// The management surface against a hostile caller: where config-write may write, DNS rebinding, half-open
// TLS connections, secrets in answers, config-set of start-only settings, deep JSON, unauthenticated
// exposure, password guessing, and log flooding. One test (or a few) per defect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { connect, createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { parseConfig, parseConfigText } from '../../src/config/index.ts';
import { createCommandRegistry } from '../../src/control/commands/index.ts';
import { HttpControlServer } from '../../src/control/http-server.ts';
import type { JsonObject } from '../../src/control/json.ts';
import type { ControlLogger } from '../../src/control/registry.ts';
import { controlListenerSettings } from '../../src/control/settings.ts';
import { UnixControlServer } from '../../src/control/unix-server.ts';
import { mountWebSocketApi } from '../../src/control/websocket/index.ts';
import { parseRequest } from '../../src/control/websocket/request.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import { ConfigHolder } from '../../src/runtime/config-holder.ts';
import { FAKE_NOW, FakeTarget } from './fake-target.ts';
import { listenHttp } from './helpers.ts';
import { startWsServer } from '../web/ws-harness.ts';

const run = promisify(execFile);

function ctx(target: FakeTarget) {
  return { target, via: 'internal' as const, agent: false, now: () => FAKE_NOW };
}

/** Sends raw bytes, resolves with everything the server sent until it closed (or `until` matched). */
function raw(port: number, text: string, until?: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let got = '';
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (until?.test(got) === true) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
    socket.write(text);
  });
}

function post(port: number, host: string, body: unknown, headers = ''): Promise<string> {
  const text = JSON.stringify(body);
  return raw(
    port,
    `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n${headers}\r\n${text}`,
  );
}

function status(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
}

class CapturingLogger implements ControlLogger {
  readonly lines: { obj: Record<string, unknown>; msg: string }[] = [];
  warn(obj: object, msg: string): void {
    this.lines.push({ obj: obj as Record<string, unknown>, msg });
  }
  error(obj: object, msg: string): void {
    this.lines.push({ obj: obj as Record<string, unknown>, msg });
  }
}

function deepUserContext(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

const DHCP4 = {
  'valid-lifetime': 4000,
  subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.200' }] }],
};

/** A ConfigHolder started from `dir/leasekeeper.json`, answering through the real config commands. */
function configFixture(dir: string, config: JsonObject = { Dhcp4: DHCP4 }) {
  const file = join(dir, 'leasekeeper.json');
  writeFileSync(file, JSON.stringify(config));
  const parsed = parseConfig(config);
  assert.ok(parsed.ok);
  const holder = new ConfigHolder({
    config: parsed.config,
    file,
    clock: () => FAKE_NOW,
    onApply: () => undefined,
    protectedPaths: () => [join(dir, 'leases4.sqlite')],
  });
  const target = new FakeTarget();
  Object.assign(target.config, {
    get: async () => holder.json(),
    set: async (c: JsonObject) => holder.apply(c),
    write: (f: string | undefined) => holder.write(f),
    reload: () => holder.reload(),
  });
  const registry = createCommandRegistry();
  const call = (command: string, args?: unknown) =>
    registry.dispatch(args === undefined ? { command } : { command, arguments: args }, ctx(target));
  return { file, holder, call };
}

test('config-write writes only inside the configuration directory, 0600, never through links or onto the lease database', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lk-cfgw-'));
  try {
    const dir = join(root, 'etc');
    const outside = join(root, 'outside');
    mkdirSync(dir);
    mkdirSync(outside);
    const { call } = configFixture(dir);
    writeFileSync(join(dir, 'leases4.sqlite'), 'LEASES');
    writeFileSync(join(outside, 'victim'), 'KEEP');
    symlinkSync(join(outside, 'victim'), join(dir, 'link.json'));

    for (const filename of [
      join(outside, 'evil.sh'),
      '../outside/evil.sh',
      'link.json',
      join(dir, 'leases4.sqlite'),
      'leases4.sqlite-wal',
      join(root, 'no-such-dir', 'x.json'),
    ]) {
      const answer = await call('config-write', { filename });
      assert.equal(answer.result, 1, `${filename} must be refused`);
      assert.match(answer.text ?? '', /not allowed to write config into/);
    }
    assert.equal(existsSync(join(outside, 'evil.sh')), false);
    assert.equal(readFileSync(join(outside, 'victim'), 'utf8'), 'KEEP');
    assert.equal(readFileSync(join(dir, 'leases4.sqlite'), 'utf8'), 'LEASES');

    // Whether an outside path exists is not revealed: the texts differ only by the name given.
    const missing = await call('config-write', { filename: join(root, 'nope', 'a') });
    const present = await call('config-write', { filename: join(outside, 'a') });
    assert.equal(
      missing.text?.replace(join(root, 'nope', 'a'), 'X'),
      present.text?.replace(join(outside, 'a'), 'X'),
    );

    const ok = await call('config-write', { filename: 'copy.json' });
    assert.equal(ok.result, 0, ok.text);
    assert.equal(statSync(join(dir, 'copy.json')).mode & 0o777, 0o600);
    const again = await call('config-write');
    assert.equal(again.result, 0, again.text);
    assert.equal(statSync(join(dir, 'leasekeeper.json')).mode & 0o777, 0o600);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.tmp')),
      [],
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('config-reload refuses a configuration file swapped for a link out of its directory', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lk-cfgr-'));
  try {
    const dir = join(root, 'etc');
    mkdirSync(dir);
    const { file, call } = configFixture(dir);
    assert.equal((await call('config-reload')).result, 0);
    writeFileSync(join(root, 'elsewhere.json'), JSON.stringify({ Dhcp4: { ...DHCP4, 'valid-lifetime': 7 } }));
    rmSync(file);
    symlinkSync(join(root, 'elsewhere.json'), file);
    const answer = await call('config-reload');
    assert.equal(answer.result, 1);
    assert.match(answer.text ?? '', /not allowed to read config/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('DNS rebinding: requests and upgrades for a foreign Host are refused, allowlisted names served', async () => {
  const target = new FakeTarget();
  const http = await listenHttp({
    target,
    hostAllowlist: ['dhcp.example.net'],
  });
  try {
    const cmd = { command: 'lease4-wipe', service: ['dhcp4'] };
    assert.equal(status(await post(http.port, 'rebound.attacker.example', cmd)), 421);
    assert.equal(status(await post(http.port, `rebound.attacker.example:${http.port}`, cmd)), 421);
    assert.equal(status(await post(http.port, `127.0.0.1:${http.port}`, cmd)), 200);
    assert.equal(status(await post(http.port, `localhost:${http.port}`, cmd)), 200);
    assert.equal(status(await post(http.port, `DHCP.example.net:${http.port}`, cmd)), 200);
    const upgrade = await raw(
      http.port,
      `GET /ws HTTP/1.1\r\nHost: rebound.attacker.example:${http.port}\r\nOrigin: http://rebound.attacker.example:${http.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      /\r\n\r\n/,
    );
    assert.equal(status(upgrade), 421);
  } finally {
    await http.close();
  }
});

test('DNS rebinding: /ws compares Origin with the listener, not with the Host the request carries', async () => {
  const s = await startWsServer();
  try {
    const upgrade = (host: string, origin: string): Promise<string> =>
      raw(
        s.http.port,
        `GET /ws HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        /\r\n\r\n/,
      );
    const port = s.http.port;
    const rebound = `rebound.attacker.example:${port}`;
    assert.notEqual(
      status(await upgrade(rebound, `http://${rebound}`)),
      101,
      'Origin equal to Host is not enough',
    );
    assert.equal(status(await upgrade(`127.0.0.1:${port}`, `http://rebound.attacker.example:${port}`)), 403);
    assert.equal(status(await upgrade(`127.0.0.1:${port}`, `http://127.0.0.1:${port}`)), 101);
  } finally {
    await s.close();
  }
});

/** Open descriptors of this process. */
function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

async function until(check: () => boolean, limitMs: number): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

test('TLS: connections that never finish the handshake are closed at the idle timeout; excess connections are refused and logged once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-tlsfd-'));
  const logger = new CapturingLogger();
  const clients: Socket[] = [];
  let http: HttpControlServer | undefined;
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
    ]);
    http = await listenHttp({
      tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), certRequired: false },
      idleTimeoutMs: 300,
      maxConnections: 40,
      logger,
    });
    const port = http.port;
    const before = openFds();
    // Half-open: TCP connected, then a few bytes of a ClientHello and nothing more.
    const opened = await Promise.all(
      Array.from(
        { length: 60 },
        () =>
          new Promise<Socket>((resolve) => {
            const c = connect({ host: '127.0.0.1', port }, () => {
              c.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff]));
              resolve(c);
            });
            c.on('error', () => undefined);
            c.on('end', () => c.destroy());
          }),
      ),
    );
    clients.push(...opened);
    assert.ok(
      await until(() => openFds() <= before + 2, 8000),
      `descriptors still held: ${openFds() - before} above the baseline`,
    );
    assert.ok(http.refusedConnections >= 20, `refused ${http.refusedConnections}`);
    const refusedLines = logger.lines.filter((l) => /refused, too many open/.test(l.msg));
    assert.equal(refusedLines.length, 1, 'one line for the burst of refusals');
  } finally {
    for (const c of clients) c.destroy();
    await http?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const WITH_AUTH: JsonObject = {
  Dhcp4: {
    ...DHCP4,
    'control-sockets': [
      {
        'socket-type': 'http',
        'socket-address': '127.0.0.1',
        'socket-port': 8000,
        authentication: { type: 'basic', realm: 'lk', clients: [{ user: 'admin', password: 's3cr3t-pw' }] },
      },
    ],
    'lease-database': { type: 'postgresql', name: 'leases', user: 'kea', password: 'db-pw-42' },
  },
};

test('secrets: config-get and config-hash-get never carry a password; a redacted config-set keeps them', async () => {
  const target = new FakeTarget();
  target.configJson = structuredClone(WITH_AUTH);
  const registry = createCommandRegistry();
  const call = (command: string, args?: unknown) =>
    registry.dispatch(args === undefined ? { command } : { command, arguments: args }, ctx(target));
  const got = await call('config-get');
  const text = JSON.stringify(got);
  assert.doesNotMatch(text, /s3cr3t-pw|db-pw-42/);
  assert.match(text, /"password":"\*\*\*\*\*"/);
  const hash1 = JSON.stringify(await call('config-hash-get'));
  const other = structuredClone(WITH_AUTH) as { Dhcp4: { 'lease-database': { password: string } } };
  other.Dhcp4['lease-database'].password = 'another';
  target.configJson = other as unknown as JsonObject;
  assert.equal(JSON.stringify(await call('config-hash-get')), hash1, 'the hash does not depend on a secret');
  target.configJson = structuredClone(WITH_AUTH);
  const set = await call('config-set', got.arguments);
  assert.equal(set.result, 0, set.text);
  assert.match(JSON.stringify(target.configJson), /s3cr3t-pw/);
});

test('secrets: the file config-write makes is 0600 and keeps the credentials the server needs at restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-cfgs-'));
  try {
    const { call } = configFixture(dir, WITH_AUTH);
    assert.equal((await call('config-write', { filename: 'saved.json' })).result, 0);
    assert.equal(statSync(join(dir, 'saved.json')).mode & 0o077, 0);
    assert.match(readFileSync(join(dir, 'saved.json'), 'utf8'), /s3cr3t-pw/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config-set refuses changes to the control listeners, the lease and the host databases, naming the key', async () => {
  const target = new FakeTarget();
  target.configJson = structuredClone(WITH_AUTH);
  const registry = createCommandRegistry();
  const set = (dhcp4: JsonObject) =>
    registry.dispatch({ command: 'config-set', arguments: { Dhcp4: dhcp4 } }, ctx(target));
  const base = (WITH_AUTH['Dhcp4'] ?? {}) as JsonObject;
  const exposed = await set({
    ...base,
    'control-sockets': [{ 'socket-type': 'http', 'socket-address': '0.0.0.0', 'socket-port': 8000 }],
  });
  assert.equal(exposed.result, 1);
  assert.match(exposed.text ?? '', /'control-sockets' cannot be changed by config-set/);
  const moved = await set({ ...base, 'lease-database': { type: 'sqlite', name: '/tmp/elsewhere.sqlite' } });
  assert.equal(moved.result, 1);
  assert.match(moved.text ?? '', /'lease-database'/);
  const hosts = await set({ ...base, 'hosts-database': { type: 'postgresql', name: 'hosts' } });
  assert.equal(hosts.result, 1);
  assert.match(hosts.text ?? '', /'hosts-database' cannot be changed by config-set/);
  assert.deepEqual(target.configJson, WITH_AUTH);
  const lifetime = await set({ ...base, 'valid-lifetime': 600 });
  assert.equal(lifetime.result, 0, lifetime.text);
});

test('config-test answers what config-set would: the same refusal of control listener and lease database changes', async () => {
  const target = new FakeTarget();
  target.configJson = structuredClone(WITH_AUTH);
  const tested: JsonObject[] = [];
  const configTest = target.config.test;
  target.config.test = (c) => {
    tested.push(c);
    return configTest(c);
  };
  const registry = createCommandRegistry();
  const call = (command: string, dhcp4: JsonObject) =>
    registry.dispatch({ command, arguments: { Dhcp4: dhcp4 } }, ctx(target));
  const base = (WITH_AUTH['Dhcp4'] ?? {}) as JsonObject;
  const candidates: JsonObject[] = [
    { ...base, 'control-socket': { 'socket-type': 'unix', 'socket-name': '/tmp/elsewhere.sock' } },
    {
      ...base,
      'control-sockets': [{ 'socket-type': 'http', 'socket-address': '0.0.0.0', 'socket-port': 8000 }],
    },
    { ...base, 'lease-database': { type: 'sqlite', name: '/tmp/elsewhere.sqlite' } },
  ];
  for (const candidate of candidates) {
    const tested = await call('config-test', candidate);
    const set = await call('config-set', candidate);
    assert.equal(set.result, 1, set.text);
    assert.deepEqual(tested, set);
  }
  // The redacted secrets of config-get are the running ones to config-test too, as to config-set.
  const got = await registry.dispatch({ command: 'config-get' }, ctx(target));
  const answer = await registry.dispatch({ command: 'config-test', arguments: got.arguments }, ctx(target));
  assert.equal(answer.result, 0, answer.text);
  assert.equal(tested.length, 1, 'only the unrefused candidate reached the check');
  assert.match(JSON.stringify(tested[0]), /s3cr3t-pw/);
  assert.deepEqual(target.configJson, WITH_AUTH);
});

test('deep JSON: refused with a clear error by the UNIX socket, HTTP, WebSocket and the config file reader', async () => {
  const deep = deepUserContext(3000);
  const command = `{"command":"config-set","arguments":{"Dhcp4":{"valid-lifetime":4000,"user-context":${deep}}}}`;
  const dir = mkdtempSync(join(tmpdir(), 'lk-deep-'));
  const target = new FakeTarget();
  const registry = createCommandRegistry();
  const unix = await UnixControlServer.listen({ path: join(dir, 'ctl.sock'), registry, target });
  const http = await HttpControlServer.listen({ host: '127.0.0.1', port: 0, registry, target });
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      const c = createConnection(join(dir, 'ctl.sock'));
      let got = '';
      c.on('data', (d) => (got += d.toString()));
      c.on('end', () => resolve(got));
      c.on('error', reject);
      c.end(command);
    });
    assert.match(answer, /nested too deeply/);
    assert.equal((JSON.parse(answer) as { result: number }).result, 1);
    const overHttp = await raw(
      http.port,
      `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${command.length}\r\nConnection: close\r\n\r\n${command}`,
    );
    assert.equal(status(overHttp), 400);
    assert.match(overHttp, /nested too deeply/);
    assert.doesNotMatch(JSON.stringify(target.configJson), /user-context/);
    assert.throws(
      () => parseRequest(`{"name":"/dhcp/server/v1","event":"state","body":${deep}}`),
      /nested too deeply/,
    );
    const direct = await registry.dispatch(
      {
        command: 'config-set',
        arguments: JSON.parse(command.slice(command.indexOf('{"Dhcp4"'), -1)) as unknown,
      },
      ctx(target),
    );
    assert.equal(direct.result, 1);
    assert.match(direct.text ?? '', /nested too deeply/);
    const file = parseConfigText(`{"Dhcp4":{"user-context":${deep}}}`);
    assert.equal(file.ok, false);
    assert.match(file.ok ? '' : file.error.message, /nested too deeply/);
  } finally {
    await unix.close();
    await http.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('exposure: a non-loopback HTTP listener without authentication is refused unless opted in', () => {
  assert.throws(() => controlListenerSettings({}, { controlHttp: '0.0.0.0:8000' }), /no authentication/);
  assert.throws(
    () =>
      controlListenerSettings({
        'control-sockets': [{ 'socket-type': 'http', 'socket-address': '198.18.0.1', 'socket-port': 8000 }],
      }),
    /insecure-control/,
  );
  assert.equal(
    controlListenerSettings({}, { controlHttp: '0.0.0.0:8000', insecureControl: true }).http[0]?.insecure,
    true,
  );
  const optedIn = controlListenerSettings({
    'control-sockets': [
      { 'socket-type': 'http', 'socket-address': '::', 'socket-port': 8000, 'insecure-control': true },
    ],
  });
  assert.equal(optedIn.http[0]?.insecure, true);
  const authed = controlListenerSettings(
    {
      'control-sockets': [
        { 'socket-type': 'http', authentication: { type: 'basic', clients: [{ user: 'a', password: 'b' }] } },
      ],
    },
    { controlHttp: '0.0.0.0:8000' },
  );
  assert.equal(authed.http[0]?.host, '0.0.0.0');
  assert.equal(controlListenerSettings({}, { controlHttp: '127.0.0.1:8000' }).http.length, 1);
});

test('authentication: failures are logged once per interval and a guessing address is throttled', async () => {
  const logger = new CapturingLogger();
  const http = await listenHttp({
    auth: { realm: 'lk', clients: [{ user: 'admin', password: 'right' }] },
    authThrottle: { maxFailures: 5, windowMs: 60_000 },
    logger,
  });
  try {
    const cmd = { command: 'list-commands', service: ['dhcp4'] };
    const as = (user: string, pw: string) =>
      post(
        http.port,
        '127.0.0.1',
        cmd,
        `Authorization: Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}\r\n`,
      );
    assert.equal(status(await as('admin', 'right')), 200);
    for (let i = 0; i < 5; i++) assert.equal(status(await as('admin\n"forged', `wrong${i}`)), 401);
    // The sixth attempt, even with the right password, is refused until the window ends.
    const throttled = await as('admin', 'right');
    assert.equal(status(throttled), 429);
    assert.match(throttled, /Retry-After: \d+/);
    await http.close();
    const failures = logger.lines.filter((l) => /failed login/.test(l.msg));
    assert.ok(failures.length >= 1 && failures.length < 6, `${failures.length} lines for 6 failures`);
    assert.equal(
      failures.reduce((n, l) => n + Number(l.obj['count']), 0),
      6,
    );
    assert.ok(
      failures.every((l) => !l.msg.includes('\n')),
      'the claimed user name is escaped',
    );
  } finally {
    await http.close();
  }
});

test('log flooding: bad connections are logged once per interval with a count', async () => {
  const logger = new CapturingLogger();
  const http = await listenHttp({
    logger,
  });
  for (let i = 0; i < 40; i++) await raw(http.port, 'NOT HTTP AT ALL\r\n\r\n');
  await http.close();
  const lines = logger.lines.filter((l) => /bad connection|client error/.test(l.msg));
  assert.ok(lines.length >= 1 && lines.length < 40, `${lines.length} lines for 40 bad connections`);
  assert.equal(
    lines.reduce((n, l) => n + Number(l.obj['count'] ?? 1), 0),
    40,
  );
});

test('exposure: `serve --control-http 0.0.0.0:PORT` without authentication exits with the reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-expose-'));
  try {
    const config = join(dir, 'leasekeeper.json');
    writeFileSync(config, JSON.stringify({ Dhcp4: { ...DHCP4, 'interfaces-config': { interfaces: [] } } }));
    const cli = fileURLToPath(new URL('../../bin/leasekeeper.js', import.meta.url));
    const args = [cli, 'serve', '--config', config, '--lease-file', join(dir, 'leases.sqlite')];
    const refused = await run(process.execPath, [...args, '--control-http', '0.0.0.0:0'], {
      timeout: 30_000,
    }).then(
      () => assert.fail('serve started'),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /0\.0\.0\.0:0 is not on a loopback address and has no authentication/);
    assert.match(refused.stderr, /--insecure-control/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('log flooding: misbehaving WebSocket peers are logged once per interval with a count', async () => {
  const logger = new CapturingLogger();
  const store = new MemoryLeaseStore();
  const target = new FakeTarget();
  const http = await listenHttp({
    target,
  });
  const api = mountWebSocketApi({ http, target, store, logger, maxPayload: 1024 });
  try {
    for (let i = 0; i < 10; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${http.port}/ws`);
      await new Promise((resolve) => ws.once('open', resolve));
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.send('x'.repeat(4096));
      await closed;
    }
  } finally {
    await api.close();
    await http.close();
    await store.close();
  }
  const lines = logger.lines.filter((l) => /socket error/.test(l.msg));
  assert.ok(lines.length >= 1 && lines.length < 10, `${lines.length} lines for 10 oversized messages`);
  assert.equal(
    lines.reduce((n, l) => n + Number(l.obj['count'] ?? 1), 0),
    10,
  );
});
