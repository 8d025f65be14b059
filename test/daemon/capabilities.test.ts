/**
 * Packet sockets without uid 0: an unprivileged user holding CAP_NET_RAW and CAP_NET_BIND_SERVICE (as
 * systemd's AmbientCapabilities= grants them) gets the linux transport and serves a real client; without
 * them the server says why in one line and falls back to plain UDP.
 */
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requiring } from '../lab/needs.ts';
import { fileURLToPath } from 'node:url';
import {
  CAP_NET_RAW,
  effectiveCapabilities,
  hasCapability,
  rawSocketPermission,
} from '../../src/runtime/capabilities.ts';
import { createLab } from '../lab/netns.ts';
import { serverAndClient } from '../lab/server-client.ts';
import { startUdhcpc } from '../lab/peers.ts';

const { test } = requiring('root', 'ip', 'busybox');

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** nobody/nogroup on Debian. */
const UNPRIVILEGED = '65534';

function status(capEff: string): string {
  return `Name:\tnode\nCapInh:\t0000000000000000\nCapPrm:\t${capEff}\nCapEff:\t${capEff}\n`;
}

test('CapEff decides: root without capabilities falls back, a user with them does not', () => {
  // CAP_NET_BIND_SERVICE is bit 10 (0x400), CAP_NET_RAW bit 13 (0x2000).
  assert.deepEqual(rawSocketPermission({ port: 67, uid: 1000, statusText: status('0000000000002400') }), {
    ok: true,
    via: 'capabilities',
  });
  assert.deepEqual(rawSocketPermission({ port: 67, uid: 0, statusText: status('000001ffffffffff') }), {
    ok: true,
    via: 'root',
  });
  assert.deepEqual(rawSocketPermission({ port: 67, uid: 1000, statusText: status('0000000000002000') }), {
    ok: false,
    why: 'missing CAP_NET_BIND_SERVICE',
  });
  assert.deepEqual(rawSocketPermission({ port: 10067, uid: 1000, statusText: status('0000000000002000') }), {
    ok: true,
    via: 'capabilities',
  });
  assert.deepEqual(rawSocketPermission({ port: 67, uid: 0, statusText: status('0000000000000000') }), {
    ok: false,
    why: 'root without CAP_NET_RAW and CAP_NET_BIND_SERVICE',
  });
  const mine = effectiveCapabilities();
  assert.notEqual(mine, undefined, 'this Linux has /proc/self/status');
  assert.equal(typeof hasCapability(mine!, CAP_NET_RAW), 'boolean');
});

test('as nobody with ambient CAP_NET_RAW and CAP_NET_BIND_SERVICE the packet transport serves udhcpc', async () => {
  const lab = await createLab('dcap');
  try {
    const { srv, cli } = await serverAndClient(lab);
    const config = join(lab.dir, 'dhcp4.json');
    writeFileSync(
      config,
      JSON.stringify({
        Dhcp4: {
          'interfaces-config': { interfaces: ['eth0'] },
          'lease-database': { type: 'memfile', persist: false },
          subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.110' }] }],
        },
      }),
    );
    chmodSync(lab.dir, 0o755);
    chmodSync(config, 0o644);
    const node = [process.execPath, '--import', 'tsx', MAIN, 'serve', '--config', config];
    const asNobody = ['--reuid', UNPRIVILEGED, '--regid', UNPRIVILEGED, '--clear-groups'];

    const bare = srv.spawn('setpriv', [...asNobody, '--inh-caps=-all', ...node]);
    // Without capabilities the DHCP port cannot even be bound: the reason is said before that.
    await bare.waitFor(/EACCES.*\(no packet sockets: missing CAP_NET_RAW and CAP_NET_BIND_SERVICE\)/, 60_000);
    assert.equal(await bare.exited, 1);

    const caps = '+net_raw,+net_bind_service';
    const server = srv.spawn('setpriv', [
      ...asNobody,
      `--inh-caps=${caps}`,
      `--ambient-caps=${caps}`,
      ...node,
    ]);
    await server.waitFor(/listening: linux packet sockets on eth0 port 67 \(capabilities\)/, 60_000);
    const client = startUdhcpc(cli, 'eth0');
    const bound = await client.waitForBound(30_000);
    assert.match(bound.address, /^198\.18\.0\.1(0\d|10)$/);
    await client.stop();
    assert.equal(await server.stop('SIGTERM'), 0);
  } finally {
    await lab.close();
  }
});
