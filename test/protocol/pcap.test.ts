/** The pcap reader against real captures (see data/README.md) and synthetic broken ones. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  decodeMessage,
  encodeMessage,
  messageTypeOf,
  MessageType,
  createMessage,
  parseMac,
} from '../../src/protocol/index.ts';
import { PcapError, readPcap, readPcapRecords, writePcap, type PcapFrame } from '../../src/transport/pcap.ts';
import { PCAP_DIR } from '../fixtures/load.ts';
import { ethernetUdp } from './helpers.ts';

const data = (name: string) => new Uint8Array(readFileSync(new URL(`./data/${name}`, import.meta.url)));
const { DISCOVER, OFFER, REQUEST, ACK } = MessageType;

function dhcpFrames(frames: Iterable<PcapFrame>) {
  return [...frames].filter((f): f is Extract<PcapFrame, { kind: 'dhcp' }> => f.kind === 'dhcp');
}

test('a real Ethernet capture: every DORA packet of udhcpc and dhclient against dnsmasq decodes cleanly', () => {
  const frames = dhcpFrames(readPcap(data('dnsmasq-udhcpc-dhclient.eth.pcap')));
  const messages = frames.map((f) => decodeMessage(f.payload));
  assert.deepEqual(
    messages.map((m) => messageTypeOf(m)),
    [DISCOVER, DISCOVER, OFFER, OFFER, REQUEST, ACK, DISCOVER, OFFER, REQUEST, ACK],
  );
  assert.ok(messages.every((m) => m.warnings === undefined));
  assert.deepEqual(
    [frames[0]!.srcIp, frames[0]!.srcPort, frames[0]!.dstIp, frames[0]!.dstPort],
    ['0.0.0.0', 68, '255.255.255.255', 67],
  );
  const ack = messages[5]!;
  assert.equal(ack.yiaddr, '198.19.77.78');
  assert.equal(ack.options.get('dhcp-server-identifier'), '198.19.77.1');
  assert.equal(ack.options.get('dhcp-lease-time'), 3600);
  assert.deepEqual(ack.options.get('domain-search'), ['eng.example.com', 'example.com']);
  assert.deepEqual(ack.options.get('classless-static-route'), [
    { destination: '10.0.0.0', prefixLength: 8, router: '198.19.77.1' },
  ]);
  assert.equal(messages[0]!.options.get('vendor-class-identifier'), 'udhcp 1.35.0');
  assert.equal(messages[6]!.options.get('host-name'), 'vm');
});

test('real packets re-encode to the same options, byte for byte', () => {
  for (const f of dhcpFrames(readPcap(data('dnsmasq-udhcpc-dhclient.eth.pcap')))) {
    const m = decodeMessage(f.payload);
    const again = decodeMessage(encodeMessage(m));
    assert.ok(again.options.equals(m.options), `frame ${f.frame}`);
    assert.deepEqual(
      [...encodeMessage(again).subarray(0, 236)],
      [...f.payload.subarray(0, 236)],
      `header of frame ${f.frame}`,
    );
  }
});

test('the Linux cooked (SLL) capture of the same exchange yields the same payloads', () => {
  const eth = dhcpFrames(readPcap(data('dnsmasq-udhcpc-dhclient.eth.pcap')));
  const sll = dhcpFrames(readPcap(data('dnsmasq-udhcpc-dhclient.sll.pcap')));
  assert.equal(sll.length, eth.length);
  sll.forEach((f, i) => assert.deepEqual([...f.payload], [...eth[i]!.payload]));
});

test('synthetic capture: non-DHCP frames skipped, broken ones reported, nothing thrown', () => {
  const msg = createMessage({ xid: 9, chaddr: parseMac('02:00:00:00:00:01') });
  msg.options.set('dhcp-message-type', DISCOVER);
  const dhcp = encodeMessage(msg);
  const arp = Uint8Array.from([...new Array(12).fill(0xff), 0x08, 0x06, ...new Array(28).fill(0)]);
  const frames = [
    ...readPcap(
      writePcap(1, [
        { timeUs: 1_000_000, data: ethernetUdp(68, 67, dhcp) },
        { timeUs: 2_000_000, data: arp },
        { timeUs: 3_000_000, data: ethernetUdp(5353, 53, Uint8Array.of(1, 2, 3)) },
        { timeUs: 4_000_000, data: ethernetUdp(68, 67, dhcp, 100) },
        { timeUs: 5_000_000, data: Uint8Array.of(1, 2, 3) },
        { timeUs: 6_000_000, data: ethernetUdp(68, 67, dhcp.subarray(0, 100)) },
      ]),
    ),
  ];
  assert.deepEqual(
    frames.map((f) => f.kind),
    ['dhcp', 'skipped', 'skipped', 'broken', 'broken', 'dhcp'],
  );
  const first = frames[0]!;
  assert.ok(first.kind === 'dhcp');
  assert.equal(first.timeUs, 1_000_000);
  assert.equal(decodeMessage(first.payload).xid, 9);
  const short = frames[5]!;
  assert.ok(short.kind === 'dhcp');
  assert.throws(() => decodeMessage(short.payload), { code: 'ERR_DECODE_TRUNCATED_HEADER' });
});

test('Ethernet padding after a short datagram is not part of the payload', () => {
  const padded = Uint8Array.from([...ethernetUdp(67, 68, Uint8Array.of(7, 7)), 0, 0, 0, 0]);
  const [f] = [...readPcap(writePcap(1, [{ timeUs: 0, data: padded }]))];
  assert.ok(f?.kind === 'dhcp');
  assert.deepEqual([...f.payload], [7, 7]);
});

test('file-level problems are PcapError: pcapng, a foreign magic, a truncated record, an unknown link type', () => {
  const code = (b: Uint8Array) => {
    try {
      Array.from(readPcap(b));
    } catch (err) {
      assert.ok(err instanceof PcapError);
      return err.code;
    }
    return 'none';
  };
  assert.equal(code(Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, ...new Array(40).fill(0))), 'ERR_PCAP_PCAPNG');
  assert.equal(code(new Uint8Array(24)), 'ERR_PCAP_FORMAT');
  assert.equal(code(new Uint8Array(3)), 'ERR_PCAP_FORMAT');
  assert.equal(code(writePcap(147, [])), 'ERR_PCAP_LINKTYPE');
  const truncated = writePcap(1, [{ timeUs: 0, data: new Uint8Array(60) }]).subarray(0, 24 + 16 + 30);
  assert.deepEqual(
    [...readPcap(truncated)].map((f) => f.kind),
    ['broken'],
  );
});

test('random and mutated capture files never make the reader throw anything but PcapError', () => {
  const real = data('dnsmasq-udhcpc-dhclient.sll.pcap');
  const kinds = { dhcp: 0, skipped: 0, broken: 0, refused: 0 };
  const read = (b: Uint8Array) => {
    try {
      for (const f of readPcap(b)) {
        kinds[f.kind]++;
        if (f.kind === 'dhcp') assert.ok(f.payload.length <= b.length);
      }
    } catch (err) {
      if (!(err instanceof PcapError)) throw err;
      kinds.refused++;
    }
  };
  fc.assert(
    fc.property(
      fc.array(fc.record({ at: fc.nat({ max: real.length - 1 }), byte: fc.integer({ min: 0, max: 255 }) }), {
        minLength: 1,
        maxLength: 8,
      }),
      fc.nat({ max: real.length }),
      (edits, cut) => {
        const b = real.slice(0, Math.max(cut, 24));
        for (const e of edits) if (e.at < b.length) b[e.at] = e.byte;
        read(b);
      },
    ),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => read(b)),
    { numRuns: 2000 },
  );
  assert.ok(kinds.dhcp > 100 && kinds.broken > 10 && kinds.refused > 100, JSON.stringify(kinds));
});

test('a tcpdump capture of a relayed exchange: Ethernet addresses, IP addresses and ports of each datagram', () => {
  const frames = dhcpFrames(readPcap(readFileSync(join(PCAP_DIR, 'kea-relay-server-side.pcap'))));
  assert.equal(frames.length, 4);
  const [discover, offer] = frames;
  assert.deepEqual(
    { ...discover!, payload: discover!.payload.length, timeUs: undefined },
    {
      kind: 'dhcp',
      frame: 1,
      timeUs: undefined,
      srcMac: '02:00:00:00:00:02',
      dstMac: '02:00:00:00:00:01',
      srcIp: '198.18.0.2',
      dstIp: '198.18.0.1',
      srcPort: 67,
      dstPort: 67,
      payload: 300,
    },
  );
  assert.equal(offer!.srcIp, '198.18.0.1');
  assert.equal(offer!.dstIp, '198.18.1.1');
  assert.ok(offer!.timeUs >= discover!.timeUs);
  for (const f of frames) assert.deepEqual([...f.payload.subarray(236, 240)], [99, 130, 83, 99]);
});

test('a capture cut inside its last record keeps every whole record and reports the cut one', () => {
  const file = readFileSync(join(PCAP_DIR, 'kea-nak.pcap'));
  const all = readPcapRecords(file);
  const cut = readPcapRecords(file.subarray(0, file.length - 10));
  assert.equal(all.truncated, null);
  assert.equal(cut.records.length, all.records.length - 1);
  assert.deepEqual(cut.truncated?.frame, all.records.length);
  assert.equal(cut.linkType, 1);
});
