/**
 * The linux transport in network namespaces (addresses from 198.18.0.0/15 only, no routes). Every test
 * builds its own lab and closes it in `finally`, so namespaces are removed even when an assertion fails.
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { createLab, type Lab, type Netns } from '../lab/netns.ts';
import { LinuxTransport, arpProbe } from '../../src/transport/linux/transport.ts';
import { listInterfaces } from '../../src/transport/linux/interfaces.ts';
import { requireNative } from '../../src/transport/linux/native.ts';
import { dropAllFilter, ETH_P_IP } from '../../src/transport/linux/bpf.ts';
import { transportConformance } from './conformance.ts';
import {
  carrierUp,
  clientBroadcastFrame,
  record,
  until,
  vethLink,
  withLab,
  withTransportPair,
} from './linux-helpers.ts';

const { test, describe } = requiring('root', 'ip');

/**
 * A server namespace with two links: `if1` (198.18.1.1/24) to c1 and `if2` (198.18.2.1/24) to c2, each
 * client end eth0 without an address, carrier up.
 */
async function twoLinks(lab: Lab, if1: string, if2: string): Promise<{ s: Netns; c1: Netns; c2: Netns }> {
  const s = await lab.namespace('srv');
  const c1 = await lab.namespace('c1');
  const c2 = await lab.namespace('c2');
  await lab.veth(s, if1, c1, 'eth0');
  await lab.veth(s, if2, c2, 'eth0');
  await s.addAddress(if1, '198.18.1.1/24');
  await s.addAddress(if2, '198.18.2.1/24');
  await carrierUp(c1.name, 'eth0');
  await carrierUp(c2.name, 'eth0');
  return { s, c1, c2 };
}

// Inside a suite so that a machine that cannot make namespaces skips it with the rest.
describe('linux transport conformance', () => {
  for (const receive of ['packet', 'udp'] as const) {
    transportConformance(`linux receive=${receive} (two namespaces, veth)`, async () => {
      const lab = await createLab('trc');
      try {
        const { s, c } = await vethLink(lab, { clientAddress: '198.18.0.2/24' });
        const a = await LinuxTransport.open({ interfaces: ['srv0'], port: 67, netns: s.name, receive });
        const b = await LinuxTransport.open({ interfaces: ['cli0'], port: 68, netns: c.name, receive });
        return {
          a: { transport: a, ip: '198.18.0.1', ifname: 'srv0', mac: await s.mac('srv0') },
          b: { transport: b, ip: '198.18.0.2', ifname: 'cli0', mac: await c.mac('cli0') },
          dispose: () => lab.close(),
        };
      } catch (e) {
        await lab.close();
        throw e;
      }
    });
  }
});

test('interface discovery lists down interfaces with index, MAC, addresses and state', () =>
  withLab('trl', async (lab) => {
    const ns = await lab.namespace('d');
    const peer = await lab.namespace('p');
    await lab.veth(ns, 'up0', peer, 'x0', { aMac: '02:00:5e:00:00:01' });
    await lab.veth(ns, 'down0', peer, 'x1');
    await ns.addAddress('up0', '198.18.4.1/22');
    await ns.addAddress('down0', '198.18.8.1/24');
    await ns.setLink('down0', false);
    const all = listInterfaces({ netns: ns.name });
    const up0 = all.find((i) => i.name === 'up0');
    const down0 = all.find((i) => i.name === 'down0');
    assert.ok(up0 && down0, `both listed: ${all.map((i) => i.name).join(',')}`);
    assert.equal(up0.mac, '02:00:5e:00:00:01');
    assert.deepEqual(up0.addresses, [{ ip: '198.18.4.1', prefix: 22 }]);
    assert.equal(up0.up, true);
    assert.equal(down0.up, false);
    assert.equal(down0.carrier, false);
    assert.deepEqual(down0.addresses, [{ ip: '198.18.8.1', prefix: 24 }]);
    assert.ok(up0.index > 1 && down0.index > 1 && up0.index !== down0.index);
  }));

