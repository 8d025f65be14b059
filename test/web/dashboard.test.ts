// The dashboard in Debian's Chromium (playwright-core) against the real runtime on a virtual network: the
// lease a real DHCP client just obtained appears without a reload, the switch stops and starts serving, a
// bad option shows its error next to its field. Screenshots go to test-artifacts/.
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../lab/browser.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { VirtualDhcpClient } from './virtual-client.ts';
import { virtualServer } from './virtual-server.ts';

const { test } = requiring('chromium');

const ARTIFACTS = 'test-artifacts';
const USER = { username: 'admin', password: 'secret' };

const CONFIG = {
  Dhcp4: {
    'interfaces-config': { interfaces: ['eth0'] },
    'valid-lifetime': 600,
    'option-data': [{ name: 'domain-name', data: 'lab.example' }],
    subnet4: [
      {
        id: 1,
        subnet: '198.18.0.0/24',
        pools: [{ pool: '198.18.0.100 - 198.18.0.150' }],
        'option-data': [
          { name: 'routers', data: '198.18.0.1' },
          { name: 'domain-name-servers', data: '198.18.0.1' },
        ],
      },
    ],
    'control-sockets': [
      {
        'socket-type': 'http',
        'socket-address': '127.0.0.1',
        'socket-port': 0,
        authentication: {
          type: 'basic',
          realm: 'leasekeeper',
          clients: [{ user: USER.username, password: USER.password }],
        },
      },
    ],
  },
};

/** A lease bound at `now` for an hour, as a server would commit it. */
function boundLease(
  address: string,
  hwAddress: string,
  subnetId: number,
  hostname: string | null,
  now: number,
): Lease {
  return {
    address,
    hwAddress,
    clientId: null,
    subnetId,
    validLifetime: 3600,
    cltt: now,
    expiresAt: now + 3_600_000,
    hostname,
    state: 'default',
    userContext: null,
  };
}

