/**
 * Classic libpcap files (https://wiki.wireshark.org/Development/LibpcapFileFormat; not pcapng): writing
 * captures of the link-layer transports, reading records back, and finding the DHCP datagrams in any
 * capture. Link types read: Ethernet (1, with 802.1Q/802.1ad tags), raw IPv4 (101, 228), Linux cooked SLL
 * (113) and SLL2 (276); written: Ethernet, microsecond timestamps, little-endian as tcpdump on x86 writes.
 * IPv4/UDP parsing is frame.ts's.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { formatMac } from './addr.ts';
import { ETH_HEADER, ETHERTYPE_IPV4, IP_HEADER, parseIpv4UdpAt, UDP_HEADER } from './frame.ts';
import { LeasekeeperError } from '../errors.ts';

export class PcapError extends LeasekeeperError {
  override name = 'PcapError';
  declare readonly code: 'ERR_PCAP_FORMAT' | 'ERR_PCAP_PCAPNG' | 'ERR_PCAP_LINKTYPE';
  constructor(code: PcapError['code'], message: string) {
    super(code, message);
  }
}

export const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const LINKTYPE_IPV4 = 228;
const LINKTYPE_SLL = 113;
const LINKTYPE_SLL2 = 276;
const DISSECTED_LINK_TYPES = [LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_SLL, LINKTYPE_SLL2];
const SNAPLEN = 65535;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

// ---- writing ----

export function pcapGlobalHeader(linkType = LINKTYPE_ETHERNET): Buffer {
  const h = Buffer.alloc(GLOBAL_HEADER);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(SNAPLEN, 16); // thiszone and sigfigs stay 0
  h.writeUInt32LE(linkType, 20);
  return h;
}

/** One record: its header and the frame, cut at the snap length. */
export function pcapRecord(frame: Uint8Array, timeUs: number): Buffer {
  const captured = Math.min(frame.length, SNAPLEN);
  const r = Buffer.alloc(RECORD_HEADER + captured);
  const us = Math.max(0, Math.round(timeUs));
  r.writeUInt32LE(Math.floor(us / 1e6), 0);
  r.writeUInt32LE(us % 1e6, 4);
  r.writeUInt32LE(captured, 8);
  r.writeUInt32LE(frame.length, 12);
  r.set(frame.subarray(0, captured), RECORD_HEADER);
  return r;
}

/** A whole capture file in memory, for tests and tools. */
export function writePcap(linkType: number, frames: readonly { timeUs: number; data: Uint8Array }[]): Buffer {
  return Buffer.concat([pcapGlobalHeader(linkType), ...frames.map((f) => pcapRecord(f.data, f.timeUs))]);
}

export interface PcapSink {
  /** `timeMs` may be virtual time; Wireshark shows it as seconds since 1970. */
  write(frame: Uint8Array, timeMs: number): void;
  close(): void;
}