test('a broadcast from an interface with no address (source 0.0.0.0) reaches a kernel UDP socket', () =>
  withTransportPair(
    'trl',
    async ({ server, client }) => {
      assert.deepEqual(client.interfaceInfo('cli0')?.addresses, []);
      const r = record(server);
      await client.send({ data: Buffer.from('DHCPDISCOVER'), ip: '255.255.255.255', port: 67 });
      await until(() => r.messages.length > 0, 5000, 'the broadcast');
      const m = r.messages[0]!;
      assert.equal(m.data.toString(), 'DHCPDISCOVER');
      assert.equal(m.meta.sourceIp, '0.0.0.0');
      assert.equal(m.meta.sourcePort, 68);
      assert.equal(m.meta.interface?.name, 'srv0');
    },
    // receive: 'udp' reads the kernel's UDP socket: the datagram passed the kernel's IP and UDP checks.
    { clientMac: '02:00:00:00:0c:01', server: { receive: 'udp' } },
  ));

test('a server with two interfaces sees which one each broadcast came in on and answers on it', () =>
  withLab('trl', async (lab) => {
    const { s, c1, c2 } = await twoLinks(lab, 'lan1', 'lan2');
    const server = await LinuxTransport.open({ interfaces: ['lan1', 'lan2'], port: 67, netns: s.name });
    const t1 = await LinuxTransport.open({ interfaces: ['eth0'], port: 68, netns: c1.name });
    const t2 = await LinuxTransport.open({ interfaces: ['eth0'], port: 68, netns: c2.name });
    try {
      const seen: string[] = [];
      server.on('message', (data, meta) => {
        seen.push(`${data.toString()}@${meta.interface?.name}`);
        void server.send({
          data: Buffer.from(`re:${data.toString()}`),
          ip: '255.255.255.255',
          port: 68,
          interface: meta.interface?.name,
        });
      });
      const r1 = record(t1);
      const r2 = record(t2);
      await t1.send({ data: Buffer.from('one'), ip: '255.255.255.255', port: 67 });
      await t2.send({ data: Buffer.from('two'), ip: '255.255.255.255', port: 67 });
      await until(() => r1.messages.length >= 1 && r2.messages.length >= 1, 5000, 'both replies');
      assert.deepEqual(seen.sort(), ['one@lan1', 'two@lan2']);
      assert.deepEqual(
        r1.messages.map((m) => m.data.toString()),
        ['re:one'],
      );
      assert.deepEqual(
        r2.messages.map((m) => m.data.toString()),
        ['re:two'],
      );
      assert.equal(
        r1.messages[0]!.meta.sourceIp,
        '198.18.1.1',
        'the reply carries the address of its interface',
      );
      assert.equal(r2.messages[0]!.meta.sourceIp, '198.18.2.1');
      // Without a named interface a broadcast is ambiguous on a two-interface transport.
      await assert.rejects(server.send({ data: Buffer.from('x'), ip: '255.255.255.255', port: 68 }), {
        code: 'ERR_TRANSPORT_NO_ROUTE',
      });
    } finally {
      await server.close();
      await t1.close();
      await t2.close();
    }
  }));

test('a unicast to a MAC reaches a client that has no address (RFC 2131 §4.1)', () =>
  withTransportPair(
    'trl',
    async ({ s, c, server, client }) => {
      const r = record(client);
      await server.send({
        data: Buffer.from('DHCPOFFER'),
        ip: '198.18.0.50',
        port: 68,
        mac: '02:00:00:00:0c:02',
      });
      await until(() => r.messages.length > 0, 5000, 'the offer');
      const m = r.messages[0]!;
      assert.equal(m.data.toString(), 'DHCPOFFER');
      assert.equal(m.meta.destinationIp, '198.18.0.50');
      assert.equal(m.meta.linkBroadcast, false);
      assert.equal(m.meta.sourceIp, '198.18.0.1');
      assert.equal(m.meta.sourceMac, await s.mac('srv0'));
      assert.deepEqual(await c.addresses('cli0'), [], 'the client still has no address');
    },
    { clientMac: '02:00:00:00:0c:02' },
  ));

test('ARP probe detects an address in use (with its MAC) and reports a free one as free', () =>
  withLab('trl', async (lab) => {
    const { s, c } = await vethLink(lab);
    const used = await arpProbe('cli0', '198.18.0.1', 600, { netns: c.name });
    assert.deepEqual(used, { inUse: true, mac: await s.mac('srv0') });
    const free = await arpProbe('cli0', '198.18.0.77', 300, { netns: c.name });
    assert.deepEqual(free, { inUse: false });
    await assert.rejects(arpProbe('nope0', '198.18.0.1', 100, { netns: c.name }), {
      code: 'ERR_TRANSPORT_NO_INTERFACE',
    });
  }));