/** The dashboard at `url` in a desktop-sized page, once its WebSocket is live; `pageErrors` collects script errors. */
async function openDashboard(browser: Browser, url: string): Promise<{ page: Page; pageErrors: string[] }> {
  const context = await browser.newContext({
    httpCredentials: USER,
    viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url);
  await page.locator('#connection[data-status="live"]').waitFor({ timeout: 10_000 });
  return { page, pageErrors };
}

async function rowText(page: Page, address: string): Promise<string> {
  const row = page.locator(`#leases-body tr[data-address="${address}"]`);
  await row.waitFor({ timeout: 10_000 });
  return (await row.innerText()).replace(/\s+/g, ' ');
}

test('the dashboard follows a running server live, switches it, and shows option errors by their field', async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const { net, lan, server } = await virtualServer(CONFIG);
  const browser = await launchChromium();
  const clients: VirtualDhcpClient[] = [];
  try {
    const url = server.control?.http[0]?.url;
    assert.ok(url !== undefined, 'the runtime opened the HTTP control listener');
    const { page, pageErrors } = await openDashboard(browser, url);
    await page.locator('#running-label', { hasText: 'Serving' }).waitFor();
    assert.equal(await page.locator('input[name="rangeStart"]').inputValue(), '198.18.0.100');
    assert.equal(await page.locator('input[name="ip"]').inputValue(), '198.18.0.1');

    // A real DORA on the virtual LAN: the new lease shows up without a reload.
    const first = new VirtualDhcpClient(net.createHost('laptop'), lan, {
      mac: '02:00:00:00:aa:01',
      hostname: 'laptop-1',
    });
    clients.push(first);
    const lease = await first.obtain();
    assert.match(lease.address, /^198\.18\.0\.1([0-4]\d|50)$/);
    const text = await rowText(page, lease.address);
    assert.match(
      text,
      new RegExp(`${lease.address.replaceAll('.', '\\.')} 02-00-00-00-AA-01 laptop-1 BOUND (9|10)m`),
    );

    const phone = new VirtualDhcpClient(net.createHost('phone'), lan, {
      mac: '02:00:00:00:aa:02',
      hostname: 'phone',
    });
    clients.push(phone);
    const second = await phone.obtain();
    assert.match(await rowText(page, second.address), /02-00-00-00-AA-02 phone BOUND/);
    await page.locator('#leases-summary', { hasText: '2 leases, 2 bound' }).waitFor();

    // Search narrows the table.
    await page.fill('#leases-search', 'aa-02');
    await page.locator('#leases-body tr').first().waitFor();
    assert.equal(await page.locator('#leases-body tr').count(), 1);
    await page.fill('#leases-search', '');

    // Pool utilisation and counters come from statistic-get-all over the same (authenticated) listener.
    await page.locator('#pools [data-subnet="1"]', { hasText: '2 / 51' }).waitFor({ timeout: 10_000 });
    await page.locator('#counters [data-stat="pkt4-ack-sent"] .value', { hasText: /^[1-9]/ }).waitFor();
    // The packets/s chart has drawn the exchanges (a point above the zero line).
    await page.waitForFunction(
      () =>
        (document.querySelector('#chart polyline.rx')?.getAttribute('points') ?? '')
          .split(' ')
          .some((p) => Number(p.split(',')[1]) < 78),
      undefined,
      { timeout: 10_000 },
    );
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    // Stop: the switch and the server agree; a saved option is refused while serving was on, then validated.
    await page.fill('input[name="leasePeriod"]', '900');
    await page.click('button[type="submit"]');
    await page.locator('#options-status', { hasText: 'Stop the DHCP server first' }).waitFor();
    await page.click('#running-switch');
    await page.locator('#running-label', { hasText: 'Stopped' }).waitFor();
    assert.equal(await page.getAttribute('#running-switch', 'aria-checked'), 'false');
    assert.equal(server.engine.enabled, false);

    await page.fill('input[name="rangeStart"]', '198.18.0.300');
    await page.fill('input[name="gateway"]', '10.0.0.1');
    await page.click('button[type="submit"]');
    const rangeError = page.locator('[data-error-for="rangeStart"]');
    await rangeError.filter({ hasText: 'not an IPv4 address' }).waitFor();
    assert.match(
      await page.locator('[data-error-for="gateway"]').innerText(),
      /not on the subnet 198\.18\.0\.0\/24/,
    );
    assert.equal(await page.locator('[data-error-for="mask"]').innerText(), '');
    assert.equal(await page.getAttribute('input[name="rangeStart"]', 'aria-invalid'), 'true');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-validation.png'), fullPage: true });
    assert.deepEqual(
      server.config.subnets[0]?.pools.map((p) => p.end - p.start + 1),
      [51],
      'nothing applied',
    );

    // A valid change goes through config-set: the Kea configuration has it.
    await page.fill('input[name="rangeStart"]', '198.18.0.100');
    await page.fill('input[name="gateway"]', '198.18.0.1');
    await page.click('button[type="submit"]');
    await page.locator('#options-status', { hasText: 'Options saved.' }).waitFor();
    assert.equal(server.config.subnets[0]?.lifetimes.valid, 900);

    // Start again from the page.
    await page.click('#running-switch');
    await page.locator('#running-label', { hasText: 'Serving' }).waitFor();
    assert.equal(server.engine.enabled, true);

    // The same page on a phone.
    const phoneContext = await browser.newContext({
      httpCredentials: USER,
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
    });
    const small = await phoneContext.newPage();
    await small.goto(url);
    await small.locator(`#leases-body tr[data-address="${lease.address}"]`).waitFor({ timeout: 10_000 });
    const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    await small.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  } finally {
    for (const c of clients) await c.close();
    await browser.close();
    await server.stop();
  }
});

test('without credentials the page, the script and the WebSocket are refused', async () => {
  const { server } = await virtualServer(CONFIG);
  try {
    const url = server.control!.http[0]!.url;
    for (const path of ['', 'dashboard.js', 'dashboard.css']) {
      assert.equal((await fetch(url + path)).status, 401, path);
    }
    const auth = { Authorization: `Basic ${btoa(`${USER.username}:${USER.password}`)}` };
    const page = await fetch(url, { headers: auth });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(await page.text(), /<meta name="leasekeeper-ws" content="\/ws" \/>/);
    const script = await fetch(`${url}dashboard.js`, { headers: auth });
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.match(await script.text(), /\/dhcp\/server\/v1/);
    const etag = script.headers.get('etag') ?? '';
    assert.equal(
      (await fetch(`${url}dashboard.js`, { headers: { ...auth, 'If-None-Match': etag } })).status,
      304,
    );
    const ws = new WebSocket(`${url.replace('http:', 'ws:')}ws`);
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => undefined);
    });
    assert.equal(status, 401);
  } finally {
    await server.stop();
  }
});

