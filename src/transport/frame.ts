/**
 * Ethernet II / IPv4 / UDP framing for link-layer transports (AF_PACKET and the virtual network) and the
 * pcap writer. Parsing never throws: it returns a frame or a reason the frame was not ours or was bad.
 */
import { readIp, writeU32 } from '../protocol/index.ts';
import { formatMac, isBroadcastMac } from './addr.ts';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETH_HEADER = 14;
export const IP_HEADER = 20;
export const UDP_HEADER = 8;
/** Largest UDP payload in one untagged 1500-byte-MTU frame without IP options. */
export const MAX_UDP_PAYLOAD = 1500 - IP_HEADER - UDP_HEADER;
const IPPROTO_UDP = 17;

export interface UdpFrameSpec {
  srcMac: Uint8Array;
  dstMac: Uint8Array;
  srcIp: number;
  dstIp: number;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  /** IP identification; any value, a counter is polite. */
  id?: number;
  ttl?: number;
}

/** RFC 1071 one's-complement sum of 16-bit words, not yet complemented. */
function sum16(b: Uint8Array, off: number, len: number, acc = 0): number {
  let s = acc;
  let i = off;
  const end = off + len;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  return s;
}

function fold(s: number): number {
  let x = s;
  while (x > 0xffff) x = (x & 0xffff) + Math.floor(x / 0x10000);
  return x;
}

function udpPseudoSum(frame: Uint8Array, ipOff: number, udpLen: number): number {
  // RFC 768: source, destination, zero + protocol, UDP length.
  let s = sum16(frame, ipOff + 12, 8);
  s += IPPROTO_UDP + udpLen;
  return s;
}

export function buildUdpFrame(f: UdpFrameSpec): Buffer {
  const udpLen = UDP_HEADER + f.payload.length;
  const ipLen = IP_HEADER + udpLen;
  const b = Buffer.alloc(ETH_HEADER + ipLen);
  b.set(f.dstMac.subarray(0, 6), 0);
  b.set(f.srcMac.subarray(0, 6), 6);
  b.writeUInt16BE(ETHERTYPE_IPV4, 12);
  const ip = ETH_HEADER;
  b[ip] = 0x45;
  b.writeUInt16BE(ipLen, ip + 2);
  b.writeUInt16BE((f.id ?? 0) & 0xffff, ip + 4);
  b.writeUInt16BE(0x4000, ip + 6); // DF: DHCP fits in one frame
  b[ip + 8] = f.ttl ?? 64;
  b[ip + 9] = IPPROTO_UDP;
  writeU32(b, ip + 12, f.srcIp);
  writeU32(b, ip + 16, f.dstIp);
  b.writeUInt16BE(~fold(sum16(b, ip, IP_HEADER)) & 0xffff, ip + 10);
  const udp = ip + IP_HEADER;
  b.writeUInt16BE(f.srcPort, udp);
  b.writeUInt16BE(f.dstPort, udp + 2);
  b.writeUInt16BE(udpLen, udp + 4);
  b.set(f.payload, udp + UDP_HEADER);
  let ck = ~fold(sum16(b, udp, udpLen, udpPseudoSum(b, ip, udpLen))) & 0xffff;
  if (ck === 0) ck = 0xffff; // RFC 768: a computed zero is sent as all ones; zero means "no checksum"
  b.writeUInt16BE(ck, udp + 6);
  return b;
}

export interface ParsedUdpFrame {
  ok: true;
  srcMac: string;
  dstMac: string;
  linkBroadcast: boolean;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  /** A view into the frame (no copy). */
  payload: Buffer;
  /** False when the sender left the UDP checksum at zero (allowed for IPv4, RFC 768). */
  udpChecksummed: boolean;
}

export type FrameRejection =
  | 'not-ipv4'
  | 'truncated'
  | 'bad-ip-header'
  | 'bad-ip-checksum'
  | 'fragment'
  | 'not-udp'
  | 'bad-udp-length'
  | 'bad-udp-checksum';

export type ParseResult = ParsedUdpFrame | { ok: false; reason: FrameRejection };

/**
 * Parses an Ethernet frame carrying IPv4/UDP. Trailing bytes after the IP total length (Ethernet padding,
 * garbage) are ignored; IP options are skipped; fragments are refused (DHCP never fragments in practice).
 * A zero UDP checksum means the sender computed none (RFC 768) and is accepted.
 */
export function parseUdpFrame(frame: Buffer, opts: { checksumNotReady?: boolean } = {}): ParseResult {
  return parseUdpFrameAt(frame, 0, frame.length, opts.checksumNotReady === true);
}

/**
 * parseUdpFrame of the frame at `buf[start..end)`, for a batch of frames held back to back: the payload is
 * a view into `buf`. `checksumNotReady`: the kernel says the sender offloaded the checksum and nobody
 * filled it in yet (TP_STATUS_CSUMNOTREADY); the field holds a partial sum, so there is nothing to verify.
 */
