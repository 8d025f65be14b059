// The control option: the dashboard, the Kea-style HTTP API and the WebSocket API see the library's server.
import { test } from 'node:test';
import { request as httpRequest } from 'node:http';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { SEED, lan } from './helpers.ts';

test('control: { http } serves the dashboard and the control API of the same leases', async () => {
  const l = lan();
  const server = await l.serve({
    ...SEED,
    control: { http: '127.0.0.1:0' },
  });
  const client = await l.client('02:00:00:00:00:01');
  try {
    const url = server.controlUrl;
    assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url!);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);

    const lease = await client.bound();
    const res = await fetch(url!, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ command: 'lease4-get-all', service: ['dhcp4'] }),
    });
    const [answer] = (await res.json()) as {
      result: number;
      arguments: { leases: { 'ip-address': string }[] };
    }[];
    assert.equal(answer?.result, 0);
    assert.deepEqual(
      answer.arguments.leases.map((x) => x['ip-address']),
      [lease.address],
    );

    const ws = new WebSocket(`${url!.replace('http:', 'ws:')}ws`);
    const clients = await new Promise<unknown[]>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('open', () => ws.send(JSON.stringify({ name: '/dhcp/server/v1', event: 'clients' })));
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { event: string; body: unknown[] };
        if (m.event === 'clients') resolve(m.body);
      });
    });
    ws.close();
    assert.equal(clients.length, 1);
    assert.equal((clients[0] as { mac: string }).mac, '02-00-00-00-00-01');
  } finally {
    await client.stop();
    await server.stop();
  }
  // stop() closed the listener: a new connection (none from fetch's pool) is refused.
  await assert.rejects(
    new Promise((resolve, reject) => {
      const req = httpRequest(server.controlUrl!, { agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    }),
    { code: 'ECONNREFUSED' },
  );
});

test('control: { socket } opens a Kea-style UNIX control socket', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-lib-ctl-'));
  const path = join(dir, 'ctl.sock');
  const l = lan();
  const server = await l.serve({ ...SEED, control: { socket: path } });
  try {
    assert.equal(server.controlUrl, undefined);
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      const s = net.createConnection(path, () => s.write(JSON.stringify({ command: 'list-commands' })));
      s.on('data', (d) => {
        text += d.toString();
        try {
          JSON.parse(text);
          s.end();
          resolve(text);
        } catch {
          // not all of it yet
        }
      });
      s.on('error', reject);
    });
    const parsed = JSON.parse(answer) as { result: number; arguments: string[] };
    assert.equal(parsed.result, 0);
    assert.ok(parsed.arguments.includes('lease4-get-all'));
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
