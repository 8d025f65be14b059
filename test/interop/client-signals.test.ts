/**
 * `leasekeeper client` driven as udhcpc is: SIGUSR2 releases (the process stays), SIGUSR1 after that
 * starts over, a link bounce is reported and the lease verified with INIT-REBOOT, SIGTERM without -R
 * leaves the address, and a restart with the same --lease-file gets the lease back with a REQUEST and no
 * DISCOVER (INIT-REBOOT). Against dnsmasq in a lab (root, iproute2, 198.18.0.0/15, no routes).
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createLab, type LabProcess } from '../lab/netns.ts';
import { serverAndClient } from '../lab/server-client.ts';
import { startDnsmasq } from '../lab/peers.ts';
import { spawnClient } from '../runtime/client-helpers.ts';

const { test } = requiring('root', 'ip', 'dnsmasq');

/** Waits until `re` has matched `n` times in the output; bounded. */
async function waitCount(p: LabProcess, re: RegExp, n: number, timeoutMs: number): Promise<void> {
  const g = new RegExp(re.source, 'g');
  for (let waited = 0; waited <= timeoutMs; waited += 100) {
    if ((p.output().match(g) ?? []).length >= n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${re} not seen ${n} times in ${timeoutMs} ms; output:\n${p.output()}`);
}

test('signals, link bounce, and INIT-REBOOT from the lease file across a restart', async () => {
  const lab = await createLab('cls');
  try {
    const { srv, cli } = await serverAndClient(lab);
    const dnsmasq = await startDnsmasq(srv, 'eth0', {
      range: ['198.18.0.50', '198.18.0.60'],
      router: '198.18.0.1',
    });
    const leaseFile = join(cli.dir, 'lease.json');
    const args = ['-i', 'eth0', '-f', '-t', '3', '-T', '1', '-A', '1', '--no-arp', '--no-route'];
    args.push('--lease-file', leaseFile);
    const p = spawnClient(cli, args);
    await p.waitFor(/lease of ([\d.]+) obtained/, 30_000);
    await waitCount(p, /state REQUESTING -> BOUND/, 1, 5_000);

    process.kill(p.pid, 'SIGUSR2');
    await waitCount(p, /state BOUND -> RELEASED/, 1, 5_000);
    await dnsmasq.proc.waitFor(/DHCPRELEASE\(eth0\)/, 5_000);
    assert.deepEqual(await cli.addresses('eth0'), []);
    assert.equal(existsSync(leaseFile), false);

    process.kill(p.pid, 'SIGUSR1');
    await waitCount(p, /state RELEASED -> INIT/, 1, 5_000);
    await waitCount(p, /lease of [\d.]+ obtained/, 2, 15_000);
    await waitCount(p, /state REQUESTING -> BOUND/, 2, 5_000);
    const again = [...p.output().matchAll(/lease of ([\d.]+) obtained/g)].at(-1)?.[1] ?? '';
    assert.deepEqual(await cli.addresses('eth0'), [`${again}/24`]);

    await cli.setLink('eth0', false);
    await waitCount(p, /link down/, 1, 5_000);
    await cli.setLink('eth0', true);
    await waitCount(p, /state INIT-REBOOT -> REBOOTING/, 1, 10_000);
    await waitCount(p, /state REBOOTING -> BOUND/, 1, 10_000);

    // SIGTERM without -R: exit 0, the address and the lease file stay
    assert.equal(await p.stop('SIGTERM', 10_000), 0);
    assert.deepEqual(await cli.addresses('eth0'), [`${again}/24`]);
    assert.equal(existsSync(leaseFile), true);

    const discovers = (dnsmasq.proc.output().match(/DHCPDISCOVER\(eth0\)/g) ?? []).length;
    const q = spawnClient(cli, [...args, '-q']);
    assert.equal(await q.exited, 0);
    assert.match(q.output(), /state STOPPED -> INIT-REBOOT/);
    assert.match(q.output(), new RegExp(`lease of ${again.replace(/\./g, '\\.')} obtained`));
    assert.equal((dnsmasq.proc.output().match(/DHCPDISCOVER\(eth0\)/g) ?? []).length, discovers);
    assert.deepEqual(await cli.addresses('eth0'), [`${again}/24`]);
  } finally {
    await lab.close();
  }
});