export function parseUdpFrameAt(
  buf: Buffer,
  start: number,
  end: number,
  checksumNotReady: boolean,
): ParseResult {
  const datagram = udpDatagramAt(buf, start, end, checksumNotReady);
  if (!datagram.ok) return datagram;
  return {
    ok: true,
    dstMac: formatMac(buf, start),
    srcMac: formatMac(buf, start + 6),
    linkBroadcast: isBroadcastMac(buf, start),
    srcIp: datagram.srcIp,
    dstIp: datagram.dstIp,
    srcPort: datagram.srcPort,
    dstPort: datagram.dstPort,
    payload: datagram.payload,
    udpChecksummed: datagram.udpChecksummed,
  };
}

/**
 * The IPv4/UDP datagram of the Ethernet frame at `buf[start..end)`, with `parseUdpFrameAt`'s checks, without
 * the link-layer addresses: a receive path that needs only the source MAC (`formatMac(buf, start + 6)`)
 * and whether the frame was broadcast reads those itself, instead of building both MAC texts per frame.
 */
export function udpDatagramAt(
  buf: Buffer,
  start: number,
  end: number,
  checksumNotReady: boolean,
): ParsedIpv4Udp | { ok: false; reason: FrameRejection } {
  if (end - start < ETH_HEADER + IP_HEADER + UDP_HEADER) return { ok: false, reason: 'truncated' };
  if (u16(buf, start + 12) !== ETHERTYPE_IPV4) return { ok: false, reason: 'not-ipv4' };
  return parseIpv4UdpAt(buf, start + ETH_HEADER, end, !checksumNotReady);
}

/** An IPv4 packet carrying one whole UDP datagram, without its link layer. */
export type ParsedIpv4Udp = Omit<ParsedUdpFrame, 'srcMac' | 'dstMac' | 'linkBroadcast'>;

/**
 * Parses the IPv4 packet at `buf[ip..end)` carrying UDP: the one IPv4/UDP parser, for the link-layer
 * transports (which verify checksums) and for capture files (which may not: a capture taken on the sending
 * host holds checksums the NIC fills in later). Trailing bytes after the IP total length are ignored, IP
 * options skipped, fragments refused.
 */
export function parseIpv4UdpAt(
  buf: Uint8Array,
  ip: number,
  end: number,
  verifyChecksums: boolean,
): ParsedIpv4Udp | { ok: false; reason: FrameRejection } {
  if (end - ip < IP_HEADER) return { ok: false, reason: 'truncated' };
  const vihl = buf[ip]!;
  const ihl = (vihl & 0x0f) * 4;
  if (vihl >> 4 !== 4 || ihl < IP_HEADER) return { ok: false, reason: 'bad-ip-header' };
  const totalLen = u16(buf, ip + 2);
  if (totalLen < ihl + UDP_HEADER || ip + totalLen > end) return { ok: false, reason: 'truncated' };
  if (verifyChecksums && fold(sum16(buf, ip, ihl)) !== 0xffff)
    return { ok: false, reason: 'bad-ip-checksum' };
  if ((u16(buf, ip + 6) & 0x3fff) !== 0) return { ok: false, reason: 'fragment' };
  if (buf[ip + 9] !== IPPROTO_UDP) return { ok: false, reason: 'not-udp' };
  const udp = ip + ihl;
  const udpLen = u16(buf, udp + 4);
  if (udpLen < UDP_HEADER || udp + udpLen > ip + totalLen) return { ok: false, reason: 'bad-udp-length' };
  const ck = u16(buf, udp + 6);
  if (ck !== 0 && verifyChecksums) {
    const s = sum16(buf, udp, udpLen, udpPseudoSum(buf, ip, udpLen));
    if (fold(s) !== 0xffff) return { ok: false, reason: 'bad-udp-checksum' };
  }
  const payloadStart = buf.byteOffset + udp + UDP_HEADER;
  return {
    ok: true,
    srcIp: sourceText.of(buf, ip + 12),
    dstIp: destinationText.of(buf, ip + 16),
    srcPort: u16(buf, udp),
    dstPort: u16(buf, udp + 2),
    payload: Buffer.from(buf.buffer, payloadStart, udpLen - UDP_HEADER),
    udpChecksummed: ck !== 0,
  };
}

/**
 * The text of the last address read at this field, kept: a server hears every relayed request from the same
 * relay, addressed to its own address, so the text is built once instead of for every frame.
 */
class LastAddressText {
  #n = -1;
  #text = '';

  of(b: Uint8Array, off: number): string {
    const n = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
    if (n !== this.#n) {
      this.#text = readIp(b, off);
      this.#n = n;
    }
    return this.#text;
  }
}

const sourceText = new LastAddressText();
const destinationText = new LastAddressText();

/** Big-endian 16 bits; the caller has checked the length. */
function u16(b: Uint8Array, off: number): number {
  return (b[off]! << 8) | b[off + 1]!;
}
