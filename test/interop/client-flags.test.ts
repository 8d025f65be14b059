/**
 * udhcpc's exit and daemon flags on `leasekeeper client`, as real processes in lab namespaces:
 * -n exits 1 when no lease comes, -q exits 0 once bound (releasing with -R), -b backgrounds after the
 * failed tries with the pid file naming the running child, no -f backgrounds once bound, -r gets the
 * requested address. Root, iproute2, dnsmasq, 198.18.0.0/15 only, no routes.
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLab, processAlive, type Lab, type Netns } from '../lab/netns.ts';
import { serverAndClient } from '../lab/server-client.ts';
import { startDnsmasq } from '../lab/peers.ts';
import { ctl, scriptEvents, spawnClient, writeScript } from '../runtime/client-helpers.ts';

const { test } = requiring('root', 'ip', 'dnsmasq');

async function twoNamespaces(lab: Lab, withServer: boolean): Promise<{ srv: Netns; cli: Netns }> {
  const { srv, cli } = await serverAndClient(lab);
  if (withServer) {
    await startDnsmasq(srv, 'eth0', { range: ['198.18.0.50', '198.18.0.60'], router: '198.18.0.1' });
  }
  return { srv, cli };
}

/** Stops a process we started (by its PID) and waits, bounded, until it is gone. */
async function stopPid(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return !processAlive(pid);
  }
  for (let i = 0; i < 100 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !processAlive(pid);
}

const FAST = ['-t', '2', '-T', '1', '-A', '1', '--no-arp', '--no-route'];

test('-n: no server, exits 1 after the tries; the script saw deconfig then leasefail', async () => {
  const lab = await createLab('cfn');
  try {
    const { cli } = await twoNamespaces(lab, false);
    const { script, log } = writeScript(cli.dir);
    const p = spawnClient(cli, ['-i', 'eth0', '-f', '-n', '-s', script, ...FAST]);
    assert.equal(await p.exited, 1);
    assert.match(p.output(), /no lease, failing/);
    assert.equal((p.output().match(/sending discover/g) ?? []).length, 2);
    const events = scriptEvents(readFileSync(log, 'utf8')).map((e) => e.event);
    assert.deepEqual(events, ['deconfig', 'leasefail']);
  } finally {
    await lab.close();
  }
});

test('-q: exits 0 once bound, the address stays; -q -R releases before exiting', async () => {
  const lab = await createLab('cfq');
  try {
    const { srv, cli } = await twoNamespaces(lab, true);
    const p = spawnClient(cli, ['-i', 'eth0', '-q', ...FAST]);
    assert.equal(await p.exited, 0);
    const got = /lease of (\S+) obtained/.exec(p.output());
    assert.ok(got !== null, p.output());
    assert.deepEqual(await cli.addresses('eth0'), [`${got[1] ?? ''}/24`]);

    const r = spawnClient(cli, ['-i', 'eth0', '-q', '-R', ...FAST]);
    assert.equal(await r.exited, 0);
    assert.match(r.output(), /lease of \S+ obtained/);
    assert.deepEqual(await cli.addresses('eth0'), []);
    const leases = await srv.run('sh', ['-c', `cat ${join(srv.dir, 'dnsmasq-eth0', 'dnsmasq.leases')}`]);
    assert.equal(leases.stdout.trim(), '', 'dnsmasq forgot the released lease');
  } finally {
    await lab.close();
  }
});

test('-r: dnsmasq grants the requested address', async () => {
  const lab = await createLab('cfr');
  try {
    const { cli } = await twoNamespaces(lab, true);
    const p = spawnClient(cli, ['-i', 'eth0', '-q', '-r', '198.18.0.57', ...FAST]);
    assert.equal(await p.exited, 0);
    assert.match(p.output(), /lease of 198\.18\.0\.57 obtained from 198\.18\.0\.1/);
    assert.deepEqual(await cli.addresses('eth0'), ['198.18.0.57/24']);
  } finally {
    await lab.close();
  }
});

test('-b -p: no server, backgrounds after the tries; the pid file names the running child', async () => {
  const lab = await createLab('cfb');
  try {
    const { cli } = await twoNamespaces(lab, false);
    const pidfile = join(cli.dir, 'client.pid');
    const p = spawnClient(cli, ['-i', 'eth0', '-b', '-p', pidfile, ...FAST]);
    assert.equal(await p.exited, 0);
    assert.match(p.output(), /backgrounding \(pid \d+\)/);
    const child = Number(readFileSync(pidfile, 'utf8').trim());
    assert.ok(Number.isInteger(child) && child > 1 && child !== p.pid);
    assert.equal(processAlive(child), true);
    assert.match(readFileSync(`/proc/${child}/cmdline`, 'utf8'), /client.*--lk-background-child/);
    assert.equal(await stopPid(child), true);
  } finally {
    await lab.close();
  }
});

test('no -f: backgrounds once bound; the child keeps the address and answers on the control socket', async () => {
  const lab = await createLab('cfd');
  try {
    const { cli } = await twoNamespaces(lab, true);
    const pidfile = join(cli.dir, 'client.pid');
    const sock = join(cli.dir, 'ctl.sock');
    const p = spawnClient(cli, ['-i', 'eth0', '-p', pidfile, '--control-socket', sock, ...FAST]);
    assert.equal(await p.exited, 0);
    const got = /lease of (\S+) obtained/.exec(p.output());
    assert.ok(got !== null, p.output());
    const child = Number(readFileSync(pidfile, 'utf8').trim());
    assert.equal(processAlive(child), true);
    let state = '';
    for (let i = 0; i < 40 && state !== 'BOUND'; i++) {
      const st = await ctl(sock, 'status');
      if (st.code === 0) {
        const a = (
          JSON.parse(st.stdout) as { arguments: { state: string; lease: { address: string } | null } }
        ).arguments;
        state = a.state;
        if (state === 'BOUND') assert.equal(a.lease?.address, got[1]);
      }
      if (state !== 'BOUND') await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(state, 'BOUND');
    assert.deepEqual(await cli.addresses('eth0'), [`${got[1] ?? ''}/24`]);
    assert.equal(await stopPid(child), true);
  } finally {
    await lab.close();
  }
});
