/**
 * The client runtime in a network namespace lab (root, iproute2, dnsmasq): real sockets through the
 * LinuxTransport opened inside the client namespace, the built-in iproute2 applier, the lease file.
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLab } from '../lab/netns.ts';
import { serverAndClient } from '../lab/server-client.ts';
import { startDnsmasq } from '../lab/peers.ts';
import { ClientRuntime, IprouteApplier } from '../../src/runtime/client/index.ts';
import { isType, record, waitEvent } from './client-helpers.ts';

const { test } = requiring('root', 'ip', 'dnsmasq');

const FAST = { kind: 'udhcpc', retries: 5, timeoutMs: 1000, tryAgainMs: 2000 } as const;

test('runtime: DORA from dnsmasq, address applied, renew, link bounce, release; lease file kept and dropped', async () => {
  const lab = await createLab('crt');
  let rt: ClientRuntime | undefined;
  try {
    const { srv, cli } = await serverAndClient(lab);
    const dnsmasq = await startDnsmasq(srv, 'eth0', {
      range: ['198.18.0.50', '198.18.0.60'],
      router: '198.18.0.1',
      dnsServers: ['198.18.0.53'],
    });
    const leaseFile = join(cli.dir, 'lease.json');
    rt = await ClientRuntime.start({
      interface: 'eth0',
      netns: cli.name,
      leaseFile,
      // the lab rule: no default route, not even inside the namespace (the route command is tested with a fake ip)
      applier: new IprouteApplier({ netns: cli.name, defaultRoute: false }),
      arpProbeMs: 300,
      client: { retransmit: FAST, hostname: 'rt-test' },
    });
    const events = record(rt);
    const acquired = await waitEvent(rt, isType('lease-acquired'), 20_000, 'lease');
    assert.equal(acquired.type, 'lease-acquired');
    await rt.idle();
    const address = rt.status().lease?.address;
    assert.ok(address !== undefined && /^198\.18\.0\.(5\d|60)$/.test(address), String(address));
    assert.deepEqual(await cli.addresses('eth0'), [`${address}/24`]);
    const routes = await cli.run('ip', ['-4', 'route', 'show', 'default']);
    assert.equal(routes.stdout.trim(), '');
    const file = JSON.parse(readFileSync(leaseFile, 'utf8')) as { lease: { address: string } };
    assert.equal(file.lease.address, address);
    const st = rt.status();
    assert.equal(st.state, 'BOUND');
    assert.equal(st.serverId, '198.18.0.1');
    assert.ok(st.renewIn !== null && st.renewIn > 1000 && st.renewIn <= 1800);
    // the ARP probe ran (no conflict) and DHCP messages went out in order
    const sent = events.filter((e) => e.type === 'sent').map((e) => (e.type === 'sent' ? e.message : ''));
    assert.equal(sent[0], 'DHCPDISCOVER');
    assert.equal(sent.at(-1), 'DHCPREQUEST');

    const renewing = waitEvent(rt, isType('lease-renewed'), 10_000, 'renewal');
    rt.renew();
    const renewed = await renewing;
    assert.equal(renewed.type === 'lease-renewed' ? renewed.lease.address : '', address);
    assert.match(dnsmasq.proc.output(), new RegExp(`DHCPACK\\(eth0\\) ${address.replace(/\./g, '\\.')}`));

    // link bounce: the transport reports it, the engine verifies the lease with INIT-REBOOT
    const down = waitEvent(rt, (e) => e.type === 'link' && !e.up, 5_000, 'link down');
    await cli.setLink('eth0', false);
    await down;
    const rebooting = waitEvent(rt, (e) => e.type === 'state' && e.to === 'REBOOTING', 10_000, 'INIT-REBOOT');
    const bound = waitEvent(rt, (e) => e.type === 'state' && e.to === 'BOUND', 10_000, 'bound again');
    await cli.setLink('eth0', true);
    await rebooting;
    await bound;
    await rt.idle();
    assert.deepEqual(await cli.addresses('eth0'), [`${address}/24`]);

    const released = waitEvent(rt, (e) => e.type === 'state' && e.to === 'RELEASED', 5_000, 'released');
    rt.release();
    await released;
    await rt.idle();
    assert.deepEqual(await cli.addresses('eth0'), []);
    assert.equal(existsSync(leaseFile), false);
    await dnsmasq.proc.waitFor(/DHCPRELEASE\(eth0\)/, 5_000);
    const stats = rt.engine.stats;
    assert.equal(stats.leasesObtained >= 1, true);
    assert.equal(stats.releases, 1);
  } finally {
    await rt?.stop();
    await lab.close();
  }
});
