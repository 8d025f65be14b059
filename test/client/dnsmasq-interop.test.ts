/**
 * The engine's messages judged by a real server: dnsmasq (Debian 12, 2.90) in a network namespace, our
 * engine in another behind a throwaway runtime (interop/mini-runtime.ts). DORA, a unicast renewal
 * (RENEWING from the configured address), and a RELEASE that dnsmasq must log.
 * Needs root, iproute2 and dnsmasq (see /work/shared/design/LAB.md); addresses from 198.18.0.0/15.
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, destroyLab, waitForFile } from './interop/netns.ts';
import type { Lab } from './interop/netns.ts';

const { after, before, describe, it } = requiring('root', 'ip', 'dnsmasq');

const dir = mkdtempSync(join(tmpdir(), 'lk-dnsmasq-'));
const dnsmasqLog = join(dir, 'dnsmasq.log');
let lab: Lab | null = null;
let dnsmasq: ChildProcess | null = null;

interface Line {
  ready?: boolean;
  send?: string;
  to?: string;
  via?: string;
  configure?: string;
  deconfigure?: string;
  event?: string;
  lease?: { address: string; serverId: string; prefixLength: number; leaseTime: number; renewalTime: number };
  stats?: { sent: Record<string, number>; received: Record<string, number> };
}

/** Runs the mini runtime in the client namespace, feeding it commands when `when` sees a line. */
function runClient(
  l: Lab,
  script: (line: Line, send: (cmd: string) => void) => void,
  leaseFile?: string,
): Promise<Line[]> {
  const runtime = fileURLToPath(new URL('./interop/mini-runtime.ts', import.meta.url));
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      l.cli,
      process.execPath,
      '--import',
      'tsx',
      runtime,
      l.ifCli,
      l.cliMac,
      ...(leaseFile === undefined ? [] : [leaseFile]),
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines: Line[] = [];
  let buf = '';
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = JSON.parse(buf.slice(0, nl)) as Line;
      buf = buf.slice(nl + 1);
      lines.push(line);
      script(line, (cmd) => child.stdin.write(cmd + '\n'));
    }
  });
  return new Promise((resolve) =>
    child.on('exit', () => {
      clearTimeout(killer);
      resolve(lines);
    }),
  );
}

describe('the client engine against dnsmasq', () => {
  before(() => {
    lab = createLab(`lkd${process.pid % 100000}`);
    dnsmasq = spawn(
      'ip',
      [
        ...[
          'netns',
          'exec',
          lab.srv,
          'dnsmasq',
          '--no-daemon',
          '--conf-file=/dev/null',
          '--port=0',
          '--log-dhcp',
        ],
        ...[`--interface=${lab.ifSrv}`, '--bind-interfaces', '--no-ping', `--pid-file=${join(dir, 'pid')}`],
        // Authoritative: a REQUEST for an address dnsmasq did not lease gets a NAK, not silence.
        '--dhcp-authoritative',
        ...[
          '--dhcp-range=198.18.0.20,198.18.0.30,255.255.255.0,2m',
          `--dhcp-leasefile=${join(dir, 'leases')}`,
        ],
        `--log-facility=${dnsmasqLog}`,
      ],
      { stdio: 'ignore' },
    );
    waitForFile(dnsmasqLog, 'DHCP, IP range', 20_000);
  });

  after(() => {
    dnsmasq?.kill('SIGKILL');
    if (lab !== null) destroyLab(lab);
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds, renews by unicast, and releases', async () => {
    let renewed = false;
    const lines = await runClient(lab!, (line, send) => {
      if (line.configure === 'bound') send('renew');
      if (line.configure === 'renew' && !renewed) {
        renewed = true;
        send('release');
      }
      if (line.deconfigure === 'released') send('stop');
    });
    const sends = lines.filter((l) => l.send !== undefined).map((l) => `${l.send} ${l.to} ${l.via}`);
    assert.deepEqual(sends, [
      'DHCPDISCOVER 255.255.255.255 raw',
      'DHCPREQUEST 255.255.255.255 raw',
      'DHCPREQUEST 198.18.0.1 udp',
      'DHCPRELEASE 198.18.0.1 udp',
    ]);
    const bound = lines.find((l) => l.configure === 'bound')!.lease!;
    assert.match(bound.address, /^198\.18\.0\.(2\d|30)$/);
    assert.equal(bound.serverId, '198.18.0.1');
    assert.equal(bound.prefixLength, 24);
    assert.equal(bound.leaseTime, 120);
    const renewedLease = lines.find((l) => l.configure === 'renew')!.lease!;
    assert.equal(renewedLease.address, bound.address);
    const stats = lines.find((l) => l.stats !== undefined)!.stats!;
    assert.deepEqual(stats.received, { DHCPOFFER: 1, DHCPACK: 2 });
    const log = readFileSync(dnsmasqLog, 'utf8');
    for (const m of ['DHCPDISCOVER', 'DHCPREQUEST', 'DHCPRELEASE'])
      assert.match(log, new RegExp(`${m}\\(${lab!.ifSrv}\\)`));
    assert.match(log, new RegExp(`DHCPRELEASE\\(${lab!.ifSrv}\\) ${bound.address.replace(/\./g, '\\.')}`));
    assert.match(log, /client provides name: lk-interop/);
  });

  it('remembers the lease across a restart: INIT-REBOOT gets it back, a stale one is NAKed', async () => {
    const leaseFile = join(dir, 'lease.json');
    const first = await runClient(
      lab!,
      (line, send) => {
        if (line.configure === 'bound') send('stop');
      },
      leaseFile,
    );
    const address = first.find((l) => l.configure === 'bound')!.lease!.address;

    // Restart: the remembered lease is asked for directly (REQUEST with option 50, no DISCOVER).
    const second = await runClient(
      lab!,
      (line, send) => {
        if (line.configure === 'bound') send('stop');
      },
      leaseFile,
    );
    const events = second.filter((l) => l.event === 'state').map((l) => (l as { to?: string }).to);
    assert.deepEqual(events, ['INIT-REBOOT', 'REBOOTING', 'BOUND', 'STOPPED']);
    assert.deepEqual(
      second.filter((l) => l.send !== undefined).map((l) => l.send),
      ['DHCPREQUEST'],
    );
    assert.equal(second.find((l) => l.configure === 'bound')!.lease!.address, address);

    // A remembered address the server never gave: NAK (RFC 2131 §3.2), then a fresh DORA.
    const file = JSON.parse(readFileSync(leaseFile, 'utf8')) as { lease: { address: string } };
    file.lease.address = '198.18.0.99';
    writeFileSync(leaseFile, JSON.stringify(file));
    const third = await runClient(
      lab!,
      (line, send) => {
        if (line.configure === 'bound') send('stop');
      },
      leaseFile,
    );
    assert.ok(third.some((l) => l.event === 'nak'));
    assert.deepEqual(
      third.filter((l) => l.send !== undefined).map((l) => l.send),
      ['DHCPREQUEST', 'DHCPDISCOVER', 'DHCPREQUEST'],
    );
    assert.equal(third.find((l) => l.configure === 'bound')!.lease!.address, address);
  });
});
