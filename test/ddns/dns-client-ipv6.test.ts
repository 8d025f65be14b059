// IPv6 DNS servers in DhcpDdns: the address is accepted (canonical form), and an UPDATE reaches a stand-in
// DNS server on ::1 over a udp6 socket and its answer is read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/compile.ts';
import { aRdata, addRecord, prereq, RRType } from '../../src/ddns/wire.ts';
import { sendUpdate } from '../../src/runtime/ddns/index.ts';
import { standInDns } from './stand-in-dns.ts';

const withServer = (address: string, port = 53) =>
  parseConfig({
    Dhcp4: {},
    DhcpDdns: {
      'forward-ddns': {
        'ddns-domains': [{ name: 'example.com.', 'dns-servers': [{ 'ip-address': address, port }] }],
      },
    },
  });

test('an IPv6 dns-servers ip-address is accepted in canonical form; a non-address is refused', () => {
  const r = withServer('2001:DB8:0:0::10');
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.equal(r.config.ddns.forward[0]?.servers[0]?.address, '2001:db8::10');
  const bad = withServer('dns.example.com');
  assert.ok(!bad.ok);
  assert.deepEqual(
    bad.error.issues.map((i) => i.path),
    ['DhcpDdns.forward-ddns.ddns-domains[0].dns-servers[0].ip-address'],
  );
});

test('an UPDATE to a DNS server on ::1 is sent over IPv6 and answered', async () => {
  const dns = await standInDns('::1');
  try {
    const r = withServer('::1', dns.port);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    const server = r.config.ddns.forward[0]!.servers[0]!;
    const rcode = await sendUpdate(
      server,
      'example.com',
      [prereq('name-not-in-use', 'desk.example.com')],
      [addRecord('desk.example.com', RRType.A, 300, aRdata('198.18.0.10'))],
      { timeoutMs: 5000, nowSeconds: () => Math.floor(Date.now() / 1000) },
    );
    assert.equal(rcode, 0);
    assert.deepEqual(dns.received, [['NONE ANY desk.example.com', 'IN A desk.example.com']]);
  } finally {
    dns.close();
  }
});
