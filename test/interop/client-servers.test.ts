/**
 * `leasekeeper client` (the CLI, a real process in a lab namespace) against real servers: dnsmasq 2.90,
 * Kea 2.2 and `leasekeeper serve`. Each run obtains a lease, checks the address on the interface with
 * `ip -4 addr`, renews (through `client ctl renew` or SIGUSR1), reads `status` and `statistics`, and
 * releases on SIGTERM with -R, the server's log showing the RELEASE. Once through the built-in iproute2
 * applier, once through a udhcpc script that logs its environment and configures the address itself.
 * Root, iproute2, 198.18.0.0/15 only, no routes.
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { createLab, type LabProcess, type Netns } from '../lab/netns.ts';
import { serverAndClient } from '../lab/server-client.ts';
import { startDnsmasq, startKea } from '../lab/peers.ts';
import { CLI, ctl, scriptEvents, spawnClient, writeScript } from '../runtime/client-helpers.ts';

const { test } = requiring('root', 'ip', 'dnsmasq', 'kea-dhcp4');

type ServerKind = 'dnsmasq' | 'kea' | 'serve';

interface Started {
  readonly proc: LabProcess;
  /** A pattern of the server's log line for a RELEASE of `address`. */
  released(address: string): RegExp;
}

async function startServer(kind: ServerKind, srv: Netns): Promise<Started> {
  if (kind === 'dnsmasq') {
    const d = await startDnsmasq(srv, 'eth0', {
      range: ['198.18.0.50', '198.18.0.60'],
      router: '198.18.0.1',
    });
    return { proc: d.proc, released: (a) => new RegExp(`DHCPRELEASE\\(eth0\\) ${esc(a)}`) };
  }
  if (kind === 'kea') {
    const k = await startKea(srv, 'eth0', {
      subnet: '198.18.0.0/24',
      pool: '198.18.0.100 - 198.18.0.110',
      router: '198.18.0.1',
    });
    return { proc: k.proc, released: (a) => new RegExp(`DHCP4_RELEASE .*${esc(a)}`) };
  }
  const proc = srv.spawn(process.execPath, [
    CLI,
    'serve',
    '--interface',
    'eth0',
    '--lease-file',
    join(srv.dir, 'leases.sqlite'),
  ]);
  await proc.waitFor(/listening/, 30_000);
  return { proc, released: (a) => new RegExp(`DHCPRELEASE for ${esc(a)} .*released`) };
}

function esc(s: string): string {
  return s.replace(/\./g, '\\.');
}

