/**
 * Drop-in check: busybox udhcpc and `leasekeeper client`, same flags, same script, same dnsmasq, same
 * MAC, one after the other. The `bound` environment each hands its script is the same: the same udhcpc
 * variables with the same values, and the same events in the same order. Root, iproute2, dnsmasq, busybox; 198.18.0.0/15 only, no routes.
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createLab } from '../lab/netns.ts';
import { serverAndClient } from '../lab/server-client.ts';
import { startDnsmasq } from '../lab/peers.ts';
import { CLI, scriptEvents, writeScript } from '../runtime/client-helpers.ts';

const { test } = requiring('root', 'ip', 'dnsmasq', 'busybox');

test('udhcpc and leasekeeper client give their script the same bound environment', async () => {
  const lab = await createLab('cud');
  try {
    const { srv, cli } = await serverAndClient(lab);
    await startDnsmasq(srv, 'eth0', {
      range: ['198.18.0.50', '198.18.0.60'],
      router: '198.18.0.1',
      dnsServers: ['198.18.0.53', '198.18.0.54'],
      domainName: 'lab.test',
    });
    // the same flags for both; udhcpc's default vendor class is sent by ours explicitly
    const flags = ['-i', 'eth0', '-f', '-q', '-R', '-t', '5', '-T', '1', '-V', 'udhcp 1.35.0'];
    const sequences: Record<string, string[]> = {};
    const run = async (who: 'udhcpc' | 'leasekeeper'): Promise<Record<string, string>> => {
      const dir = join(cli.dir, who);
      mkdirSync(dir, { recursive: true });
      const { script, log } = writeScript(dir);
      const r =
        who === 'udhcpc'
          ? await cli.run('busybox', ['udhcpc', ...flags, '-s', script], { timeoutMs: 30_000 })
          : await cli.run(process.execPath, [CLI, 'client', ...flags, '--arp-timeout', '300', '-s', script], {
              timeoutMs: 30_000,
            });
      assert.equal(r.code, 0, `${who}: ${r.stdout}${r.stderr}`);
      const events = scriptEvents(readFileSync(log, 'utf8'));
      sequences[who] = events.map((e) => e.event);
      const bound = events.find((e) => e.event === 'bound');
      assert.ok(bound !== undefined, `${who} ran no bound event`);
      // what the client added: everything the test's own environment does not have
      return Object.fromEntries(Object.entries(bound.env).filter(([k]) => process.env[k] === undefined));
    };
    const theirs = await run('udhcpc');
    const ours = await run('leasekeeper');
    assert.equal(theirs['ip'], ours['ip'], 'dnsmasq gave both the same address');
    assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort());
    assert.deepEqual(ours, theirs);
    // -q -R: deconfig at start, bound, then the release's deconfig, for both
    assert.deepEqual(sequences['leasekeeper'], sequences['udhcpc']);
    assert.deepEqual(sequences['udhcpc'], ['deconfig', 'bound', 'deconfig']);
    for (const k of [
      'interface',
      'ip',
      'mask',
      'subnet',
      'broadcast',
      'router',
      'dns',
      'domain',
      'serverid',
      'lease',
    ]) {
      assert.ok(ours[k] !== undefined && ours[k] !== '', `${k} is set`);
    }
    assert.equal(ours['dns'], '198.18.0.53 198.18.0.54');
  } finally {
    await lab.close();
  }
});