test('link down and up are reported; the transport survives and carries traffic again', () =>
  withTransportPair(
    'trl',
    async ({ s, server, client }) => {
      const r = record(server);
      await s.setLink('srv0', false);
      await until(() => r.links.some((l) => !l.up), 5000, 'the down event');
      assert.ok(r.errors.some((e) => e.code === 'ERR_TRANSPORT_INTERFACE_DOWN' && e.interface === 'srv0'));
      await assert.rejects(server.send({ data: Buffer.from('x'), ip: '255.255.255.255', port: 68 }), {
        code: 'ERR_TRANSPORT_INTERFACE_DOWN',
      });
      await s.setLink('srv0', true);
      await until(() => r.links.some((l) => l.up && l.carrier), 5000, 'the up event');
      await client.send({ data: Buffer.from('after'), ip: '255.255.255.255', port: 67 });
      await until(() => r.messages.length > 0, 5000, 'traffic after the link returned');
      assert.equal(r.messages[0]!.data.toString(), 'after');
    },
    { server: { linkPollMs: 50 } },
  ));

test('a vanished interface is reported; when it comes back the sockets are reopened', () =>
  withLab('trl', async (lab) => {
    const { s, c } = await vethLink(lab, { serverAddress: null });
    const server = await LinuxTransport.open({
      interfaces: ['srv0'],
      port: 67,
      netns: s.name,
      linkPollMs: 50,
    });
    try {
      const r = record(server);
      const before = server.interfaces()[0]!.index;
      const del = await s.run('ip', ['link', 'del', 'srv0']);
      assert.equal(del.code, 0, del.stderr);
      await until(() => r.links.some((l) => !l.present), 5000, 'the vanish event');
      assert.ok(r.errors.some((e) => e.code === 'ERR_TRANSPORT_INTERFACE_GONE'));
      await assert.rejects(server.send({ data: Buffer.from('x'), ip: '255.255.255.255', port: 68 }), {
        code: 'ERR_TRANSPORT_INTERFACE_GONE',
      });
      await lab.veth(s, 'srv0', c, 'cli0');
      await until(() => r.links.some((l) => l.present && l.up), 5000, 'the return event');
      assert.notEqual(server.interfaces()[0]!.index, before, 'a new interface, a new index');
      await carrierUp(c.name, 'cli0');
      const client = await LinuxTransport.open({ interfaces: ['cli0'], port: 68, netns: c.name });
      try {
        await client.send({ data: Buffer.from('again'), ip: '255.255.255.255', port: 67 });
        await until(() => r.messages.length > 0, 5000, 'traffic on the reopened sockets');
        assert.equal(r.messages[0]!.meta.interface?.index, server.interfaces()[0]!.index);
      } finally {
        await client.close();
      }
    } finally {
      await server.close();
    }
  }));

test('opening an unknown interface rejects with ERR_TRANSPORT_NO_INTERFACE and leaks nothing', () =>
  withLab('trl', async (lab) => {
    const s = await lab.namespace('srv');
    await assert.rejects(LinuxTransport.open({ interfaces: ['nope0'], port: 67, netns: s.name }), {
      code: 'ERR_TRANSPORT_NO_INTERFACE',
    });
  }));

test('bound to one interface: broadcasts arriving on another interface of the host are not seen', () =>
  withLab('trl', async (lab) => {
    const { s, c1, c2 } = await twoLinks(lab, 'mine0', 'other0');
    const viaPacket = await LinuxTransport.open({ interfaces: ['mine0'], port: 67, netns: s.name });
    const viaUdp = await LinuxTransport.open({
      interfaces: ['mine0'],
      port: 1067,
      netns: s.name,
      receive: 'udp',
    });
    const t1 = await LinuxTransport.open({ interfaces: ['eth0'], port: 68, netns: c1.name });
    const t2 = await LinuxTransport.open({ interfaces: ['eth0'], port: 68, netns: c2.name });
    try {
      const rp = record(viaPacket);
      const ru = record(viaUdp);
      for (const port of [67, 1067]) {
        await t2.send({ data: Buffer.from('other'), ip: '255.255.255.255', port });
        await t1.send({ data: Buffer.from('mine'), ip: '255.255.255.255', port });
      }
      await until(() => rp.messages.length >= 1 && ru.messages.length >= 1, 5000, 'the broadcasts on mine0');
      // The 'mine' datagrams were sent after the 'other' ones on a path just as short; give stragglers a
      // bounded moment anyway before asserting that nothing from other0 arrived.
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        rp.messages.map((m) => m.data.toString()),
        ['mine'],
      );
      assert.deepEqual(
        ru.messages.map((m) => m.data.toString()),
        ['mine'],
      );
    } finally {
      for (const t of [viaPacket, viaUdp, t1, t2]) await t.close();
    }
  }));