async function scenario(kind: ServerKind, mode: 'builtin' | 'script'): Promise<void> {
  const lab = await createLab('cli');
  try {
    const { srv, cli } = await serverAndClient(lab);
    const server = await startServer(kind, srv);
    const sock = join(cli.dir, 'ctl.sock');
    const { script, log } = writeScript(cli.dir);
    const args = ['-i', 'eth0', '-f', '-R', '-t', '5', '-T', '1', '-A', '2', '--arp-timeout', '300'];
    args.push('--control-socket', sock, '--lease-file', join(cli.dir, 'lease.json'));
    args.push(...(mode === 'script' ? ['-s', script] : ['--no-route']));
    const client = spawnClient(cli, args);

    const got = await client.waitFor(/lease of (\S+) obtained from ([\d.]+)/, 30_000);
    const address = got[1] ?? '';
    assert.equal(got[2], '198.18.0.1');
    assert.match(address, /^198\.18\.0\.\d+$/);
    await client.waitFor(/state REQUESTING -> BOUND/, 5_000);
    assert.deepEqual(await cli.addresses('eth0'), [`${address}/24`]);

    const status = await ctl(sock, 'status');
    assert.equal(status.code, 0, status.stderr);
    const st = (JSON.parse(status.stdout) as { arguments: Record<string, unknown> }).arguments;
    assert.equal(st['state'], 'BOUND');
    assert.equal(st['interface'], 'eth0');
    assert.equal((st['lease'] as { address: string }).address, address);
    assert.equal(st['serverId'], '198.18.0.1');
    assert.equal(typeof st['renewIn'], 'number');

    // renew: by the control channel with the built-in applier, by SIGUSR1 with the script
    if (mode === 'builtin') {
      const r = await ctl(sock, 'renew');
      assert.equal(r.code, 0, r.stderr);
    } else {
      process.kill(client.pid, 'SIGUSR1');
    }
    await client.waitFor(new RegExp(`lease of ${esc(address)} renewed from 198\\.18\\.0\\.1`), 15_000);
    await client.waitFor(/state RENEWING -> BOUND/, 5_000);
    assert.deepEqual(await cli.addresses('eth0'), [`${address}/24`]);

    const stats = await ctl(sock, 'statistics');
    const s = (JSON.parse(stats.stdout) as { arguments: { sent: Record<string, number>; renewed: number } })
      .arguments;
    assert.ok((s.sent['DHCPDISCOVER'] ?? 0) >= 1);
    assert.ok((s.sent['DHCPREQUEST'] ?? 0) >= 2);
    assert.equal(s.renewed, 1);

    // SIGTERM with -R: RELEASE, deconfig, exit 0
    assert.equal(await client.stop('SIGTERM', 10_000), 0);
    await server.proc.waitFor(server.released(address), 10_000);
    assert.deepEqual(await cli.addresses('eth0'), []);

    if (mode === 'script') {
      const events = scriptEvents(readFileSync(log, 'utf8'));
      assert.deepEqual(
        events.map((e) => e.event),
        ['deconfig', 'bound', 'renew', 'deconfig'],
      );
      const bound = events[1]?.env ?? {};
      assert.equal(bound['interface'], 'eth0');
      assert.equal(bound['ip'], address);
      assert.equal(bound['mask'], '24');
      assert.equal(bound['serverid'], '198.18.0.1');
      assert.equal(bound['router'], '198.18.0.1');
      assert.match(bound['lease'] ?? '', /^\d+$/);
    }
  } finally {
    await lab.close();
  }
}

for (const kind of ['dnsmasq', 'kea', 'serve'] as const) {
  for (const mode of ['builtin', 'script'] as const) {
    test(`client vs ${kind} (${mode === 'builtin' ? 'built-in iproute2' : 'udhcpc script'}): obtain, renew, release`, () =>
      scenario(kind, mode));
  }
}

test('client ctl events streams state changes as JSON lines; a raw subscriber sees them too', async () => {
  const lab = await createLab('cle');
  try {
    const { srv, cli } = await serverAndClient(lab);
    await startServer('dnsmasq', srv);
    const sock = join(cli.dir, 'ctl.sock');
    const client = spawnClient(cli, [
      '-i',
      'eth0',
      '-f',
      '-t',
      '5',
      '-T',
      '1',
      '--no-arp',
      '--no-route',
      '--control-socket',
      sock,
    ]);
    await client.waitFor(/lease of (\S+) obtained/, 30_000);

    // a raw subscriber: the answer line, then events
    const raw = createConnection(sock);
    raw.setEncoding('utf8');
    let text = '';
    raw.on('data', (d: string) => (text += d));
    raw.write(JSON.stringify({ command: 'subscribe' }));
    for (let i = 0; i < 100 && !text.includes('\n'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(text.split('\n')[0] ?? '', /"result":0/);

    // the CLI: two events, then it exits 0; renews keep events coming until it has them
    const streamed = ctl(sock, 'events', ['--count', '2']);
    let done = false;
    void streamed.then(() => (done = true));
    for (let i = 0; i < 20 && !done; i++) {
      await ctl(sock, 'renew');
      await new Promise((r) => setTimeout(r, 300));
    }
    const out = await streamed;
    assert.equal(out.code, 0, out.stderr);
    const lines = out.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    for (const l of lines) {
      const e = JSON.parse(l) as { type: string; time: number };
      assert.equal(typeof e.type, 'string');
      assert.equal(typeof e.time, 'number');
    }
    const rawEvents = text
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l) as { type: string; from?: string; to?: string });
    assert.ok(rawEvents.some((e) => e.type === 'state' && e.from === 'BOUND' && e.to === 'RENEWING'));
    assert.ok(rawEvents.some((e) => e.type === 'lease-renewed'));
    raw.end();

    const bad = await ctl(sock, 'status', ['--timeout', 'x']);
    assert.equal(bad.code, 2);
    assert.equal(await client.stop('SIGTERM', 10_000), 0);
  } finally {
    await lab.close();
  }
});
