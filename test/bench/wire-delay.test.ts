import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gsoSegments, wireDelays } from '../../bench/wire-delay.ts';
import { createMessage, encodeMessage, MessageType, parseMac } from '../../src/protocol/index.ts';
import { buildUdpFrame } from '../../src/transport/frame.ts';
import { writePcap } from '../../src/transport/pcap.ts';

/** One DHCP frame of `type` for xid and client MAC, as a relay and the server exchange them. */
function frame(type: number, xid: number, mac: string): Uint8Array {
  const msg = createMessage({ xid, chaddr: parseMac(mac) });
  msg.options.set('dhcp-message-type', type);
  return buildUdpFrame({
    srcMac: parseMac('02:00:00:00:00:aa'),
    dstMac: parseMac('02:00:00:00:00:bb'),
    srcIp: 0xc6120002,
    dstIp: 0xc6120001,
    srcPort: 67,
    dstPort: 67,
    payload: encodeMessage(msg),
  });
}

test('pairs each answer with its request by xid, per half, leaving out the warm-up clients', () => {
  const { DISCOVER, OFFER, REQUEST, ACK } = MessageType;
  const at = (ms: number): number => 1_700_000_000_000_000 + ms * 1000;
  const capture = writePcap(1, [
    { timeUs: at(0), data: frame(DISCOVER, 1, '00:0c:01:00:00:01') },
    { timeUs: at(1), data: frame(DISCOVER, 2, '00:0c:01:00:00:02') },
    { timeUs: at(2), data: frame(OFFER, 1, '00:0c:01:00:00:01') },
    { timeUs: at(3), data: frame(DISCOVER, 3, '02:77:00:00:00:03') },
    { timeUs: at(7), data: frame(OFFER, 2, '00:0c:01:00:00:02') },
    { timeUs: at(8), data: frame(REQUEST, 1, '00:0c:01:00:00:01') },
    { timeUs: at(40), data: frame(OFFER, 3, '02:77:00:00:00:03') },
    { timeUs: at(50), data: frame(ACK, 1, '00:0c:01:00:00:01') },
    // an answer nobody asked for (its request was before the capture started) is not counted
    { timeUs: at(60), data: frame(ACK, 9, '00:0c:01:00:00:09') },
  ]);
  const d = wireDelays(capture, '02:77');
  assert.equal(d.discoverOffer.n, 2);
  assert.equal(d.discoverOffer.maxMs, 6);
  assert.equal(d.discoverOffer.avgMs, 4);
  assert.equal(d.requestAck.n, 1);
  assert.equal(d.requestAck.maxMs, 42);
  assert.deepEqual(
    d.worst.map((w) => [w.half, w.ms]),
    [
      ['DO', 6],
      ['DO', 2],
      ['RA', 42],
    ],
    'the slowest of each half, slowest first',
  );
  assert.equal(wireDelays(capture).discoverOffer.maxMs, 37, 'without the prefix, the warm-up client counts');
});

test("a UDP GSO send captured on the server's side (one frame of replies back to back) counts each reply", () => {
  const { REQUEST, ACK } = MessageType;
  const at = (ms: number): number => 1_700_000_000_000_000 + ms * 1000;
  const ack = (xid: number, hostname?: string): Uint8Array => {
    const msg = createMessage({ op: 2, xid, chaddr: parseMac(`00:0c:01:00:00:0${xid}`) });
    msg.options.set('dhcp-message-type', ACK);
    if (hostname !== undefined) msg.options.set('host-name', hostname);
    return encodeMessage(msg);
  };
  // Segments of one size (zeros after END pad the shorter), the last one shorter: as the kernel sends them.
  const replies = [ack(1, 'h'.repeat(60)), ack(2, 'h'.repeat(50)), ack(3)];
  const size = Math.max(...replies.map((r) => r.length));
  const run = new Uint8Array(size * 2 + replies[2]!.length);
  run.set(replies[0]!, 0);
  run.set(replies[1]!, size);
  run.set(replies[2]!, size * 2);
  const frameOf = (payload: Uint8Array): Uint8Array =>
    buildUdpFrame({
      srcMac: parseMac('02:00:00:00:00:aa'),
      dstMac: parseMac('02:00:00:00:00:bb'),
      srcIp: 0xc6120001,
      dstIp: 0xc6120002,
      srcPort: 67,
      dstPort: 67,
      payload,
    });
  assert.deepEqual(
    gsoSegments(run).map((s) => s.length),
    [size, size, replies[2]!.length],
  );
  assert.equal(gsoSegments(replies[1]!).length, 1, 'a single reply is left whole');
  const capture = writePcap(1, [
    { timeUs: at(0), data: frame(REQUEST, 1, '00:0c:01:00:00:01') },
    { timeUs: at(1), data: frame(REQUEST, 2, '00:0c:01:00:00:02') },
    { timeUs: at(2), data: frame(REQUEST, 3, '00:0c:01:00:00:03') },
    { timeUs: at(10), data: frameOf(run) },
  ]);
  const d = wireDelays(capture);
  assert.equal(d.requestAck.n, 3, 'every reply of the run paired');
  assert.equal(d.requestAck.maxMs, 10);
  assert.equal(d.requestAck.avgMs, 9);
});
