// Robustness on the wire: 200,000 mutated DHCP requests (test/interop/mutated-packets.ts: every message
// type, bytes flipped, truncated, extended, bad option lengths, odd htype/hlen, one in ten pure noise)
// sent to a running `leasekeeper serve`; it must stay up, its memory bounded, write no error, count the
// junk in summary lines, and serve a real udhcpc client afterwards.
//
//   load (198.18.0.2/20, the sender) --+
//   cli  (udhcpc)                     --+-- br (bridge) -- srv (198.18.0.1/20, leasekeeper serve)
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createLab, processAlive } from '../lab/netns.ts';
import { startUdhcpc } from '../lab/peers.ts';
import { rssOf, serverLoadClient, startLeasekeeper, statisticOf } from './harness.ts';

const { test } = requiring('root', 'ip', 'busybox');

const SERVER_IP = '198.18.0.1';
const PACKETS = Number(process.env['FUZZ_PACKETS'] ?? 200_000);
const SENDER = fileURLToPath(new URL('./mutated-packets.ts', import.meta.url));
/** The sender's addresses stay off the pool, so the junk cannot lease it away. */
const DHCP4 = {
  'valid-lifetime': 3600,
  subnet4: [{ id: 1, subnet: '198.18.0.0/20', pools: [{ pool: '198.18.4.0 - 198.18.15.254' }] }],
};
/** What the server may grow by while it chews through the junk (it holds no per-packet state). */
const RSS_GROWTH_LIMIT = 256 * 1024 * 1024;

test('200,000 mutated packets: the server stays up with bounded memory and serves a real client after', async (t) => {
  const lab = await createLab('ifz');
  try {
    const { srv, load, cli } = await serverLoadClient(lab, 20);
    const server = await startLeasekeeper(srv, { dhcp4: DHCP4 });
    const rssBefore = rssOf(server.proc.pid);
    const sent = await load.run(
      process.execPath,
      ['--import', 'tsx', SENDER, SERVER_IP, String(PACKETS), '1'],
      {
        timeoutMs: 300_000,
      },
    );
    assert.match(sent.stdout, new RegExp(`sent ${PACKETS}\\b`), sent.stderr);
    assert.ok(processAlive(server.proc.pid), 'the server is running');
    assert.equal((await server.ctl('status-get')).result, 0);
    const received = await statisticOf(server, 'pkt4-received');
    assert.ok(received > PACKETS / 10, `the server saw ${received} of ${PACKETS} packets`);
    const growth = rssOf(server.proc.pid) - rssBefore;
    assert.ok(growth < RSS_GROWTH_LIMIT, `RSS grew by ${Math.round(growth / 1048576)} MiB`);
    t.diagnostic(
      `received ${received} of ${PACKETS}; RSS ${Math.round(rssBefore / 1048576)} MiB before, grew ${Math.round(growth / 1048576)} MiB`,
    );

    const client = startUdhcpc(cli, 'eth0');
    const bound = await client.waitForBound(20_000);
    assert.match(bound.address, /^198\.18\.(?:[4-9]|1[0-5])\.\d+$/);
    await client.stop();

    assert.equal(await server.stop(), 0);
    const log = server.proc.output();
    assert.doesNotMatch(log, /ERROR|FATAL|\n\s+at /, 'no error and no stack trace');
    assert.match(log, /\d+ junk requests dropped: /);
    t.diagnostic(
      `${log.split('\n').length} log lines; ${(log.match(/junk requests dropped: .*/g) ?? []).join(' | ')}`,
    );
  } finally {
    await lab.close();
  }
});
