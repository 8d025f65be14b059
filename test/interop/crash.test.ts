// Crash safety: under perfdhcp load, `kill -9` the server; after a restart on the same SQLite file, every
// address the server had ACKed (its log line for an ACK is written only after the durable commit) is still
// leased to the same client, and no address or client is leased twice.
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { createLab } from '../lab/netns.ts';
import { eventually, leasesOf, startLeasekeeper } from './harness.ts';

const { test } = requiring('root', 'ip', 'perfdhcp');

const DHCP4 = {
  'valid-lifetime': 3600,
  subnet4: [{ id: 1, subnet: '198.18.0.0/20', pools: [{ pool: '198.18.4.0 - 198.18.15.254' }] }],
};
const ACK_LINE = /^\S+ DHCPREQUEST for \S+ from ([0-9a-f:]+) .*-> DHCPACK (198\.18\.\d+\.\d+) lease \d+s$/;

test('kill -9 under load loses no acknowledged lease', async () => {
  const lab = await createLab('icr');
  try {
    const srv = await lab.namespace('srv');
    const load = await lab.namespace('load');
    await lab.veth(srv, 'eth0', load, 'eth0');
    await srv.addAddress('eth0', '198.18.0.1/20');
    // perfdhcp acts as a relay: it needs an address on the segment (LAB.md).
    await load.addAddress('eth0', '198.18.0.2/20');
    const first = await startLeasekeeper(srv, { dhcp4: DHCP4 });
    const perf = load.spawn('perfdhcp', [
      '-4',
      '-r',
      '500',
      '-R',
      '2000',
      '-p',
      '6',
      '-l',
      'eth0',
      '198.18.0.1',
    ]);
    // Kill mid-run, once a good number of leases were ACKed.
    await eventually(
      async () => ((first.proc.output().match(/-> DHCPACK/g) ?? []).length >= 300 ? true : undefined),
      20_000,
      '300 ACKs',
    );
    process.kill(first.proc.pid, 'SIGKILL');
    await first.proc.exited;
    await perf.stop('SIGINT', 10_000);

    const acked = new Map<string, string>(); // address -> MAC, last ACK wins
    for (const line of first.proc.output().split('\n')) {
      const m = ACK_LINE.exec(line);
      if (m) acked.set(m[2] as string, m[1] as string);
    }
    assert.ok(acked.size >= 300, `only ${acked.size} ACKs logged`);

    const second = await startLeasekeeper(srv, { dhcp4: DHCP4, leaseFile: first.leaseFile, name: 'lk2' });
    const leases = await leasesOf(second);
    const byAddress = new Map(leases.map((l) => [l['ip-address'], l]));
    assert.equal(byAddress.size, leases.length, 'an address appears twice');
    const lost: string[] = [];
    for (const [address, mac] of acked) {
      const l = byAddress.get(address);
      if (l === undefined || l['hw-address'] !== mac || l.state !== 0)
        lost.push(`${address} ${mac}: ${JSON.stringify(l)}`);
    }
    assert.deepEqual(lost, [], `${lost.length} of ${acked.size} acknowledged leases lost`);
    // One active lease per client: no client holds two addresses.
    const active = leases.filter((l) => l.state === 0);
    const owners = new Set(active.map((l) => l['hw-address']));
    assert.equal(owners.size, active.length, 'a client holds two active leases');
    assert.equal(await second.stop(), 0);
  } finally {
    await lab.close();
  }
});
