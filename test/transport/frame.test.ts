/** Ethernet/IPv4/UDP framing: checksums and byte order, frames without a UDP checksum, trailing garbage. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildUdpFrame, parseUdpFrame, udpDatagramAt } from '../../src/transport/frame.ts';
import { buildArpFrame, parseArpFrame, buildArpAnnounce, ARP_REQUEST } from '../../src/transport/arp.ts';
import { parseMacBytes, formatMac } from '../../src/transport/addr.ts';
import { ipToInt } from '../../src/protocol/ip.ts';
import { macToString } from '../../src/protocol/bytes.ts';

const mac = (s: string): Uint8Array => parseMacBytes(s)!;

function sample(payload = Buffer.from('DHCP')): Buffer {
  return buildUdpFrame({
    srcMac: mac('02:00:00:00:00:02'),
    dstMac: mac('ff:ff:ff:ff:ff:ff'),
    srcIp: 0,
    dstIp: 0xffffffff,
    srcPort: 68,
    dstPort: 67,
    payload,
    id: 0x1234,
  });
}

test('header fields are big-endian at their RFC 791 / RFC 768 offsets, with valid checksums', () => {
  const f = sample();
  assert.equal(f.length, 14 + 20 + 8 + 4);
  assert.equal(f.readUInt16BE(12), 0x0800);
  assert.equal(f[14], 0x45);
  assert.equal(f.readUInt16BE(16), 20 + 8 + 4, 'IP total length');
  assert.equal(f.readUInt16BE(18), 0x1234, 'identification');
  assert.equal(f[23], 17);
  assert.equal(f.readUInt32BE(30), 0xffffffff);
  assert.equal(f.readUInt16BE(34), 68);
  assert.equal(f.readUInt16BE(36), 67);
  assert.equal(f.readUInt16BE(38), 12, 'UDP length');
  // Independent check of the IP header checksum: the one's-complement sum over the header is 0xffff.
  let s = 0;
  for (let i = 14; i < 34; i += 2) s += f.readUInt16BE(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  assert.equal(s, 0xffff);
  const p = parseUdpFrame(f);
  assert.ok(p.ok);
  assert.equal(p.srcIp, '0.0.0.0');
  assert.equal(p.dstIp, '255.255.255.255');
  assert.equal(p.linkBroadcast, true);
  assert.equal(p.udpChecksummed, true);
  assert.equal(p.payload.toString(), 'DHCP');
});

test('matches a UDP checksum computed by hand for a known datagram', () => {
  // 198.18.0.1:67 -> 198.18.0.2:68, payload 'ab': pseudo header + header + data summed by hand:
  // c612+0001+c612+0002+0011+000a + 0043+0044+000a+0000 + 6162 = 0x1ee35 -> 0xee36 -> ~ = 0x11c9
  const f = buildUdpFrame({
    srcMac: mac('02:00:00:00:00:01'),
    dstMac: mac('02:00:00:00:00:02'),
    srcIp: ipToInt('198.18.0.1'),
    dstIp: ipToInt('198.18.0.2'),
    srcPort: 67,
    dstPort: 68,
    payload: Buffer.from('ab'),
  });
  assert.equal(f.readUInt16BE(40), 0x11c9);
});

test('a zero UDP checksum (none computed, RFC 768) is accepted', () => {
  const f = sample();
  f.writeUInt16BE(0, 40);
  const p = parseUdpFrame(f);
  assert.ok(p.ok);
  assert.equal(p.udpChecksummed, false);
});

test('a wrong UDP or IP checksum is refused, not delivered', () => {
  const f = sample();
  f.writeUInt8(f.readUInt8(f.length - 1) ^ 0x01, f.length - 1);
  assert.deepEqual(parseUdpFrame(f), { ok: false, reason: 'bad-udp-checksum' });
  const g = sample();
  g[22] = 1; // TTL changed without fixing the header checksum
  assert.deepEqual(parseUdpFrame(g), { ok: false, reason: 'bad-ip-checksum' });
  const h = sample();
  h.writeUInt8(h.readUInt8(h.length - 1) ^ 0x01, h.length - 1);
  assert.ok(parseUdpFrame(h, { checksumNotReady: true }).ok, 'an offloaded checksum is not verified');
});

test('trailing garbage and Ethernet padding after the IP datagram are ignored', () => {
  const f = Buffer.concat([sample(), Buffer.from('garbage after the datagram')]);
  const p = parseUdpFrame(f);
  assert.ok(p.ok);
  assert.equal(p.payload.toString(), 'DHCP');
});

test('IP options are skipped', () => {
  const base = sample();
  // Rebuild with a 4-byte IP option (NOP NOP NOP EOL): IHL 6.
  const f = Buffer.concat([base.subarray(0, 34), Buffer.from([1, 1, 1, 0]), base.subarray(34)]);
  f[14] = 0x46;
  f.writeUInt16BE(f.readUInt16BE(16) + 4, 16);
  f.writeUInt16BE(0, 24);
  let s = 0;
  for (let i = 14; i < 38; i += 2) s += f.readUInt16BE(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  f.writeUInt16BE(~s & 0xffff, 24);
  const p = parseUdpFrame(f);
  assert.ok(p.ok, JSON.stringify(p));
  assert.equal(p.payload.toString(), 'DHCP');
});

test('truncated, non-IPv4, non-UDP and fragmented frames are refused with a reason', () => {
  const f = sample();
  assert.deepEqual(parseUdpFrame(f.subarray(0, 30)), { ok: false, reason: 'truncated' });
  assert.deepEqual(parseUdpFrame(f.subarray(0, f.length - 1)), { ok: false, reason: 'truncated' });
  const arp = Buffer.from(f);
  arp.writeUInt16BE(0x0806, 12);
  assert.deepEqual(parseUdpFrame(arp), { ok: false, reason: 'not-ipv4' });
  const frag = Buffer.from(f);
  frag.writeUInt16BE(0x2000, 20); // MF set
  assert.equal(parseUdpFrame(frag).ok, false);
});

test('property: build then parse gives back every field; parsing random bytes never throws', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 6, maxLength: 6 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 65535 }),
      fc.integer({ min: 0, max: 65535 }),
      fc.uint8Array({ maxLength: 1472 }),
      (m, src, dst, sp, dp, payload) => {
        const f = buildUdpFrame({
          srcMac: m,
          dstMac: m,
          srcIp: src,
          dstIp: dst,
          srcPort: sp,
          dstPort: dp,
          payload,
        });
        const p = parseUdpFrame(f);
        assert.ok(p.ok);
        assert.equal(p.srcMac, formatMac(m));
        assert.equal(ipToInt(p.srcIp), src);
        assert.equal(ipToInt(p.dstIp), dst);
        assert.equal(p.srcPort, sp);
        assert.equal(p.dstPort, dp);
        assert.deepEqual(new Uint8Array(p.payload), payload);
      },
    ),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const r = parseUdpFrame(Buffer.from(bytes));
      assert.equal(typeof r.ok, 'boolean');
    }),
    { numRuns: 1000 },
  );
});

test('ARP: probe and announce frames round-trip (RFC 826 layout, RFC 5227 addresses)', () => {
  const f = buildArpFrame({
    op: ARP_REQUEST,
    srcMac: mac('02:00:00:00:00:01'),
    dstMac: mac('ff:ff:ff:ff:ff:ff'),
    senderIp: 0,
    targetMac: new Uint8Array(6),
    targetIp: ipToInt('198.18.0.9'),
  });
  assert.deepEqual(parseArpFrame(f), {
    op: 1,
    senderMac: '02:00:00:00:00:01',
    senderIp: '0.0.0.0',
    targetMac: '00:00:00:00:00:00',
    targetIp: '198.18.0.9',
  });
  const a = parseArpFrame(buildArpAnnounce('02:00:00:00:00:01', ipToInt('198.18.0.9')));
  assert.equal(a?.senderIp, '198.18.0.9');
  assert.equal(a?.targetIp, '198.18.0.9');
  assert.equal(parseArpFrame(f.subarray(0, 30)), undefined);
});

test('MAC parsing accepts : and - separators and refuses anything else', () => {
  assert.equal(formatMac(parseMacBytes('34-20-03-4B-AC-9B')!), '34:20:03:4b:ac:9b');
  assert.equal(parseMacBytes('34:20:03:4b:ac'), undefined);
  assert.equal(parseMacBytes('34:20:03:4b:ac:9g'), undefined);
  assert.equal(parseMacBytes('34.20.03.4b.ac.9b'), undefined);
});

test('formatMac reads six bytes in place as the protocol codec writes them, and fewer when fewer are left', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 20 }), fc.nat(24), (bytes, at) => {
      const off = Math.min(at, bytes.length);
      const expected = macToString(bytes.subarray(off, off + 6));
      assert.equal(formatMac(bytes, off), expected);
    }),
    { numRuns: 2000 },
  );
  assert.equal(formatMac(new Uint8Array([0, 0x0a, 0xff, 0x10, 0x9f, 0xa0, 7]), 0), '00:0a:ff:10:9f:a0');
});

test('udpDatagramAt gives the frame parser its datagram: the same fields and refusals', () => {
  const good = sample(Buffer.from('payload'));
  const bad = Buffer.from(good);
  bad.writeUInt16BE(0x86dd, 12);
  for (const f of [good, bad, good.subarray(0, 30)]) {
    const whole = parseUdpFrame(f);
    const d = udpDatagramAt(f, 0, f.length, false);
    if (!whole.ok) {
      assert.deepEqual(d, whole);
      continue;
    }
    assert.ok(d.ok);
    const { srcMac: _s, dstMac: _d, linkBroadcast: _b, ...rest } = whole;
    assert.deepEqual({ ...d, payload: d.payload.toString() }, { ...rest, payload: rest.payload.toString() });
  }
});

test('each frame reads its own addresses, whatever frames were parsed before it (the last texts are kept)', () => {
  const ips = ['198.18.0.1', '198.18.0.2', '198.18.7.9', '0.0.0.0', '255.255.255.255'];
  const next = (
    (a: number) => () =>
      (a = (Math.imul(a, 1103515245) + 12345) >>> 0) % ips.length
  )(7);
  const frames = Array.from({ length: 200 }, () => {
    const src = ips[next()]!;
    const dst = ips[next()]!;
    const f = buildUdpFrame({
      srcMac: mac('02:00:00:00:00:01'),
      dstMac: mac('02:00:00:00:00:02'),
      srcIp: ipToInt(src),
      dstIp: ipToInt(dst),
      srcPort: 68,
      dstPort: 67,
      payload: Buffer.from('x'),
    });
    return { f, src, dst };
  });
  const parsed = frames.map(({ f }) => udpDatagramAt(f, 0, f.length, false));
  parsed.forEach((d, i) => {
    assert.ok(d.ok);
    assert.equal(d.srcIp, frames[i]!.src);
    assert.equal(d.dstIp, frames[i]!.dst);
  });
});
