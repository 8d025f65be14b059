/**
 * The linux transport against real DHCP peers in namespaces (198.18.0.0/15, no routes): frames we build
 * are accepted by dnsmasq and busybox udhcpc, and theirs reach us with the right metadata. The DHCP logic
 * here is a few hand-built replies, just enough to drive the peers; the server engine is tested elsewhere.
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { startDnsmasq, startUdhcpc } from '../lab/peers.ts';
import { LinuxTransport } from '../../src/transport/linux/transport.ts';
import {
  BOOTREPLY,
  BOOTREQUEST,
  MessageType,
  createMessage,
  decodeMessage,
  encodeMessage,
  messageTypeOf,
  parseMac,
  type DhcpMessage,
} from '../../src/protocol/index.ts';
import type { DatagramMeta } from '../../src/transport/types.ts';
import { until, vethLink, withLab } from './linux-helpers.ts';

const { test } = requiring('root', 'ip', 'dnsmasq', 'busybox');

function chaddrOf(mac: string): Uint8Array {
  const c = new Uint8Array(16);
  c.set(parseMac(mac));
  return c;
}

test('dnsmasq answers our DISCOVER from an address-less interface: unicast to our MAC, or broadcast on request', () =>
  withLab('tri', async (lab) => {
    const { s, c } = await vethLink(lab, { clientMac: '02:00:00:00:0d:01' });
    await startDnsmasq(s, 'srv0', { range: ['198.18.0.100', '198.18.0.150'] });
    const client = await LinuxTransport.open({ interfaces: ['cli0'], port: 68, netns: c.name });
    try {
      const offers: { msg: DhcpMessage; meta: DatagramMeta }[] = [];
      client.on('message', (data, meta) => {
        const msg = decodeMessage(data);
        if (messageTypeOf(msg) === MessageType.OFFER) offers.push({ msg, meta });
      });
      for (const [xid, flags] of [
        [0x0a0b0c01, 0],
        [0x0a0b0c02, 0x8000],
      ] as const) {
        const discover = createMessage({
          op: BOOTREQUEST,
          htype: 1,
          hlen: 6,
          xid,
          flags,
          chaddr: chaddrOf('02:00:00:00:0d:01'),
        });
        discover.options.set('dhcp-message-type', MessageType.DISCOVER);
        await client.send({ data: encodeMessage(discover), ip: '255.255.255.255', port: 67 });
        await until(
          () => offers.some((o) => o.msg.xid === xid),
          10_000,
          `the offer for xid ${xid.toString(16)}`,
        );
      }
      const unicast = offers.find((o) => o.msg.xid === 0x0a0b0c01)!;
      assert.equal(unicast.msg.op, BOOTREPLY);
      const host = Number(unicast.msg.yiaddr.split('.')[3]);
      assert.ok(unicast.msg.yiaddr.startsWith('198.18.0.') && host >= 100 && host <= 150, unicast.msg.yiaddr);
      assert.equal(
        unicast.meta.destinationIp,
        unicast.msg.yiaddr,
        'sent to the offered address, which we do not hold',
      );
      assert.equal(unicast.meta.linkBroadcast, false);
      assert.equal(unicast.meta.sourceIp, '198.18.0.1');
      assert.equal(unicast.meta.sourceMac, await s.mac('srv0'));
      const bcast = offers.find((o) => o.msg.xid === 0x0a0b0c02)!;
      assert.equal(bcast.meta.destinationIp, '255.255.255.255');
      assert.equal(bcast.meta.linkBroadcast, true);
      assert.deepEqual(await c.addresses('cli0'), []);
    } finally {
      await client.close();
    }
  }));

test('busybox udhcpc takes a lease from hand-built replies sent by MAC unicast to its address-less interface', () =>
  withLab('tri', async (lab) => {
    const { s, c } = await vethLink(lab, { clientMac: '02:00:00:00:0d:02' });
    const server = await LinuxTransport.open({ interfaces: ['srv0'], port: 67, netns: s.name });
    try {
      const seen: { type: number | undefined; meta: DatagramMeta }[] = [];
      server.on('message', (data, meta) => {
        const req = decodeMessage(data);
        const type = messageTypeOf(req);
        seen.push({ type, meta });
        if (type !== MessageType.DISCOVER && type !== MessageType.REQUEST) return;
        const reply = createMessage({
          op: BOOTREPLY,
          htype: 1,
          hlen: 6,
          xid: req.xid,
          flags: req.flags,
          yiaddr: '198.18.0.77',
          siaddr: '198.18.0.1',
          chaddr: req.chaddr,
        });
        reply.options.set(
          'dhcp-message-type',
          type === MessageType.DISCOVER ? MessageType.OFFER : MessageType.ACK,
        );
        reply.options.set('dhcp-server-identifier', '198.18.0.1');
        reply.options.set('dhcp-lease-time', 600);
        reply.options.set('subnet-mask', '255.255.255.0');
        // RFC 2131 §4.1: broadcast flag clear, no ciaddr: unicast to chaddr and yiaddr.
        void server.send({
          data: encodeMessage(reply),
          ip: '198.18.0.77',
          port: 68,
          mac: meta.sourceMac,
          interface: 'srv0',
        });
      });
      const udhcpc = startUdhcpc(c, 'cli0', { tries: 5 });
      const bound = await udhcpc.waitForBound(15_000);
      assert.equal(bound.address, '198.18.0.77');
      assert.equal(bound.prefixLength, 24);
      assert.equal(bound.serverId, '198.18.0.1');
      const discover = seen.find((x) => x.type === MessageType.DISCOVER)!;
      assert.equal(discover.meta.sourceIp, '0.0.0.0');
      assert.equal(discover.meta.destinationIp, '255.255.255.255');
      assert.equal(discover.meta.sourceMac, '02:00:00:00:0d:02');
      assert.equal(discover.meta.interface?.name, 'srv0');
      assert.ok(seen.some((x) => x.type === MessageType.REQUEST));
      await udhcpc.stop();
    } finally {
      await server.close();
    }
  }));
