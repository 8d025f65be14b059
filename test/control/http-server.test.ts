import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HttpControlServer, type HttpControlOptions } from '../../src/control/http-server.ts';
import { FakeTarget } from './fake-target.ts';
import { listenHttp } from './helpers.ts';
import { needs } from '../lab/needs.ts';

const run = promisify(execFile);

async function withHttp(
  fn: (server: HttpControlServer, target: FakeTarget) => Promise<void>,
  extra: Partial<HttpControlOptions> = {},
): Promise<void> {
  const target = new FakeTarget();
  const server = await listenHttp({
    target,
    ...extra,
  });
  try {
    await fn(server, target);
  } finally {
    await server.close();
  }
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function post(
  port: number,
  body: string,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: '/',
        headers: { 'Content-Type': 'application/json', ...headers },
      },
      (res) => {
        let data = '';
        res.on('data', (d: Buffer) => (data += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs Kea's own kea-shell; `stdin` is the inside of the arguments map, as kea-shell expects. */
async function keaShell(port: number, command: string, stdin = '', extra: string[] = []): Promise<unknown> {
  const child = spawn('kea-shell', [
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--service',
    'dhcp4',
    ...extra,
    command,
  ]);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.end(stdin);
  // A spawn failure (ENOENT) emits 'error' and may never emit 'close': reject so withHttp closes its server.
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  assert.equal(code, 0, `kea-shell failed: ${out} ${err}`);
  return JSON.parse(out);
}

test(
  "Kea's kea-shell drives the HTTP listener: list-commands, status-get, config-get, lease4-get-all",
  needs('kea-shell'),
  async () => {
    await withHttp(async (server, target) => {
      const list = (await keaShell(server.port, 'list-commands')) as [
        { result: number; arguments: string[] },
      ];
      assert.equal(list.length, 1);
      assert.equal(list[0].result, 0);
      assert.ok(list[0].arguments.includes('reservation-get-page'));
      const status = (await keaShell(server.port, 'status-get')) as [{ arguments: { pid: number } }];
      assert.equal(status[0].arguments.pid, 4242);
      const config = (await keaShell(server.port, 'config-get')) as [{ arguments: unknown }];
      assert.deepEqual(config[0].arguments, target.configJson);
      await keaShell(
        server.port,
        'lease4-add',
        '"ip-address": "198.18.0.101", "hw-address": "1a:1b:1c:1d:1e:1f"',
      );
      const leases = (await keaShell(server.port, 'lease4-get-all')) as [
        { result: number; arguments: { leases: { 'ip-address': string }[] } },
      ];
      assert.equal(leases[0].result, 0);
      assert.deepEqual(
        leases[0].arguments.leases.map((l) => l['ip-address']),
        ['198.18.0.101'],
      );
      const reclaim = (await keaShell(server.port, 'leases-reclaim', '"remove": false')) as [
        { result: number },
      ];
      assert.equal(reclaim[0].result, 0);
      assert.deepEqual(target.calls, ['reclaim false']);
    });
  },
);

test('without service the listener answers as the Control Agent would', async () => {
  await withHttp(async (server) => {
    const list = JSON.parse((await post(server.port, '{"command":"list-commands"}')).body);
    assert.deepEqual(list[0].arguments, [
      'build-report',
      'config-get',
      'config-hash-get',
      'config-reload',
      'config-set',
      'config-test',
      'config-write',
      'list-commands',
      'shutdown',
      'status-get',
      'version-get',
    ]);
    const status = JSON.parse((await post(server.port, '{"command":"status-get","service":[]}')).body);
    assert.deepEqual(Object.keys(status[0].arguments), ['pid', 'reload', 'uptime']);
    const lease = JSON.parse((await post(server.port, '{"command":"lease4-get-all"}')).body);
    assert.equal(lease[0].result, 2);
    assert.match(lease[0].text, /^'lease4-get-all' command not supported\. You did not include "service"/);
    const other = JSON.parse(
      (await post(server.port, '{"command":"list-commands","service":["dhcp6"]}')).body,
    );
    assert.deepEqual(other, [
      { result: 1, text: 'forwarding socket is not configured for the server type dhcp6' },
    ]);
    const two = JSON.parse(
      (await post(server.port, '{"command":"version-get","service":["dhcp4","dhcp4"]}')).body,
    );
    assert.equal(two.length, 2);
    const notList = JSON.parse((await post(server.port, '{"command":"version-get","service":"dhcp4"}')).body);
    assert.deepEqual(notList, [{ result: 1, text: 'service value must be a list' }]);
  });
});

test('bad HTTP input: malformed JSON, wrong content type, oversized, idle client; the listener keeps serving', async () => {
  await withHttp(
    async (server) => {
      const bad = await post(server.port, 'garbage');
      assert.equal(bad.status, 400);
      assert.deepEqual(JSON.parse(bad.body), { result: 400, text: 'Bad Request' });
      assert.equal(
        (await post(server.port, '{"command":"x"}', { 'Content-Type': 'text/plain' })).status,
        400,
      );
      assert.equal((await post(server.port, '', {}, 'GET')).status, 400);
      const notMap = JSON.parse((await post(server.port, '[1]')).body);
      assert.match(notMap[0].text, /expected map/);
      const big = await post(
        server.port,
        JSON.stringify({ command: 'x', arguments: { a: 'a'.repeat(5000) } }),
      );
      assert.equal(big.status, 413);
      const closedBy = await new Promise<string>((resolve) => {
        const socket = connect(server.port, '127.0.0.1');
        socket.on('close', () => resolve('closed'));
        socket.on('error', () => {});
      });
      assert.equal(closedBy, 'closed');
      const ok = await post(server.port, '{"command":"version-get","service":["dhcp4"]}', {
        'Content-Type': 'application/json; charset=utf-8',
      });
      assert.equal(JSON.parse(ok.body)[0].text, '0.1.0');
    },
    { maxRequestBytes: 1024, idleTimeoutMs: 300 },
  );
});

test(
  'basic authentication: 401 with WWW-Authenticate, kea-shell with credentials passes',
  needs('kea-shell'),
  async () => {
    await withHttp(
      async (server) => {
        const none = await post(server.port, '{"command":"list-commands"}');
        assert.equal(none.status, 401);
        assert.equal(none.headers['www-authenticate'], 'Basic realm="lk-realm"');
        assert.deepEqual(JSON.parse(none.body), { result: 401, text: 'Unauthorized' });
        const wrong = await post(server.port, '{"command":"list-commands"}', {
          Authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}`,
        });
        assert.equal(wrong.status, 401);
        const shell = (await keaShell(server.port, 'version-get', '', [
          '--auth-user',
          'admin',
          '--auth-password',
          's3cret',
        ])) as [{ text: string }];
        assert.equal(shell[0].text, '0.1.0');
      },
      { auth: { realm: 'lk-realm', clients: [{ user: 'admin', password: 's3cret' }] } },
    );
  },
);

test('GET routes and the upgrade hook share the listener', async () => {
  await withHttp(async (server) => {
    server.addGetRoute('/', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<h1>dashboard</h1>');
    });
    const upgrades: string[] = [];
    server.onUpgrade((req, socket) => {
      upgrades.push(req.url ?? '');
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n');
    });
    server.addGetRoute('/broken', () => {
      throw new Error('route bug');
    });
    const broken = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port: server.port, path: '/broken' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    assert.equal(broken, 500);
    const page = await post(server.port, '', {}, 'GET');
    assert.equal(page.status, 200);
    assert.equal(page.body, '<h1>dashboard</h1>');
    const posted = await post(server.port, '{"command":"version-get","service":["dhcp4"]}');
    assert.equal(posted.status, 200);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port: server.port,
        path: '/ws',
        headers: { Connection: 'Upgrade', Upgrade: 'test' },
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 101);
    assert.deepEqual(upgrades, ['/ws']);
  });
});

test(
  'TLS with a configured certificate; client certificates required when asked',
  needs('openssl', 'kea-shell'),
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-tls-'));
    try {
      const f = (n: string): string => join(dir, n);
      const ssl = (...args: string[]) => run('openssl', args);
      await ssl(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        f('ca.key'),
        '-out',
        f('ca.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=lk-test-ca',
      );
      for (const name of ['server', 'client']) {
        await ssl(
          'req',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          f(`${name}.key`),
          '-out',
          f(`${name}.csr`),
          '-subj',
          `/CN=127.0.0.1`,
        );
        await run('sh', [
          '-c',
          `printf 'subjectAltName=IP:127.0.0.1\\n' > ${f('ext')} && openssl x509 -req -in ${f(`${name}.csr`)} -CA ${f('ca.pem')} -CAkey ${f('ca.key')} -CAcreateserial -out ${f(`${name}.pem`)} -days 2 -extfile ${f('ext')}`,
        ]);
      }
      const tls = {
        trustAnchor: f('ca.pem'),
        certFile: f('server.pem'),
        keyFile: f('server.key'),
        certRequired: true,
      };
      await withHttp(
        async (server) => {
          assert.match(server.url, /^https:/);
          const withCert = (await keaShell(server.port, 'version-get', '', [
            '--ca',
            f('ca.pem'),
            '--cert',
            f('client.pem'),
            '--key',
            f('client.key'),
          ])) as [{ text: string }];
          assert.equal(withCert[0].text, '0.1.0');
          const child = spawn('kea-shell', [
            '--host',
            '127.0.0.1',
            '--port',
            String(server.port),
            '--ca',
            f('ca.pem'),
            'version-get',
          ]);
          child.stdin.end();
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          // A spawn failure (ENOENT) emits 'error' and may never emit 'close': reject so withHttp closes its server.
          const code = await new Promise<number | null>((resolve, reject) => {
            child.once('error', reject);
            child.once('close', resolve);
          });
          assert.notEqual(code, 0, 'a client without certificate must be refused');
          assert.match(out, /Failed to run/);
        },
        { tls },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('the ws package mounts on the upgrade hook, behind the same authentication', async () => {
  const { WebSocketServer, WebSocket } = await import('ws');
  const auth = { realm: 'r', clients: [{ user: 'u', password: 'p' }] };
  await withHttp(
    async (server) => {
      const wss = new WebSocketServer({ noServer: true });
      wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo ${String(m)}`)));
      server.onUpgrade((req, socket, head) => {
        if (req.url === '/ws') wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
        else socket.destroy();
      });
      const url = `ws://127.0.0.1:${server.port}/ws`;
      const refused = await new Promise<number>((resolve) => {
        const ws = new WebSocket(url);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => {});
      });
      assert.equal(refused, 401);
      const echoed = await new Promise<string>((resolve, reject) => {
        const ws = new WebSocket(url, {
          headers: { Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` },
        });
        ws.on('open', () => ws.send('hi'));
        ws.on('message', (m) => {
          ws.close();
          resolve(String(m));
        });
        ws.on('error', reject);
      });
      assert.equal(echoed, 'echo hi');
      wss.close();
    },
    { auth },
  );
});
