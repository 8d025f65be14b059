// Dynamic DNS against a real authoritative server: `leasekeeper serve` and BIND 9 in one namespace, real
// DHCP clients (ISC dhclient sending option 81, busybox udhcpc sending option 12) on a bridge. `dig`
// checks every step: A, PTR and DHCID appear on ACK, a second client claiming the same name is refused
// by RFC 4703 conflict resolution, RELEASE, lease4-del and expiry remove the records, and an update made
// while the DNS server is down reaches it once it is back.
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createLab } from '../lab/netns.ts';
import { startDhclient, startUdhcpc } from '../lab/peers.ts';
import { eventually, leasesOf, startLeasekeeper } from '../interop/harness.ts';
import { startBind, TEST_KEY, type Bind } from './bind.ts';

const { test } = requiring('root', 'ip', 'named', 'dig', 'busybox', 'dhclient');

const SERVER = '198.18.0.1';

const dhcpDdns = {
  'tsig-keys': [{ name: TEST_KEY.name, algorithm: 'HMAC-SHA256', secret: TEST_KEY.secret }],
  'forward-ddns': {
    'ddns-domains': [
      { name: 'example.com.', 'key-name': TEST_KEY.name, 'dns-servers': [{ 'ip-address': SERVER }] },
    ],
  },
  'reverse-ddns': {
    'ddns-domains': [
      {
        name: '0.18.198.in-addr.arpa.',
        'key-name': TEST_KEY.name,
        'dns-servers': [{ 'ip-address': SERVER }],
      },
    ],
  },
};

const dhcp4 = {
  'valid-lifetime': 600,
  'min-valid-lifetime': 4,
  'max-valid-lifetime': 600,
  'expired-leases-processing': { 'reclaim-timer-wait-time': 1 },
  'dhcp-ddns': { 'enable-updates': true },
  'ddns-qualifying-suffix': 'example.com.',
  'ddns-send-updates': true,
  subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.150' }] }],
};

function ptrOf(address: string): string {
  return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
}

async function until(
  bind: Bind,
  name: string,
  type: string,
  want: (lines: string[]) => boolean,
  what: string,
) {
  return eventually(
    async () => {
      const lines = await bind.dig(name, type);
      return want(lines) ? lines : undefined;
    },
    30_000,
    what,
  );
}

