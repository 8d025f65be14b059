// The runtime with DDNS on, on a virtual network, against a stand-in DNS server on loopback that answers
// every UPDATE with NOERROR: a client's lease is named and flagged (lease4-get), the updates are counted
// (statistic-get-all), and the dashboard shows the DNS counters. Screenshot in test-artifacts/.
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from '../lab/browser.ts';
import { VirtualDhcpClient } from '../web/virtual-client.ts';
import { virtualServer } from '../web/virtual-server.ts';
import { standInDns } from './stand-in-dns.ts';

const { test } = requiring('chromium');

const ARTIFACTS = 'test-artifacts';

test('DDNS in the runtime: named lease, counted updates, DNS counters on the dashboard', async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const dns = await standInDns();
  const { net, lan, server } = await virtualServer({
    Dhcp4: {
      'interfaces-config': { interfaces: ['eth0'] },
      'valid-lifetime': 600,
      'dhcp-ddns': { 'enable-updates': true },
      'ddns-qualifying-suffix': 'example.com',
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.150' }] }],
      'control-sockets': [{ 'socket-type': 'http', 'socket-address': '127.0.0.1', 'socket-port': 0 }],
    },
    DhcpDdns: {
      'forward-ddns': {
        'ddns-domains': [
          { name: 'example.com.', 'dns-servers': [{ 'ip-address': '127.0.0.1', port: dns.port }] },
        ],
      },
      'reverse-ddns': {
        'ddns-domains': [
          { name: '18.198.in-addr.arpa.', 'dns-servers': [{ 'ip-address': '127.0.0.1', port: dns.port }] },
        ],
      },
    },
  });
  const browser = await launchChromium();
  const client = new VirtualDhcpClient(net.createHost('laptop'), lan, {
    mac: '02:00:00:00:aa:01',
    hostname: 'laptop',
  });
  try {
    const lease = await client.obtain();
    const stored = server.engine.lease(lease.address);
    assert.equal(stored?.hostname, 'laptop.example.com');
    assert.equal(stored?.fqdnFwd, true);
    assert.equal(stored?.fqdnRev, true);
    // The ACK went out before DNS was touched; the queue then runs: A (+DHCID) and PTR, two UPDATEs.
    for (let i = 0; i < 200 && server.ddns.pending > 0; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(server.ddns.pending, 0);
    assert.equal(dns.received.length, 2);
    const stats = server.ddns.statistics();
    assert.equal(stats['update-success'], 2);
    assert.equal(stats['ncr-received'], 1);

    const url = server.control?.http[0]?.url;
    assert.ok(url !== undefined);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    await page
      .locator('#counters [data-stat="update-success"] .value', { hasText: '2' })
      .waitFor({ timeout: 10_000 });
    assert.match(await page.locator('#counters [data-stat="update-success"]').innerText(), /DNS updates/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-ddns.png'), fullPage: true });
  } finally {
    await client.close();
    await browser.close();
    await server.stop();
    dns.close();
  }
});
