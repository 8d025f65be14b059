/**
 * A classic pcap reader (not pcapng) that finds DHCP payloads: link types Ethernet (1, with 802.1Q tags),
 * raw IPv4 (101, 228), Linux cooked SLL (113) and SLL2 (276); IPv4, UDP, either port 67 or 68. Pure
 * bytes, no I/O: the CLI reads the file.
 */
import { readIp } from './ip.ts';

export class PcapError extends Error {
  override name = 'PcapError';
  readonly code: 'ERR_PCAP_FORMAT' | 'ERR_PCAPNG' | 'ERR_PCAP_LINKTYPE';
  constructor(code: PcapError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** One captured frame: a DHCP payload, a frame that is not DHCP (skipped), or a broken one. */
export type PcapFrame =
  | {
      kind: 'dhcp';
      frame: number;
      /** Capture time in microseconds since the epoch. */
      timeUs: number;
      source: string;
      destination: string;
      payload: Uint8Array;
    }
  | { kind: 'skipped'; frame: number; reason: string }
  | { kind: 'broken'; frame: number; reason: string };

const LINK_ETHERNET = 1;
const LINK_RAW = 101;
const LINK_IPV4 = 228;
const LINK_SLL = 113;
const LINK_SLL2 = 276;

function u16be(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** Reads the global header and yields every frame; throws PcapError only for an unreadable file header. */
export function* readPcap(file: Uint8Array): Generator<PcapFrame> {
  if (file.length < 24) throw new PcapError('ERR_PCAP_FORMAT', 'shorter than a pcap file header');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = view.getUint32(0, false);
  if (magic === 0x0a0d0d0a) {
    throw new PcapError('ERR_PCAPNG', 'this is pcapng; convert it with `editcap -F pcap in.pcapng out.pcap`');
  }
  let little: boolean;
  let nanos: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) {
    little = false;
    nanos = magic === 0xa1b23c4d;
  } else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) {
    little = true;
    nanos = magic === 0x4d3cb2a1;
  } else {
    throw new PcapError('ERR_PCAP_FORMAT', `not a pcap file (magic 0x${magic.toString(16)})`);
  }
  const linkType = view.getUint32(20, little) & 0x0fffffff;
  if (![LINK_ETHERNET, LINK_RAW, LINK_IPV4, LINK_SLL, LINK_SLL2].includes(linkType)) {
    throw new PcapError(
      'ERR_PCAP_LINKTYPE',
      `link type ${linkType} is not Ethernet (1), raw IPv4 or Linux SLL (113)`,
    );
  }
  let pos = 24;
  let frame = 0;
  while (pos < file.length) {
    frame++;
    if (pos + 16 > file.length) {
      yield { kind: 'broken', frame, reason: 'truncated record header at the end of the file' };
      return;
    }
    const sec = view.getUint32(pos, little);
    const frac = view.getUint32(pos + 4, little);
    const caplen = view.getUint32(pos + 8, little);
    if (pos + 16 + caplen > file.length) {
      yield { kind: 'broken', frame, reason: `record of ${caplen} bytes runs past the end of the file` };
      return;
    }
    const data = file.subarray(pos + 16, pos + 16 + caplen);
    pos += 16 + caplen;
    const timeUs = sec * 1e6 + (nanos ? Math.floor(frac / 1000) : frac);
    yield parseFrame(frame, timeUs, linkType, data);
  }
}

function parseFrame(frame: number, timeUs: number, linkType: number, d: Uint8Array): PcapFrame {
  let ethertype: number;
  let ip: number;
  if (linkType === LINK_ETHERNET) {
    if (d.length < 14) return { kind: 'broken', frame, reason: 'frame shorter than an Ethernet header' };
    ethertype = u16be(d, 12);
    ip = 14;
    while ((ethertype === 0x8100 || ethertype === 0x88a8) && d.length >= ip + 4) {
      ethertype = u16be(d, ip + 2);
      ip += 4;
    }
  } else if (linkType === LINK_SLL) {
    if (d.length < 16) return { kind: 'broken', frame, reason: 'frame shorter than a Linux SLL header' };
    ethertype = u16be(d, 14);
    ip = 16;
  } else if (linkType === LINK_SLL2) {
    if (d.length < 20) return { kind: 'broken', frame, reason: 'frame shorter than a Linux SLL2 header' };
    ethertype = u16be(d, 0);
    ip = 20;
  } else {
    ethertype = 0x0800;
    ip = 0;
  }
  if (ethertype !== 0x0800)
    return { kind: 'skipped', frame, reason: `ethertype 0x${ethertype.toString(16)}` };
  if (d.length < ip + 20) return { kind: 'broken', frame, reason: 'truncated IPv4 header' };
  if (d[ip]! >> 4 !== 4) return { kind: 'skipped', frame, reason: 'not IPv4' };
  const ihl = (d[ip]! & 15) * 4;
  if (ihl < 20 || d.length < ip + ihl)
    return { kind: 'broken', frame, reason: `bad IPv4 header length ${ihl}` };
  if (d[ip + 9] !== 17) return { kind: 'skipped', frame, reason: `IP protocol ${d[ip + 9]}` };
  const fragment = u16be(d, ip + 6);
  const totalLength = u16be(d, ip + 2);
  const udp = ip + ihl;
  if ((fragment & 0x1fff) !== 0) return { kind: 'skipped', frame, reason: 'a later IPv4 fragment' };
  if (d.length < udp + 8) return { kind: 'broken', frame, reason: 'truncated UDP header' };
  const sport = u16be(d, udp);
  const dport = u16be(d, udp + 2);
  const isDhcp = sport === 67 || sport === 68 || dport === 67 || dport === 68;
  if (!isDhcp) return { kind: 'skipped', frame, reason: `UDP ${sport} -> ${dport}` };
  if ((fragment & 0x2000) !== 0)
    return { kind: 'broken', frame, reason: 'fragmented DHCP datagram (not reassembled)' };
  const udpLength = u16be(d, udp + 4);
  if (udpLength < 8) return { kind: 'broken', frame, reason: `UDP length ${udpLength}` };
  // The IP and UDP lengths bound the payload, not the capture length: Ethernet pads short frames.
  const ipEnd = totalLength >= ihl + 8 ? ip + totalLength : d.length;
  const end = Math.min(udp + udpLength, ipEnd);
  if (end > d.length) {
    return {
      kind: 'broken',
      frame,
      reason: `capture holds ${d.length - udp} of the datagram's ${end - udp} bytes`,
    };
  }
  return {
    kind: 'dhcp',
    frame,
    timeUs,
    source: `${readIp(d, ip + 12)}:${sport}`,
    destination: `${readIp(d, ip + 16)}:${dport}`,
    payload: d.subarray(udp + 8, end),
  };
}

/** Builds a classic little-endian microsecond pcap: for tests and for writing captures. */
export function writePcap(
  linkType: number,
  frames: readonly { timeUs: number; data: Uint8Array }[],
): Uint8Array {
  const size = 24 + frames.reduce((n, f) => n + 16 + f.data.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, 65535, true);
  v.setUint32(20, linkType, true);
  let pos = 24;
  for (const f of frames) {
    v.setUint32(pos, Math.floor(f.timeUs / 1e6), true);
    v.setUint32(pos + 4, f.timeUs % 1e6, true);
    v.setUint32(pos + 8, f.data.length, true);
    v.setUint32(pos + 12, f.data.length, true);
    out.set(f.data, pos + 16);
    pos += 16 + f.data.length;
  }
  return out;
}