test('on the wire: a frame with a bad UDP checksum is dropped and counted, one with no checksum accepted', () =>
  withLab('trl', async (lab) => {
    const { s, c } = await vethLink(lab, { serverAddress: null });
    const server = await LinuxTransport.open({ interfaces: ['srv0'], port: 67, netns: s.name });
    const raw = new (requireNative().PacketSocket)(
      { ifname: 'cli0', protocol: ETH_P_IP, filter: dropAllFilter(), netns: c.name },
      () => {},
    );
    try {
      const r = record(server);
      const frame = (text: string): Buffer => clientBroadcastFrame('02:00:00:00:0c:09', 67, text);
      const bad = frame('bad');
      bad.writeUInt16BE(bad.readUInt16BE(40) ^ 0x0101, 40);
      const none = frame('none');
      none.writeUInt16BE(0, 40);
      const garbage = Buffer.concat([frame('garbage'), Buffer.alloc(40, 0xee)]);
      raw.send(bad);
      raw.send(none);
      raw.send(garbage);
      await until(() => r.messages.length >= 2, 5000, 'the good frames');
      assert.deepEqual(
        r.messages.map((m) => m.data.toString()),
        ['none', 'garbage'],
      );
      assert.equal(server.drops.get('bad-udp-checksum'), 1);
    } finally {
      raw.close();
      await server.close();
    }
  }));

test('closing the transport from inside a message listener, with frames still queued, is safe', () =>
  withTransportPair(
    'trl',
    async ({ server, client }) => {
      let seen = 0;
      let closed = false;
      server.on('close', () => (closed = true));
      server.on('message', () => {
        seen++;
        void server.close();
      });
      for (let i = 0; i < 20; i++) {
        await client.send({ data: Buffer.from(`burst ${i}`), ip: '255.255.255.255', port: 67 });
      }
      await until(() => closed, 5000, 'the close');
      // A bounded window for any frame delivered after close (there must be none).
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(seen, 1);
    },
    { serverAddress: null },
  ));

test('source address: a broadcast may carry any source IP; a unicast by IP from a foreign one is refused', () =>
  withTransportPair('trl', async ({ server, client }) => {
    const r = record(client);
    await server.send({
      data: Buffer.from('b'),
      ip: '255.255.255.255',
      port: 68,
      sourceIp: '198.18.0.254',
    });
    await until(() => r.messages.length > 0, 5000, 'the broadcast');
    assert.equal(r.messages[0]!.meta.sourceIp, '198.18.0.254');
    await assert.rejects(
      server.send({ data: Buffer.from('u'), ip: '198.18.0.9', port: 68, sourceIp: '198.18.0.254' }),
      {
        code: 'ERR_TRANSPORT_UNSUPPORTED',
      },
    );
  }));

test('link changes are reported promptly through rtnetlink, without waiting for the poll', () =>
  withLab('trl', async (lab) => {
    const { s } = await vethLink(lab, { serverAddress: null });
    // A poll period far beyond the wait below: only the netlink watcher can report in time.
    const server = await LinuxTransport.open({
      interfaces: ['srv0'],
      port: 67,
      netns: s.name,
      linkPollMs: 600_000,
    });
    try {
      const r = record(server);
      await s.setLink('srv0', false);
      await until(() => r.links.some((l) => !l.up), 3000, 'the down event');
      await s.setLink('srv0', true);
      await until(() => r.links.some((l) => l.up && l.carrier), 5000, 'the up event');
      await s.addAddress('srv0', '198.18.0.1/24');
      await until(
        () => server.interfaceInfo('srv0')?.addresses.some((a) => a.ip === '198.18.0.1') === true,
        3000,
        'the new address',
      );
    } finally {
      await server.close();
    }
  }));
