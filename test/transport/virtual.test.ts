import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualNetwork, VirtualClock } from '../../src/transport/virtual/index.ts';
import type { VirtualHost, VirtualLink, VirtualTransport } from '../../src/transport/virtual/index.ts';
import { PcapBuffer, readPcapRecords } from '../../src/transport/pcap.ts';
import { parseUdpFrame } from '../../src/transport/frame.ts';
import { TransportError } from '../../src/transport/errors.ts';
import { unhandledErrorChannel } from '../../src/transport/emitter.ts';
import type { DatagramMeta, LinkState } from '../../src/transport/types.ts';
import { transportConformance, type Pair } from './conformance.ts';

function pair(clock?: VirtualClock): Pair {
  const net = new VirtualNetwork(clock ? { scheduler: clock } : {});
  const lan = net.createLink('lan');
  const ha = net.createHost('a');
  const hb = net.createHost('b');
  const na = ha.attach(lan, { ifname: 'eth0', addresses: ['198.18.0.1/24'] });
  const nb = hb.attach(lan, { ifname: 'eth1', addresses: ['198.18.0.2/24'] });
  return {
    a: { transport: ha.openTransport({ port: 67 }), ip: '198.18.0.1', ifname: 'eth0', mac: na.mac },
    b: { transport: hb.openTransport({ port: 68 }), ip: '198.18.0.2', ifname: 'eth1', mac: nb.mac },
    settle: clock ? () => clock.runUntilIdle() : undefined,
    dispose: async () => {},
  };
}

transportConformance('virtual (real timers)', async () => pair());
transportConformance('virtual (virtual clock)', async () => pair(new VirtualClock()));

interface Lan {
  net: VirtualNetwork;
  clock: VirtualClock;
  server: VirtualTransport;
  client: VirtualTransport;
  inbox: { data: Buffer; meta: DatagramMeta }[];
  clientInbox: { data: Buffer; meta: DatagramMeta }[];
}

/** A server with an address and a client with none, on one link, in virtual time. */
function lan(opts: { seed?: number; capture?: PcapBuffer } = {}): Lan {
  const clock = new VirtualClock(1_700_000_000_000);
  const net = new VirtualNetwork({ scheduler: clock, seed: opts.seed ?? 7, capture: opts.capture });
  const link = net.createLink('lan');
  net
    .createHost('srv')
    .attach(link, { ifname: 'eth0', mac: '02:00:00:00:00:01', addresses: ['198.18.0.1/24'] });
  net.createHost('cli').attach(link, { ifname: 'eth0', mac: '02:00:00:00:00:02' });
  const s = hostOf(net, 'srv').openTransport({ port: 67 });
  const c = hostOf(net, 'cli').openTransport({ port: 68 });
  const inbox: Lan['inbox'] = [];
  const clientInbox: Lan['clientInbox'] = [];
  s.on('message', (data, meta) => inbox.push({ data, meta }));
  c.on('message', (data, meta) => clientInbox.push({ data, meta }));
  return { net, clock, server: s, client: c, inbox, clientInbox };
}

function hostOf(net: VirtualNetwork, name: string): VirtualHost {
  const h = net.host(name);
  assert.ok(h);
  return h;
}

test('a client with no address broadcasts from 0.0.0.0; the server sees interface, MAC and destination', async () => {
  const l = lan();
  await l.client.send({ data: Buffer.from('discover'), ip: '255.255.255.255', port: 67 });
  assert.equal(l.inbox.length, 0, 'delivery is never synchronous');
  l.clock.runUntilIdle();
  assert.equal(l.inbox.length, 1);
  const m = l.inbox[0]!.meta;
  assert.equal(m.sourceIp, '0.0.0.0');
  assert.equal(m.sourcePort, 68);
  assert.equal(m.destinationIp, '255.255.255.255');
  assert.equal(m.sourceMac, '02:00:00:00:00:02');
  assert.equal(m.linkBroadcast, true);
  assert.deepEqual(m.interface, { name: 'eth0', index: 1 });
});

