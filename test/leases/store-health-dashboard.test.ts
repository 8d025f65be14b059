// The dashboard shows the lease store's health from status-get: "failing since" while a real client's
// REQUEST cannot be committed, and when it recovered once the client's retransmission is granted.
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { launchChromium } from '../lab/browser.ts';
import { compileConfig } from '../../src/config/index.ts';
import { LeaseStoreIoError } from '../../src/leases/errors.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import type { CommitOptions, CommitResult } from '../../src/leases/store.ts';
import { startServer } from '../../src/runtime/index.ts';
import { VirtualNetwork } from '../../src/transport/virtual/index.ts';
import { VirtualDhcpClient } from '../web/virtual-client.ts';

const { test } = requiring('chromium');

/** Fails every claim while `down`, like a full disk. */
class SwitchableStore extends MemoryLeaseStore {
  down = true;
  override async commit(lease: Lease, options?: CommitOptions): Promise<CommitResult> {
    if (this.down)
      throw new LeaseStoreIoError('lease database /x/leases4.sqlite: write failed: database or disk is full');
    return super.commit(lease, options);
  }
}

test('the dashboard says the lease store is failing, since when, and when it recovered', async () => {
  const net = new VirtualNetwork();
  const lan = net.createLink('lan');
  const srvHost = net.createHost('srv');
  srvHost.attach(lan, { ifname: 'eth0', mac: '02:00:00:00:00:01', addresses: ['198.18.0.1/24'] });
  const store = new SwitchableStore();
  const server = await startServer({
    config: compileConfig({
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'] },
        subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.150' }] }],
        'control-sockets': [{ 'socket-type': 'http', 'socket-address': '127.0.0.1', 'socket-port': 0 }],
      },
    }),
    store,
    transport: {
      transport: srvHost.openTransport({ port: 67 }),
      interfaces: [{ name: 'eth0', addresses: [{ address: '198.18.0.1', prefixLength: 24 }] }],
    },
    logger: pino({ level: 'silent' }),
  });
  const browser = await launchChromium();
  const client = new VirtualDhcpClient(net.createHost('laptop'), lan, {
    mac: '02:00:00:00:aa:01',
    hostname: 'laptop',
  });
  try {
    const url = server.control?.http[0]?.url;
    assert.ok(url !== undefined);
    const page = await browser.newPage();
    await page.goto(url);
    const health = page.locator('#store-health');
    assert.equal(await health.innerText(), '', 'nothing to say while the store is healthy');

    const bound = client.obtain();
    await page
      .locator('#store-health[data-state="failing"]', {
        hasText: /^Lease store failing since .*disk is full/,
      })
      .waitFor({ timeout: 20_000 });

    store.down = false;
    const lease = await bound;
    assert.match(lease.address, /^198\.18\.0\.1\d\d$/);
    await page
      .locator('#store-health[data-state="ok"]', { hasText: /^Lease store recovered at .*writes failed/ })
      .waitFor({ timeout: 20_000 });
  } finally {
    await client.close();
    await browser.close();
    await server.stop();
  }
});
