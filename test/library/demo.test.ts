// `leasekeeper demo`: the CLI starts, prints its URL, and the dashboard (in Debian's Chromium) shows the
// simulated clients; the WebSocket API's `clients` event lists them too; SIGTERM stops it cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../lab/browser.ts';
import { needs } from '../lab/needs.ts';
import WebSocket from 'ws';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLIENTS = 3;

/** Spawns the demo and resolves with its dashboard URL once printed. */
function startDemo(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(
    process.execPath,
    ['bin/leasekeeper.js', 'demo', '--clients', String(CLIENTS), '--http', '127.0.0.1:0'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve({ child, url: m[1]!, output: () => out });
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`demo exited with ${code}:\n${out}`)));
  });
}

function wsClients(url: string, want: number): Promise<{ mac: string; address: string; state: string }[]> {
  const ws = new WebSocket(`${url.replace('http:', 'ws:')}ws`);
  return new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ name: '/dhcp/server/v1', event: 'clients' })));
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as {
        event: string;
        body: { mac: string; address: string; state: string }[];
      };
      if (m.event === 'clients' && m.body.length >= want) {
        ws.close();
        resolve(m.body);
      }
    });
  });
}

test(
  'leasekeeper demo: the dashboard shows the simulated clients; SIGTERM stops it',
  needs('chromium'),
  async () => {
    const { child, url, output } = await startDemo();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const clients = await wsClients(url, CLIENTS);
      assert.deepEqual(clients.map((c) => c.mac).sort(), [
        '02-00-00-DE-00-01',
        '02-00-00-DE-00-02',
        '02-00-00-DE-00-03',
      ]);
      assert.ok(clients.every((c) => c.state === 'BOUND' && /^198\.18\.0\.1\d\d$/.test(c.address)));

      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(url);
        await page.locator('#connection[data-status="live"]').waitFor({ timeout: 15_000 });
        for (const c of clients) {
          await page.locator(`#leases-body tr[data-address="${c.address}"]`).waitFor({ timeout: 15_000 });
        }
        assert.ok((await page.locator('#leases-body tr').count()) >= CLIENTS);
        assert.match(await page.locator('#leases-body').innerText(), /vm-1/);
      } finally {
        await browser.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    assert.match(output(), /vm-1 \(02:00:00:de:00:01\) joined: 198\.18\.0\.1\d\d/);
    assert.match(output(), /stopping\.\.\./);
  },
);