test('10,000 leases committed in a burst: the page shows the count, draws 500 rows and finds any by search', async () => {
  const { server } = await virtualServer(
    {
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'] },
        subnet4: [{ id: 1, subnet: '10.0.0.0/16', pools: [{ pool: '10.0.0.10 - 10.0.255.250' }] }],
        'control-sockets': [{ 'socket-type': 'http', 'socket-address': '127.0.0.1', 'socket-port': 0 }],
      },
    },
    { address: '10.0.0.1/16' },
  );
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(server.control!.http[0]!.url);
    await page.locator('#leases-summary', { hasText: '0 leases' }).waitFor({ timeout: 10_000 });
    const now = Date.now();
    const commits: Promise<unknown>[] = [];
    for (let i = 0; i < 10_000; i++) {
      const n = i + 10;
      commits.push(
        server.store.commit(
          boundLease(
            `10.0.${n >> 8}.${n & 255}`,
            `02:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
            1,
            `host-${i}`,
            now,
          ),
        ),
      );
    }
    await Promise.all(commits);
    await page
      .locator('#leases-summary', { hasText: '10000 leases, 10000 bound · first 500 shown' })
      .waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('#leases-body tr').count(), 500);
    await page.fill('#leases-search', 'host-9999');
    await page.locator('#leases-summary', { hasText: '1 match' }).waitFor();
    assert.match(await rowText(page, '10.0.39.25'), /10\.0\.39\.25 02-00-00-00-27-0F host-9999 BOUND/);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test("a lease's details show the classes it was granted with, and the list filters by class", async () => {
  const classified = {
    Dhcp4: {
      ...CONFIG.Dhcp4,
      'client-classes': [
        { name: 'named', test: 'option[12].exists' },
        { name: 'laptops', test: "substring(option[12].text,0,6) == 'laptop'" },
        { name: 'phones', test: "option[12].text == 'phone'" },
      ],
    },
  };
  const { net, lan, server } = await virtualServer(classified);
  const browser = await launchChromium();
  const clients: VirtualDhcpClient[] = [];
  try {
    const { page, pageErrors } = await openDashboard(browser, server.control!.http[0]!.url);
    assert.equal(await page.locator('#leases-class').isVisible(), false, 'no class filter without classes');

    const leases: Record<string, string> = {};
    for (const [mac, hostname] of [
      ['02:00:00:00:bb:01', 'laptop-1'],
      ['02:00:00:00:bb:02', 'laptop-2'],
      ['02:00:00:00:bb:03', 'phone'],
    ] as const) {
      const client = new VirtualDhcpClient(net.createHost(hostname), lan, { mac, hostname });
      clients.push(client);
      leases[hostname] = (await client.obtain()).address;
    }
    const phone = leases['phone']!;
    await page.locator('#leases-summary', { hasText: '3 leases, 3 bound' }).waitFor({ timeout: 10_000 });

    // The row opens to its details: the classes the engine stored in the lease's user context.
    const stored = await server.store.get(phone);
    assert.deepEqual(
      (stored?.userContext?.['ISC'] as { 'client-classes'?: unknown } | undefined)?.['client-classes'],
      ['named', 'phones', 'UNKNOWN'],
    );
    await page.click(`#leases-body tr[data-address="${phone}"]`);
    const detail = page.locator(`#leases-body tr[data-detail-for="${phone}"]`);
    await detail.waitFor();
    assert.deepEqual(await detail.locator('.class-chip').allInnerTexts(), ['named', 'phones', 'UNKNOWN']);
    assert.match(
      (await detail.innerText()).replace(/\s+/g, ' '),
      /Subnet 1 Server 198\.18\.0\.1 Lease time 600 s/,
    );
    assert.equal(
      await page.getAttribute(`#leases-body tr[data-address="${phone}"]`, 'aria-expanded'),
      'true',
    );
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-classes.png'), fullPage: true });

    // The filter lists each class with its lease count and narrows the table to it.
    assert.deepEqual(await page.locator('#leases-class option').allInnerTexts(), [
      'All classes',
      'laptops (2)',
      'named (3)',
      'phones (1)',
      'UNKNOWN (3)',
    ]);
    await page.selectOption('#leases-class', 'laptops');
    await page.locator('#leases-summary', { hasText: '2 match' }).waitFor();
    const shown = await page
      .locator('#leases-body tr.lease')
      .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset['address']));
    assert.deepEqual(shown.sort(), [leases['laptop-1'], leases['laptop-2']].sort());

    // A class in the details is a shortcut to the same filter; the open details survive a live push.
    await page.selectOption('#leases-class', '');
    await page.locator('#leases-summary', { hasText: /^3 leases, 3 bound$/ }).waitFor();
    const late = new VirtualDhcpClient(net.createHost('laptop-3'), lan, {
      mac: '02:00:00:00:bb:04',
      hostname: 'laptop-3',
    });
    clients.push(late);
    await late.obtain();
    await page.locator('#leases-summary', { hasText: '4 leases, 4 bound' }).waitFor({ timeout: 10_000 });
    await detail.locator('.class-chip', { hasText: 'phones' }).click();
    await page.locator('#leases-summary', { hasText: '1 match' }).waitFor();
    assert.equal(await page.inputValue('#leases-class'), 'phones');
    assert.equal(await page.locator('#leases-body tr.lease').count(), 1);

    // Keyboard: Enter closes the details again.
    await page.focus(`#leases-body tr[data-address="${phone}"]`);
    await page.keyboard.press('Enter');
    await detail.waitFor({ state: 'detached' });
    // The search also finds class names.
    await page.selectOption('#leases-class', '');
    await page.fill('#leases-search', 'laptops');
    await page.locator('#leases-summary', { hasText: '3 match' }).waitFor();
    assert.deepEqual(pageErrors, []);

    // On a phone the filter and an open row's details fit the width.
    const phoneContext = await browser.newContext({
      httpCredentials: USER,
      viewport: { width: 390, height: 844 },
      isMobile: true,
    });
    const small = await phoneContext.newPage();
    await small.goto(server.control!.http[0]!.url);
    await small.locator('#leases-class').waitFor({ timeout: 10_000 });
    await small.click(`#leases-body tr[data-address="${phone}"]`);
    await small.locator(`#leases-body tr[data-detail-for="${phone}"] .class-chip`).first().waitFor();
    const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    await small.screenshot({ path: join(ARTIFACTS, 'dashboard-classes-phone.png'), fullPage: true });
  } finally {
    for (const c of clients) await c.close();
    await browser.close();
    await server.stop();
  }
});

