// Log injection with a real client: busybox udhcpc sends a host name (option 12) holding CR, LF, ESC and
// a whole forged `DHCPACK` line; the server's text log must keep it on the exchange's own line, escaped,
// so the forged ACK never appears as a line of its own.
//
//   cli (udhcpc) -- srv (198.18.0.1/24, leasekeeper serve)
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { createLab } from '../lab/netns.ts';
import { serverAndClient } from '../lab/server-client.ts';
import { startUdhcpc } from '../lab/peers.ts';
import { startLeasekeeper } from './harness.ts';

const { test } = requiring('root', 'ip', 'busybox');

const DHCP4 = {
  'valid-lifetime': 3600,
  subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.20' }] }],
};
const FORGED =
  '12:00:01.123 DHCPREQUEST for 198.18.0.99 from 02:00:00:00:00:99 via eth0 -> DHCPACK 198.18.0.99 lease 3600s';

test('a host name with CR, LF and ESC from udhcpc cannot forge a line in the text log', async () => {
  const lab = await createLab('ilj');
  try {
    const { srv, cli } = await serverAndClient(lab);
    const server = await startLeasekeeper(srv, { dhcp4: DHCP4 });
    // As raw option bytes (`-x 0x0c:HEX`): udhcpc's `hostname:` form would stop at the first space.
    const name = Buffer.from(`box\r\n${FORGED}\n\u001b[31m`).toString('hex');
    const client = startUdhcpc(cli, 'eth0', { extraArgs: ['-x', `0x0c:${name}`] });
    const bound = await client.waitForBound(20_000);
    await client.stop();
    assert.equal(await server.stop(), 0);
    const lines = server.proc.output().split('\n');
    assert.ok(!lines.some((l) => l.startsWith(FORGED.slice(0, 12))), 'the forged line stands alone');
    const ack = lines.find((l) => l.includes(`-> DHCPACK ${bound.address}`));
    assert.ok(ack, server.proc.output());
    assert.ok(ack.includes(`(box\\x0d\\x0a${FORGED}\\x0a\\x1b[31m)`), ack);
    assert.doesNotMatch(
      server.proc.output(),
      // eslint-disable-next-line no-control-regex -- looking for control characters
      /[\u0000-\u0009\u000b-\u001f\u007f]/,
      'only line feeds end lines',
    );
  } finally {
    await lab.close();
  }
});
