// Crash safety: under perfdhcp load, `kill -9` the server; after a restart on the same SQLite file, every
// address the server had ACKed is still leased to the same client, and no address or client is leased twice.
// The ACKs are taken from the wire (tcpdump in the client's namespace: what actually left the server) and
// from the server's log (its ACK line is written after the durable commit).
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLab } from '../lab/netns.ts';
import { startCapture } from '../lab/peers.ts';
import { readPcap } from '../../src/transport/pcap.ts';
import { MessageType, decodeMessage, messageTypeOf } from '../../src/protocol/index.ts';
import { eventually, leasesOf, startLeasekeeper } from './harness.ts';

const { test } = requiring('root', 'ip', 'perfdhcp', 'tcpdump');

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
    const capture = await startCapture(load, 'eth0', join(load.dir, 'crash.pcap'));
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
    const wire = ackedOnTheWire(readFileSync(await capture.stop()));

    const acked = new Map<string, string>(); // address -> MAC, last ACK wins
    for (const line of first.proc.output().split('\n')) {
      const m = ACK_LINE.exec(line);
      if (m) acked.set(m[2] as string, m[1] as string);
    }
    assert.ok(acked.size >= 300, `only ${acked.size} ACKs logged`);
    // The capture saw the run too (it may miss a packet under load, never invent one).
    assert.ok(wire.size > 0, 'no ACK captured on the wire');

    const second = await startLeasekeeper(srv, { dhcp4: DHCP4, leaseFile: first.leaseFile, name: 'lk2' });
    const leases = await leasesOf(second);
    const byAddress = new Map(leases.map((l) => [l['ip-address'], l]));
    assert.equal(byAddress.size, leases.length, 'an address appears twice');
    const lost = (source: string, ackedTo: Map<string, string>): string[] =>
      [...ackedTo].flatMap(([address, mac]) => {
        const l = byAddress.get(address);
        return l === undefined || l['hw-address'] !== mac || l.state !== 0
          ? [`${source} ${address} ${mac}: ${JSON.stringify(l)}`]
          : [];
      });
    const lostOnWire = lost('wire', wire);
    assert.deepEqual(lostOnWire, [], `${lostOnWire.length} of ${wire.size} ACKs seen on the wire lost`);
    const lostInLog = lost('log', acked);
    assert.deepEqual(lostInLog, [], `${lostInLog.length} of ${acked.size} logged ACKs lost`);
    // One active lease per client: no client holds two addresses.
    const active = leases.filter((l) => l.state === 0);
    const owners = new Set(active.map((l) => l['hw-address']));
    assert.equal(owners.size, active.length, 'a client holds two active leases');
    assert.equal(await second.stop(), 0);
  } finally {
    await lab.close();
  }
});

/** address -> client MAC of every DHCPACK granting a lease in a capture (last one wins). */
function ackedOnTheWire(pcap: Uint8Array): Map<string, string> {
  const acked = new Map<string, string>();
  for (const d of readPcap(pcap)) {
    if (d.kind !== 'dhcp' || d.srcPort !== 67) continue;
    const m = decodeMessage(d.payload);
    if (messageTypeOf(m) !== MessageType.ACK || m.yiaddr === '0.0.0.0') continue;
    const mac = [...m.chaddr.subarray(0, m.hlen)].map((b) => b.toString(16).padStart(2, '0')).join(':');
    acked.set(m.yiaddr, mac);
  }
  return acked;
}