test('a unicast to a MAC reaches a client that has no address (RFC 2131 §4.1)', async () => {
  const l = lan();
  await l.server.send({ data: Buffer.from('offer'), ip: '198.18.0.50', port: 68, mac: '02:00:00:00:00:02' });
  l.clock.runUntilIdle();
  assert.equal(l.clientInbox.length, 1);
  assert.equal(l.clientInbox[0]!.meta.destinationIp, '198.18.0.50');
  assert.equal(l.clientInbox[0]!.meta.linkBroadcast, false);
  assert.equal(l.clientInbox[0]!.meta.sourceIp, '198.18.0.1');
});

test('a unicast to a MAC nobody has is not delivered; to an IP nobody holds is counted as unresolved', async () => {
  const l = lan();
  await l.server.send({ data: Buffer.from('x'), ip: '198.18.0.50', port: 68, mac: '02:00:00:00:00:99' });
  await l.server.send({ data: Buffer.from('y'), ip: '198.18.0.77', port: 68 });
  l.clock.runUntilIdle();
  assert.equal(l.clientInbox.length, 0);
  assert.equal(l.net.stats.unresolved, 1);
});

test('a unicast to an IP with no on-link interface rejects with ERR_TRANSPORT_NO_ROUTE', async () => {
  const l = lan();
  await assert.rejects(
    l.server.send({ data: Buffer.from('x'), ip: '198.19.5.5', port: 68, interface: 'nope' }),
    {
      code: 'ERR_TRANSPORT_NO_INTERFACE',
    },
  );
  const net = new VirtualNetwork();
  const h = net.createHost('two');
  h.attach(net.createLink('l1'), { ifname: 'a', addresses: ['198.18.1.1/24'] });
  h.attach(net.createLink('l2'), { ifname: 'b', addresses: ['198.18.2.1/24'] });
  const t = h.openTransport({ port: 67 });
  await assert.rejects(t.send({ data: Buffer.from('x'), ip: '198.19.5.5', port: 68 }), {
    code: 'ERR_TRANSPORT_NO_ROUTE',
  });
  await assert.rejects(t.send({ data: Buffer.from('x'), ip: '255.255.255.255', port: 68 }), {
    code: 'ERR_TRANSPORT_NO_ROUTE',
  });
  await t.close();
});

test('two interfaces: each broadcast is reported on the interface it came in on, and replies leave by it', async () => {
  const clock = new VirtualClock();
  const net = new VirtualNetwork({ scheduler: clock });
  const l1 = net.createLink('l1');
  const l2 = net.createLink('l2');
  const srv = net.createHost('srv');
  srv.attach(l1, { ifname: 'lan1', addresses: ['198.18.1.1/24'] });
  srv.attach(l2, { ifname: 'lan2', addresses: ['198.18.2.1/24'] });
  const c1 = net.createHost('c1');
  c1.attach(l1, { ifname: 'eth0' });
  const c2 = net.createHost('c2');
  c2.attach(l2, { ifname: 'eth0' });
  const s = srv.openTransport({ port: 67 });
  const t1 = c1.openTransport({ port: 68 });
  const t2 = c2.openTransport({ port: 68 });
  const seen: string[] = [];
  s.on('message', (data, meta) => {
    seen.push(`${data.toString()}@${meta.interface?.name}`);
    void s.send({
      data: Buffer.from(`re:${data.toString()}`),
      ip: '255.255.255.255',
      port: 68,
      interface: meta.interface?.name,
    });
  });
  const got1: string[] = [];
  const got2: string[] = [];
  t1.on('message', (d) => got1.push(d.toString()));
  t2.on('message', (d) => got2.push(d.toString()));
  await t1.send({ data: Buffer.from('one'), ip: '255.255.255.255', port: 67 });
  await t2.send({ data: Buffer.from('two'), ip: '255.255.255.255', port: 67 });
  clock.runUntilIdle();
  assert.deepEqual(seen.sort(), ['one@lan1', 'two@lan2']);
  assert.deepEqual(got1, ['re:one']);
  assert.deepEqual(got2, ['re:two']);
});

