// Pool starvation: perfdhcp floods DISCOVERs from random MACs (only the DISCOVER-OFFER half, `-i`, so no
// lease is ever taken) at 2,000/s into a /24 pool of 241 addresses; a new udhcpc client started during
// the flood must still get an address. Held for 30 s each, the flood's offers used to fill the pool in
// an eighth of a second and the client was told nothing for as long as the flood lasted.
//
//   load (198.18.0.2/24, perfdhcp as a relay) --+
//   cli  (udhcpc)                              --+-- br (bridge) -- srv (198.18.0.1/24, leasekeeper serve)
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { createLab, processAlive } from '../lab/netns.ts';
import { startUdhcpc } from '../lab/peers.ts';
import { eventually, serverLoadClient, startLeasekeeper, statisticOf } from './harness.ts';

const { test } = requiring('root', 'ip', 'perfdhcp', 'busybox');

const SERVER_IP = '198.18.0.1';
const DHCP4 = {
  'valid-lifetime': 3600,
  subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.250' }] }],
};
const RATE = 2000;
/** The flood lasts this long (perfdhcp `-p`): longer than the client needs, bounded in any case. */
const FLOOD_SECONDS = 40;

test('a DISCOVER flood from random MACs (perfdhcp, 2,000/s) does not keep a new client from an address', async (t) => {
  const lab = await createLab('ifl');
  try {
    const { srv, load, cli } = await serverLoadClient(lab, 24);
    const server = await startLeasekeeper(srv, { dhcp4: DHCP4, logLevel: 'warn' });
    const perf = load.spawn('perfdhcp', [
      '-4',
      '-i',
      '-r',
      String(RATE),
      '-R',
      '1000000',
      '-p',
      String(FLOOD_SECONDS),
      '-l',
      'eth0',
      SERVER_IP,
    ]);
    // The flood has sent four pools' worth of DISCOVERs before the client starts.
    await eventually(
      async () => ((await statisticOf(server, 'pkt4-discover-received')) > 1000 ? true : undefined),
      20_000,
      'the flood to fill the pool',
    );
    const client = startUdhcpc(cli, 'eth0', { tries: 30 });
    const bound = await client.waitForBound(30_000);
    assert.ok(processAlive(perf.pid), 'the client was served while the flood went on');
    const [a, b, c, d] = bound.address.split('.').map(Number);
    assert.ok(a === 198 && b === 18 && c === 0 && d !== undefined && d >= 10 && d <= 250, bound.address);
    assert.ok((await statisticOf(server, 'v4-offer-reused')) > 0, 'the full pool reused offers');
    await client.stop();
    await perf.stop('SIGINT', 10_000);
    const figure = (label: string): string => new RegExp(`${label}: (\\d+)`).exec(perf.output())?.[1] ?? '?';
    t.diagnostic(
      `perfdhcp: ${figure('sent packets')} DISCOVERs sent, ${figure('received packets')} OFFERs received`,
    );
    assert.equal(await server.stop(), 0);
    assert.doesNotMatch(server.proc.output(), /ERROR|\n\s+at /);
  } finally {
    await lab.close();
  }
});