test("subnets are grouped under their shared network's name and totals; a plain subnet stands alone", async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const { net, lan, server } = await virtualServer({
    Dhcp4: {
      'interfaces-config': { interfaces: ['eth0'] },
      subnet4: [{ id: 7, subnet: '198.18.7.0/24', pools: [{ pool: '198.18.7.10 - 198.18.7.19' }] }],
      'shared-networks': [
        {
          name: 'floor1',
          interface: 'eth0',
          subnet4: [
            { id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.150' }] },
            { id: 2, subnet: '198.18.1.0/24', pools: [{ pool: '198.18.1.10 - 198.18.1.14' }] },
          ],
        },
      ],
      'control-sockets': [{ 'socket-type': 'http', 'socket-address': '127.0.0.1', 'socket-port': 0 }],
    },
  });
  const browser = await launchChromium();
  const client = new VirtualDhcpClient(net.createHost('laptop'), lan, {
    mac: '02:00:00:00:bb:01',
    hostname: 'laptop',
  });
  try {
    // One lease by a real DORA (the first subnet of the network), two more in its second subnet.
    assert.match((await client.obtain()).address, /^198\.18\.0\./);
    const now = Date.now();
    for (const [i, address] of ['198.18.1.10', '198.18.1.11'].entries()) {
      await server.store.commit(boundLease(address, `02:00:00:00:cc:0${i}`, 2, null, now));
    }
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(server.control!.http[0]!.url);
    const group = page.locator('#pools [data-network="floor1"]');
    // The network's header: its name and the sums of its subnets (1 + 2 of 51 + 5 addresses).
    await group.locator('.network-head', { hasText: '3 / 56 (5%)' }).waitFor({ timeout: 10_000 });
    assert.equal(await group.locator('.network-head .name').innerText(), 'floor1');
    assert.equal(await group.locator('.network .bar').getAttribute('aria-valuenow'), '3');
    // Its subnets inside the group, with their prefixes, in configuration order.
    assert.deepEqual(
      await group.locator('.pool').evaluateAll((els) => els.map((e) => e.getAttribute('data-subnet'))),
      ['1', '2'],
    );
    assert.match(
      await group.locator('[data-subnet="1"]').innerText(),
      /Subnet 1 198\.18\.0\.0\/24\s+1 \/ 51/,
    );
    assert.match(
      await group.locator('[data-subnet="2"]').innerText(),
      /Subnet 2 198\.18\.1\.0\/24\s+2 \/ 5 \(40%\)/,
    );
    // The plain subnet is outside any group, before the network as configured.
    const plain = page.locator('#pools > [data-subnet="7"]');
    assert.match(await plain.innerText(), /Subnet 7 198\.18\.7\.0\/24\s+0 \/ 10/);
    assert.deepEqual(
      await page
        .locator('#pools > *')
        .evaluateAll((els) =>
          els.map((e) => e.getAttribute('data-subnet') ?? e.getAttribute('data-network')),
        ),
      ['7', 'floor1'],
    );
    await page.locator('#pools').screenshot({ path: join(ARTIFACTS, 'dashboard-networks.png') });
  } finally {
    await client.close();
    await browser.close();
    await server.stop();
  }
});