test('impairments are deterministic for a seed: loss, duplication and reordering', async () => {
  const run = async (seed: number): Promise<string[]> => {
    const l = lan({ seed });
    linkOf(l.net).impair({ loss: 0.2, duplicate: 0.2, reorder: 0.3, delayMs: [1, 3] });
    for (let i = 0; i < 200; i++)
      await l.client.send({ data: Buffer.from(String(i)), ip: '255.255.255.255', port: 67 });
    l.clock.runUntilIdle();
    return l.inbox.map((m) => m.data.toString());
  };
  const a = await run(42);
  const b = await run(42);
  const c = await run(43);
  assert.deepEqual(a, b, 'same seed, same outcome');
  assert.notDeepEqual(a, c, 'another seed, another outcome');
  const unique = new Set(a);
  assert.ok(unique.size < 200 && unique.size > 100, `loss took some, not most: ${unique.size}`);
  assert.ok(a.length > unique.size, 'some frames were duplicated');
  const order = a.map(Number);
  assert.ok(
    order.some((v, i) => i > 0 && v < order[i - 1]!),
    'some frames were reordered',
  );
});

function linkOf(net: VirtualNetwork): VirtualLink {
  const l = net.link('lan');
  assert.ok(l);
  return l;
}

test('delay runs in virtual time: nothing arrives before the delay, everything at it', async () => {
  const l = lan();
  linkOf(l.net).impair({ delayMs: 250 });
  const t0 = l.clock.now();
  await l.client.send({ data: Buffer.from('slow'), ip: '255.255.255.255', port: 67 });
  l.clock.advance(249);
  assert.equal(l.inbox.length, 0);
  l.clock.advance(1);
  assert.equal(l.inbox.length, 1);
  assert.equal(l.clock.now() - t0, 250);
});

test('corrupted frames are dropped by the receiver checksum check, never delivered damaged', async () => {
  const l = lan({ seed: 3 });
  linkOf(l.net).impair({ corrupt: 1 });
  const payload = Buffer.alloc(300, 0x5a);
  for (let i = 0; i < 100; i++) await l.client.send({ data: payload, ip: '255.255.255.255', port: 67 });
  l.clock.runUntilIdle();
  for (const m of l.inbox) assert.deepEqual(m.data, payload);
  const drops = hostOf(l.net, 'srv').drops;
  const dropped = [...drops.values()].reduce((x, y) => x + y, 0);
  assert.equal(dropped + l.inbox.length, 100);
  assert.ok((drops.get('bad-udp-checksum') ?? 0) + (drops.get('bad-ip-checksum') ?? 0) > 50);
});

test('link down and up are reported as events; sends on a down link reject with ERR_TRANSPORT_INTERFACE_DOWN', async () => {
  const l = lan();
  const states: LinkState[] = [];
  const errors: TransportError[] = [];
  l.server.on('link', (s) => states.push(s));
  l.server.on('error', (e) => errors.push(e));
  const nic = hostOf(l.net, 'srv').nic('eth0')!;
  nic.setCarrier(false);
  await assert.rejects(l.server.send({ data: Buffer.from('x'), ip: '255.255.255.255', port: 68 }), {
    code: 'ERR_TRANSPORT_INTERFACE_DOWN',
  });
  nic.setCarrier(true);
  await l.server.send({ data: Buffer.from('back'), ip: '255.255.255.255', port: 68 });
  l.clock.runUntilIdle();
  assert.deepEqual(
    states.map((s) => [s.interface, s.carrier]),
    [
      ['eth0', false],
      ['eth0', true],
    ],
  );
  assert.deepEqual(
    errors.map((e) => e.code),
    ['ERR_TRANSPORT_INTERFACE_DOWN'],
  );
  assert.equal(l.clientInbox.length, 1);
  hostOf(l.net, 'srv').detach('eth0');
  assert.equal(states.at(-1)?.present, false);
  assert.equal(errors.at(-1)?.code, 'ERR_TRANSPORT_INTERFACE_GONE');
});

