// The dashboard shows the lease store's health from status-get: "failing since" while a real client's
// REQUEST cannot be committed, and when it recovered once the client's retransmission is granted.
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { launchChromium } from '../lab/browser.ts';
import { LeaseStoreIoError } from '../../src/leases/errors.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import type { CommitOptions, CommitResult } from '../../src/leases/store.ts';
import { VirtualDhcpClient } from '../web/virtual-client.ts';
import { virtualServer } from '../web/virtual-server.ts';

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
  const store = new SwitchableStore();
  const { net, lan, server } = await virtualServer(
    {
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'] },
        subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.150' }] }],
        'control-sockets': [{ 'socket-type': 'http', 'socket-address': '127.0.0.1', 'socket-port': 0 }],
      },
    },
    { store },
  );
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