test('A, PTR and DHCID follow leases from dhclient (option 81) and udhcpc (option 12) in BIND', async () => {
  const lab = await createLab('ddns');
  try {
    const srv = await lab.namespace('srv');
    const c1 = await lab.namespace('c1');
    const c2 = await lab.namespace('c2');
    const c3 = await lab.namespace('c3');
    const c4 = await lab.namespace('c4');
    await lab.bridge('br', [
      { ns: srv, ifname: 'eth0' },
      { ns: c1, ifname: 'eth0', mac: '02:00:00:00:dd:01' },
      { ns: c2, ifname: 'eth0', mac: '02:00:00:00:dd:02' },
      { ns: c3, ifname: 'eth0', mac: '02:00:00:00:dd:03' },
      { ns: c4, ifname: 'eth0', mac: '02:00:00:00:dd:04' },
    ]);
    await srv.addAddress('eth0', `${SERVER}/24`);
    const bindDir = join(srv.dir, 'bind');
    let bind = await startBind(srv, bindDir, { listen: SERVER });
    const server = await startLeasekeeper(srv, { dhcp4, dhcpDdns });
    try {
      // 1. dhclient asks the server to do both updates (S=1) for a partial name: it is qualified.
      const laptop = startDhclient(c1, 'eth0', {
        extraConf: 'send fqdn.fqdn "laptop";\nsend fqdn.encoded on;\nsend fqdn.server-update on;',
      });
      const b1 = await laptop.waitForBound(30_000);
      await until(bind, 'laptop.example.com', 'A', (l) => l.includes(b1.address), 'the A record of laptop');
      await until(
        bind,
        ptrOf(b1.address),
        'PTR',
        (l) => l.includes('laptop.example.com.'),
        'the PTR of laptop',
      );
      const dhcid = await bind.dig('laptop.example.com', 'DHCID');
      assert.equal(dhcid.length, 1, 'one DHCID record');
      const lease1 = (await leasesOf(server)).find((l) => l['ip-address'] === b1.address);
      assert.equal(lease1?.hostname, 'laptop.example.com');
      assert.equal(lease1?.['fqdn-fwd'], true);
      assert.equal(lease1?.['fqdn-rev'], true);

      // 2. udhcpc sends only option 12: the server does A and PTR.
      const phone = startUdhcpc(c2, 'eth0', { hostname: 'phone' });
      const b2 = await phone.waitForBound(30_000);
      await until(bind, 'phone.example.com', 'A', (l) => l.includes(b2.address), 'the A record of phone');
      await until(
        bind,
        ptrOf(b2.address),
        'PTR',
        (l) => l.includes('phone.example.com.'),
        'the PTR of phone',
      );
      assert.equal((await bind.dig('phone.example.com', 'DHCID')).length, 1);

      // 3. Another client claims "laptop": its DHCID differs, so the name stays with the first client.
      const impostor = startUdhcpc(c3, 'eth0', { hostname: 'laptop' });
      const b3 = await impostor.waitForBound(30_000);
      await eventually(
        async () =>
          /DDNS add "laptop\.example\.com".*forward conflict/.test(server.proc.output()) ? true : undefined,
        30_000,
        'the conflict in the server log',
      );
      assert.deepEqual(await bind.dig('laptop.example.com', 'A'), [b1.address]);
      assert.deepEqual(await bind.dig(ptrOf(b3.address), 'PTR'), [], 'no PTR for the refused name');
      assert.deepEqual(await bind.dig('laptop.example.com', 'DHCID'), dhcid);

      // 4. RELEASE removes A, DHCID and PTR.
      await laptop.release();
      await until(bind, 'laptop.example.com', 'A', (l) => l.length === 0, 'the A record of laptop to go');
      await until(bind, ptrOf(b1.address), 'PTR', (l) => l.length === 0, 'the PTR of laptop to go');
      assert.deepEqual(await bind.dig('laptop.example.com', 'DHCID'), []);

      // 5. lease4-del removes the records of the lease it deletes.
      const del = await server.ctl('lease4-del', { 'ip-address': b2.address });
      assert.equal(del.result, 0, JSON.stringify(del));
      await until(bind, 'phone.example.com', 'A', (l) => l.length === 0, 'the A record of phone to go');
      await until(bind, ptrOf(b2.address), 'PTR', (l) => l.length === 0, 'the PTR of phone to go');
      assert.deepEqual(await bind.dig('phone.example.com', 'DHCID'), []);
      await phone.stop();

      // 6. Expiry: a client that asks for a 4 s lease and disappears without releasing.
      const brief = startUdhcpc(c4, 'eth0', {
        hostname: 'brief',
        releaseOnExit: false,
        extraArgs: ['-x', 'lease:4'],
      });
      const b4 = await brief.waitForBound(30_000);
      await until(bind, 'brief.example.com', 'A', (l) => l.includes(b4.address), 'the A record of brief');
      await brief.stop();
      await until(bind, 'brief.example.com', 'A', (l) => l.length === 0, 'the A record of brief to expire');
      await until(bind, ptrOf(b4.address), 'PTR', (l) => l.length === 0, 'the PTR of brief to expire');

      // 7. DNS down while a client binds: the ACK is not delayed, the update arrives once DNS is back.
      await bind.stop();
      const late = startDhclient(c1, 'eth0', {
        extraConf: 'send fqdn.fqdn "late.example.com.";\nsend fqdn.server-update on;',
      });
      const b5 = await late.waitForBound(30_000);
      await eventually(
        async () => (/DDNS add "late\.example\.com".*retry in/.test(server.proc.output()) ? true : undefined),
        15_000,
        'a failed attempt to be logged',
      );
      bind = await startBind(srv, bindDir, { listen: SERVER });
      await until(bind, 'late.example.com', 'A', (l) => l.includes(b5.address), 'the A record of late');
      await until(bind, ptrOf(b5.address), 'PTR', (l) => l.includes('late.example.com.'), 'the PTR of late');

      const stats = await server.ctl('statistic-get-all');
      assert.equal(stats.result, 0);
      const stat = (name: string): number =>
        (stats.arguments?.[name] as [number, string][] | undefined)?.[0]?.[0] ?? -1;
      assert.ok(stat('update-success') >= 8, `update-success ${stat('update-success')}`);
      assert.ok(stat(`key[${TEST_KEY.name}].update-sent`) >= stat('update-success'));
      assert.ok(stat('update-timeout') >= 1, 'the outage shows as timeouts');
      assert.equal(stat('update-conflict'), 1);
      assert.equal(stat('ncr-queue-length'), 0);
      assert.equal(await server.stop(), 0);
      await bind.stop();
    } catch (err) {
      // The server's and named's logs tell why a record did not appear.
      throw new Error(
        `${(err as Error).message}\n--- leasekeeper:\n${server.proc.output().slice(-6000)}\n--- named:\n${bind.proc.output().slice(-3000)}`,
        { cause: err },
      );
    }
  } finally {
    await lab.close();
  }
});