test('an error with no listener is not thrown; it goes to the diagnostics channel', () => {
  const l = lan();
  const published: unknown[] = [];
  const sub = (m: unknown): void => void published.push(m);
  unhandledErrorChannel.subscribe(sub);
  try {
    hostOf(l.net, 'srv').nic('eth0')!.setUp(false);
  } finally {
    unhandledErrorChannel.unsubscribe(sub);
  }
  assert.equal(published.length, 1);
  assert.ok(published[0] instanceof TransportError);
  assert.equal(published[0].code, 'ERR_TRANSPORT_INTERFACE_DOWN');
});

test('VirtualClock: same-time events run in scheduling order, cancelled ones never, time moves exactly', () => {
  const clock = new VirtualClock(100);
  const ran: string[] = [];
  clock.setTimeout(() => ran.push('b@10'), 10);
  clock.setTimeout(() => ran.push('a@5'), 5);
  const h = clock.setTimeout(() => ran.push('cancelled'), 7);
  clock.setTimeout(() => {
    ran.push('c@10');
    clock.setTimeout(() => ran.push('d@10+0'), 0);
  }, 10);
  clock.clearTimeout(h);
  assert.equal(clock.pending, 3);
  assert.equal(clock.advance(9), 1);
  assert.equal(clock.now(), 109);
  clock.runUntilIdle();
  assert.deepEqual(ran, ['a@5', 'b@10', 'c@10', 'd@10+0']);
  assert.equal(clock.now(), 110);
  clock.setTimeout(function again() {
    clock.setTimeout(again, 1);
  }, 1);
  assert.throws(() => clock.advance(10_000, 50), /more than 50 events/);
});

test('ARP probe: an address in use is detected with the holder MAC, a free one reported free', async () => {
  const l = lan();
  const busy = l.client.arpProbe('eth0', '198.18.0.1', 1000);
  l.clock.runUntilIdle();
  assert.deepEqual(await busy, { inUse: true, mac: '02:00:00:00:00:01' });
  const free = l.client.arpProbe('eth0', '198.18.0.99', 1000);
  l.clock.runUntilIdle();
  assert.deepEqual(await free, { inUse: false });
});

test('pcap capture holds real Ethernet/IPv4/UDP frames with checksums and virtual timestamps', async () => {
  const cap = new PcapBuffer();
  const l = lan({ capture: cap });
  await l.client.send({ data: Buffer.from('hello pcap'), ip: '255.255.255.255', port: 67 });
  l.clock.advance(10);
  await l.server.send({ data: Buffer.from('reply'), ip: '198.18.0.10', port: 68, mac: '02:00:00:00:00:02' });
  l.clock.runUntilIdle();
  const { linkType, records: frames } = readPcapRecords(cap.toBuffer());
  assert.equal(linkType, 1);
  assert.equal(frames.length, 2);
  const f0 = parseUdpFrame(Buffer.from(frames[0]!.data));
  const f1 = parseUdpFrame(Buffer.from(frames[1]!.data));
  assert.ok(f0.ok && f1.ok);
  assert.equal(f0.payload.toString(), 'hello pcap');
  assert.equal(f0.udpChecksummed, true);
  assert.equal(f1.dstMac, '02:00:00:00:00:02');
  assert.equal(frames[1]!.timeUs - frames[0]!.timeUs, 10_000);
  assert.equal(Math.floor(frames[0]!.timeUs / 1000), 1_700_000_000_000);
});