test("the lease store's LISTEN health and warnings from status-get are shown: lost, then back", async () => {
  const { server } = await virtualServer(CONFIG);
  const browser = await launchChromium();
  try {
    const url = server.control?.http[0]?.url;
    assert.ok(url !== undefined);
    const page = await (await browser.newContext({ httpCredentials: USER })).newPage();
    // Only PostgreSQL has a LISTEN connection: the server's real status-get answer gets one added.
    let listen: Record<string, unknown> = {
      state: 'reconnecting',
      failures: 4,
      'last-error': 'terminating connection due to administrator command',
      'last-error-at': '2026-01-02T03:04:05.000Z',
    };
    let warnings: Record<string, unknown> | undefined = undefined;
    await page.route(url, async (route) => {
      const body = route.request().postData() ?? '';
      if (!body.includes('"status-get"')) return route.continue();
      const response = await route.fetch();
      const answers = (await response.json()) as { arguments: { 'lease-store': Record<string, unknown> } }[];
      answers[0]!.arguments['lease-store']['listen'] = listen;
      if (warnings !== undefined) answers[0]!.arguments['lease-store']['warnings'] = warnings;
      await route.fulfill({ response, json: answers });
    });
    await page.goto(url);
    await page
      .locator('#store-health[data-state="listen"]', {
        hasText:
          /^Lease change notifications lost \(4 failure\(s\), last at .+: terminating connection due to administrator command\); other servers' lease changes are not seen/,
      })
      .waitFor({ timeout: 20_000 });
    listen = { ...listen, state: 'ok' };
    // The store's warnings (SQLite's checkpoint thread stalled) follow, with their count and the last one.
    warnings = {
      count: 3,
      last: 'lease database /var/lib/x.sqlite: checkpoint thread stalled',
      'last-at': '2026-01-02T03:04:06.000Z',
    };
    await page.reload();
    await page
      .locator('#store-health[data-state="ok"]', {
        hasText:
          /^Lease change notifications back \(4 failure\(s\), .*\); the changes missed meanwhile were re-read\. Lease store warnings: 3 since start, the last at .+: lease database \/var\/lib\/x\.sqlite: checkpoint thread stalled$/,
      })
      .waitFor({ timeout: 20_000 });
  } finally {
    await browser.close();
    await server.stop();
  }
});