test('a removal pending while DNS is down survives a server restart (kept in the lease file)', async () => {
  const lab = await createLab('ddnr');
  try {
    const srv = await lab.namespace('srv');
    const c1 = await lab.namespace('c1');
    await lab.veth(srv, 'eth0', c1, 'eth0', { bMac: '02:00:00:00:dd:11' });
    await srv.addAddress('eth0', `${SERVER}/24`);
    const bindDir = join(srv.dir, 'bind');
    let bind = await startBind(srv, bindDir, { listen: SERVER });
    const leaseFile = join(srv.dir, 'leases.sqlite');
    let server = await startLeasekeeper(srv, { dhcp4, dhcpDdns, leaseFile });
    try {
      const client = startUdhcpc(c1, 'eth0', { hostname: 'desk' });
      const b = await client.waitForBound(30_000);
      await until(bind, 'desk.example.com', 'A', (l) => l.includes(b.address), 'the A record of desk');
      await bind.stop();
      await client.release();
      await eventually(
        async () =>
          /DDNS remove "desk\.example\.com".*retry in/.test(server.proc.output()) ? true : undefined,
        15_000,
        'the failed removal to be logged',
      );
      assert.equal(await server.stop(), 0);
      assert.equal(existsSync(`${leaseFile}.ddns-queue.json`), false, 'no queue file beside the lease file');
      const kept = new Database(leaseFile, { readonly: true });
      assert.deepEqual(kept.prepare('SELECT kind, fqdn FROM ddns_queue').all(), [
        { kind: 'remove', fqdn: 'desk.example.com' },
      ]);
      kept.close();
      bind = await startBind(srv, bindDir, { listen: SERVER });
      assert.deepEqual(
        await bind.dig('desk.example.com', 'A'),
        [b.address],
        'still there while the server is down',
      );
      server = await startLeasekeeper(srv, { dhcp4, dhcpDdns, leaseFile });
      await until(
        bind,
        'desk.example.com',
        'A',
        (l) => l.length === 0,
        'the A record of desk to go after restart',
      );
      await until(
        bind,
        ptrOf(b.address),
        'PTR',
        (l) => l.length === 0,
        'the PTR of desk to go after restart',
      );
      assert.match(server.proc.output(), /1 pending name change\(s\) restored/);
      assert.equal(await server.stop(), 0);
      await bind.stop();
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- leasekeeper:\n${server.proc.output().slice(-4000)}`, {
        cause: err,
      });
    }
  } finally {
    await lab.close();
  }
});