/** Collects a capture in memory; `toBuffer()` gives a complete .pcap file. */
export class PcapBuffer implements PcapSink {
  private readonly chunks: Buffer[] = [pcapGlobalHeader()];
  frames = 0;
  write(frame: Uint8Array, timeMs: number): void {
    this.chunks.push(pcapRecord(frame, timeMs * 1000));
    this.frames++;
  }
  close(): void {}
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Writes a capture to a file as frames arrive (synchronously: a capture is a debugging aid, not a hot path). */
export class PcapFile implements PcapSink {
  private fd: number | undefined;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, pcapGlobalHeader());
  }
  write(frame: Uint8Array, timeMs: number): void {
    if (this.fd !== undefined) writeSync(this.fd, pcapRecord(frame, timeMs * 1000));
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

// ---- reading ----

export interface PcapRecord {
  /** 1-based, as tcpdump and Wireshark number frames. */
  frame: number;
  /** Capture time in microseconds since the epoch. */
  timeUs: number;
  data: Uint8Array;
}

export interface PcapRecords {
  linkType: number;
  records: PcapRecord[];
  /** Why reading stopped before the end of the file (a capture cut short), or null. */
  truncated: { frame: number; reason: string } | null;
}

/** Reads every record of a classic pcap file, any byte order, micro- or nanosecond timestamps. */
export function readPcapRecords(file: Uint8Array): PcapRecords {
  if (file.length < GLOBAL_HEADER) throw new PcapError('ERR_PCAP_FORMAT', 'shorter than a pcap file header');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = view.getUint32(0, false);
  if (magic === 0x0a0d0d0a) {
    throw new PcapError(
      'ERR_PCAP_PCAPNG',
      'this is pcapng; convert it with `editcap -F pcap in.pcapng out.pcap`',
    );
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
  const records: PcapRecord[] = [];
  let pos = GLOBAL_HEADER;
  let frame = 0;
  while (pos < file.length) {
    frame++;
    if (pos + RECORD_HEADER > file.length) {
      return {
        linkType,
        records,
        truncated: { frame, reason: 'truncated record header at the end of the file' },
      };
    }
    const sec = view.getUint32(pos, little);
    const frac = view.getUint32(pos + 4, little);
    const caplen = view.getUint32(pos + 8, little);
    if (pos + RECORD_HEADER + caplen > file.length) {
      const reason = `record of ${caplen} bytes runs past the end of the file`;
      return { linkType, records, truncated: { frame, reason } };
    }
    const data = file.subarray(pos + RECORD_HEADER, pos + RECORD_HEADER + caplen);
    pos += RECORD_HEADER + caplen;
    records.push({ frame, timeUs: sec * 1e6 + (nanos ? Math.floor(frac / 1000) : frac), data });
  }
  return { linkType, records, truncated: null };
}

/** One captured frame: a DHCP datagram (UDP port 67 or 68 at either end), another frame, or a broken one. */
export type PcapFrame =
  | {
      kind: 'dhcp';
      frame: number;
      timeUs: number;
      /** Ethernet addresses, when the capture has them. */
      srcMac: string | null;
      dstMac: string | null;
      srcIp: string;
      dstIp: string;
      srcPort: number;
      dstPort: number;
      payload: Uint8Array;
    }
  | { kind: 'skipped'; frame: number; reason: string }
  | { kind: 'broken'; frame: number; reason: string };

/**
 * Every frame of a capture, with the DHCP payloads found. Throws PcapError only for a file it cannot read
 * at all (header, link type); a broken frame is reported and reading goes on. Checksums are not verified:
 * a capture taken on the sending host holds checksums the NIC fills in later.
 */
export function* readPcap(file: Uint8Array): Generator<PcapFrame> {
  const { linkType, records, truncated } = readPcapRecords(file);
  if (!DISSECTED_LINK_TYPES.includes(linkType)) {
    throw new PcapError(
      'ERR_PCAP_LINKTYPE',
      `link type ${linkType} is not Ethernet (1), raw IPv4 or Linux SLL (113, 276)`,
    );
  }
  for (const r of records) yield dissect(r, linkType);
  if (truncated) yield { kind: 'broken', ...truncated };
}

function dissect({ frame, timeUs, data: d }: PcapRecord, linkType: number): PcapFrame {
  const link = linkHeader(d, linkType);
  if (typeof link === 'string') return { kind: 'broken', frame, reason: link };
  if (link.ethertype !== ETHERTYPE_IPV4) {
    return { kind: 'skipped', frame, reason: `ethertype 0x${link.ethertype.toString(16)}` };
  }
  const ip = link.ipOffset;
  if (d.length >= ip + 1 && d[ip]! >> 4 !== 4) return { kind: 'skipped', frame, reason: 'not IPv4' };
  const parsed = parseIpv4UdpAt(d, ip, d.length, false);
  if (!parsed.ok) {
    if (parsed.reason === 'fragment') return fragment(d, ip, frame);
    if (parsed.reason === 'not-udp') return { kind: 'skipped', frame, reason: `IP protocol ${d[ip + 9]}` };
    return { kind: 'broken', frame, reason: rejectionText(parsed.reason, d, ip) };
  }
  const { srcPort, dstPort } = parsed;
  if (!isDhcpPort(srcPort) && !isDhcpPort(dstPort)) {
    return { kind: 'skipped', frame, reason: `UDP ${srcPort} -> ${dstPort}` };
  }
  return {
    kind: 'dhcp',
    frame,
    timeUs,
    srcMac: link.macs ? formatMac(d, 6) : null,
    dstMac: link.macs ? formatMac(d, 0) : null,
    srcIp: parsed.srcIp,
    dstIp: parsed.dstIp,
    srcPort,
    dstPort,
    payload: parsed.payload,
  };
}

/** Where the IPv4 header starts, or why the link header is unreadable. */
function linkHeader(
  d: Uint8Array,
  linkType: number,
): { ethertype: number; ipOffset: number; macs: boolean } | string {
  if (linkType === LINKTYPE_ETHERNET) {
    if (d.length < ETH_HEADER) return 'frame shorter than an Ethernet header';
    let ethertype = u16(d, 12);
    let ipOffset = ETH_HEADER;
    while ((ethertype === 0x8100 || ethertype === 0x88a8) && d.length >= ipOffset + 4) {
      ethertype = u16(d, ipOffset + 2);
      ipOffset += 4;
    }
    return { ethertype, ipOffset, macs: true };
  }
  if (linkType === LINKTYPE_SLL) {
    if (d.length < 16) return 'frame shorter than a Linux SLL header';
    return { ethertype: u16(d, 14), ipOffset: 16, macs: false };
  }
  if (linkType === LINKTYPE_SLL2) {
    if (d.length < 20) return 'frame shorter than a Linux SLL2 header';
    return { ethertype: u16(d, 0), ipOffset: 20, macs: false };
  }
  return { ethertype: ETHERTYPE_IPV4, ipOffset: 0, macs: false };
}

/** A later fragment has no UDP header to tell its ports; a first fragment of a DHCP datagram is broken. */
function fragment(d: Uint8Array, ip: number, frame: number): PcapFrame {
  if (d[ip + 9] !== 17) return { kind: 'skipped', frame, reason: `IP protocol ${d[ip + 9]}` };
  if ((u16(d, ip + 6) & 0x1fff) !== 0) return { kind: 'skipped', frame, reason: 'a later IPv4 fragment' };
  const udp = ip + (d[ip]! & 15) * 4;
  const dhcp = d.length >= udp + 4 && (isDhcpPort(u16(d, udp)) || isDhcpPort(u16(d, udp + 2)));
  if (!dhcp) return { kind: 'skipped', frame, reason: 'an IPv4 fragment' };
  return { kind: 'broken', frame, reason: 'fragmented DHCP datagram (not reassembled)' };
}

function rejectionText(reason: string, d: Uint8Array, ip: number): string {
  if (reason !== 'truncated') return reason;
  if (d.length < ip + IP_HEADER) return 'truncated IPv4 header';
  const total = u16(d, ip + 2);
  const udp = ip + (d[ip]! & 15) * 4;
  if (total < udp - ip + UDP_HEADER) return `IPv4 total length ${total}`;
  return `capture holds ${d.length - ip} of the packet's ${total} bytes`;
}

function isDhcpPort(port: number): boolean {
  return port === 67 || port === 68;
}

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
