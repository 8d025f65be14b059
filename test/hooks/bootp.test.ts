// libdhcp_bootp.so built in: a BOOTREQUEST (no DHCP message type) gets a BOOTREPLY with an infinite lease
// and without DHCP-specific options, as Kea answers it; the BOOTP class can keep BOOTP clients in a pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType, type DhcpMessage } from '../../src/protocol/index.ts';
import { Lab, basicConfig, msg } from '../server/harness.ts';

const LIB = '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_bootp.so';
const MAC = '02:00:00:00:0b:01';

function bootRequest(mac: string, options: Record<string, unknown> = {}): DhcpMessage {
  const m = msg(MessageType.REQUEST, mac, { options });
  m.options.delete(53);
  return m;
}

const withBootp = { Dhcp4: { ...basicConfig.Dhcp4, 'hooks-libraries': [{ library: LIB }] } };

test('a BOOTREQUEST gets a BOOTREPLY: an address at once, an infinite lease, no DHCP-specific options', async () => {
  const lab = new Lab(withBootp);
  const reply = await lab.one(
    bootRequest(MAC, {
      'dhcp-client-identifier': Uint8Array.from([1, 2, 0, 0, 0, 0x0b, 1]),
      'host-name': 'printer',
    }),
  );
  assert.equal(reply.message.op, 2);
  assert.match(reply.message.yiaddr, /^198\.18\.0\.(1\d|20)$/);
  for (const code of [50, 51, 53, 54, 55, 57, 58, 59, 61])
    assert.equal(reply.message.options.getRaw(code), undefined, `option ${code}`);
  assert.equal(reply.message.options.get('subnet-mask'), '255.255.255.0');
  assert.deepEqual(reply.message.options.get('routers'), ['198.18.0.1']);
  assert.deepEqual(reply.message.options.get('domain-name-servers'), ['198.18.0.53']);
  assert.ok(reply.size >= 300, `BOOTP minimum size, got ${reply.size}`);
  const lease = await lab.store.get(reply.message.yiaddr);
  assert.equal(lease?.validLifetime, 0xffffffff);
  assert.equal(lease?.hwAddress, MAC);
  assert.equal(lease?.hostname, 'printer');
  assert.match(
    lab.lastEvent(),
    new RegExp(
      `^BOOTREQUEST from ${MAC} .*-> BOOTREPLY ${reply.message.yiaddr.replaceAll('.', '\\.')} lease 4294967295s`,
    ),
  );
  const stats = lab.engine.statistics();
  assert.equal(stats['pkt4-request-received'], 1);
  assert.equal(stats['pkt4-ack-sent'], 1);
  assert.equal(stats['pkt4-unknown-received'] ?? 0, 0);

  // Asking again gives the same address; a week later it has not expired.
  const again = await lab.one(
    bootRequest(MAC, { 'dhcp-client-identifier': Uint8Array.from([1, 2, 0, 0, 0, 0x0b, 1]) }),
  );
  assert.equal(again.message.yiaddr, reply.message.yiaddr);
  lab.advance(7 * 86400);
  assert.deepEqual(lab.engine.reclaim(lab.now, { remove: false }), []);
  // DHCP clients are served as before, with finite leases.
  const dhcp = await lab.dora('02:00:00:00:0d:01');
  assert.equal(dhcp.message.options.get('dhcp-lease-time'), 3600);
});

test('without the hook a BOOTREQUEST is dropped and counted, as before', async () => {
  const lab = new Lab(basicConfig);
  await lab.none(bootRequest(MAC));
  assert.equal(lab.engine.statistics()['pkt4-receive-drop'], 1);
});

test("Kea's example: the BOOTP class keeps BOOTP clients in their pool, DHCP clients in theirs", async () => {
  const lab = new Lab({
    Dhcp4: {
      'hooks-libraries': [{ library: 'libdhcp_bootp.so' }],
      'client-classes': [{ name: 'DHCP', test: "not member('BOOTP')" }],
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/24',
          pools: [
            { pool: '198.18.0.200 - 198.18.0.254', 'client-class': 'BOOTP' },
            { pool: '198.18.0.1 - 198.18.0.199', 'client-class': 'DHCP' },
          ],
        },
      ],
    },
  });
  const boot = await lab.one(bootRequest(MAC));
  assert.match(boot.message.yiaddr, /^198\.18\.0\.2\d\d$/);
  assert.match(lab.lastEvent(), /classes \[BOOTP, UNKNOWN\]/);
  const dhcp = await lab.dora('02:00:00:00:0d:01');
  assert.match(dhcp.message.yiaddr, /^198\.18\.0\.(\d|\d\d|1\d\d)$/);
});

test('a BOOTREQUEST that cannot be served gets no reply (a BOOTP client knows no DHCPNAK)', async () => {
  const lab = new Lab({
    Dhcp4: {
      'hooks-libraries': [{ library: LIB }],
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.10' }] }],
    },
  });
  await lab.one(bootRequest(MAC));
  await lab.none(bootRequest('02:00:00:00:0b:02'));
  assert.match(lab.lastEvent(), /^BOOTREQUEST from 02:00:00:00:0b:02 .*-> no reply: no free address/);
  const noChaddr = bootRequest(MAC);
  noChaddr.hlen = 0;
  await lab.none(noChaddr);
});
