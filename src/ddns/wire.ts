import { decodeName, encodeName } from '../protocol/index.ts';
import { DdnsError } from './errors.ts';

/**
 * The small part of the DNS wire format (RFC 1035 §4.1) that dynamic updates need: an UPDATE message
 * (RFC 2136 §2) written without compression, and any answer read back with its compression pointers
 * followed only backwards. Decoding is bounded by the message: counts larger than the data can hold end
 * the parse with `undefined`, never an exception.
 */

export const RRType = { A: 1, PTR: 12, AAAA: 28, DHCID: 49, SOA: 6, TSIG: 250, ANY: 255 } as const;
/** RFC 2136 §2.4/§2.5: class NONE and ANY carry the meaning of prerequisites and deletions. */
export const RRClass = { IN: 1, NONE: 254, ANY: 255 } as const;
export const OPCODE_UPDATE = 5;

/** RFC 1035 §4.1.1 and RFC 2136 §2.2 response codes, by name for logs. */
export const RCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
  16: 'BADSIG',
  17: 'BADKEY',
  18: 'BADTIME',
};
export const Rcode = { NOERROR: 0, YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9 } as const;

export interface ResourceRecord {
  /** Without the trailing dot. */
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly rdata: Uint8Array;
}

export interface UpdateMessage {
  readonly id: number;
  /** The zone section's single entry (class IN, type SOA). */
  readonly zone: string;
  readonly prerequisites: readonly ResourceRecord[];
  readonly updates: readonly ResourceRecord[];
}

export interface DecodedRecord extends ResourceRecord {
  /** Offset of the record's first byte in the message (TSIG verification cuts the message there). */
  readonly offset: number;
  /** Offset of the rdata in the message, for rdata holding compressed names. */
  readonly rdataOffset: number;
}

export interface DecodedMessage {
  readonly id: number;
  readonly qr: boolean;
  readonly opcode: number;
  readonly rcode: number;
  readonly counts: readonly [number, number, number, number];
  readonly records: readonly DecodedRecord[];
  /** The additional section (the TSIG record, when present, is its last entry). */
  readonly additional: readonly DecodedRecord[];
}

/** DNS over UDP without EDNS: the largest message we read or write. */
export const MAX_MESSAGE = 65535;

class Writer {
  private readonly parts: number[] = [];
  u8(v: number): void {
    this.parts.push(v & 0xff);
  }
  u16(v: number): void {
    this.parts.push((v >>> 8) & 0xff, v & 0xff);
  }
  u32(v: number): void {
    this.u16(Math.floor(v / 0x10000));
    this.u16(v);
  }
  bytes(b: Uint8Array): void {
    for (const x of b) this.parts.push(x);
  }
  get length(): number {
    return this.parts.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** A name in uncompressed wire form, lower-cased (RFC 4034 §6.2's canonical form, used by TSIG and DHCID). */
export function canonicalName(name: string): Uint8Array {
  return encodeName(name.toLowerCase(), true);
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.bytes(encodeName(rr.name, true));
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl);
  w.u16(rr.rdata.length);
  w.bytes(rr.rdata);
}

/** Encodes an UPDATE request (QR=0, opcode 5). Throws a message string's Error for an impossible name. */
export function encodeUpdate(msg: UpdateMessage, additional: readonly ResourceRecord[] = []): Uint8Array {
  const w = new Writer();
  w.u16(msg.id);
  w.u16(OPCODE_UPDATE << 11);
  w.u16(1);
  w.u16(msg.prerequisites.length);
  w.u16(msg.updates.length);
  w.u16(additional.length);
  w.bytes(encodeName(msg.zone, true));
  w.u16(RRType.SOA);
  w.u16(RRClass.IN);
  for (const rr of msg.prerequisites) writeRecord(w, rr);
  for (const rr of msg.updates) writeRecord(w, rr);
  for (const rr of additional) writeRecord(w, rr);
  if (w.length > MAX_MESSAGE)
    throw new DdnsError('ERR_DDNS_MESSAGE_TOO_LARGE', 'DNS message longer than 65535 bytes');
  return w.done();
}

/** Appends records to the additional section of an encoded message (adjusting ARCOUNT). */
export function appendAdditional(message: Uint8Array, rr: ResourceRecord): Uint8Array {
  const w = new Writer();
  w.bytes(message);
  writeRecord(w, rr);
  const out = w.done();
  const ar = ((out[10]! << 8) | out[11]!) + 1;
  out[10] = (ar >>> 8) & 0xff;
  out[11] = ar & 0xff;
  return out;
}

function u16(b: Uint8Array, pos: number): number {
  return (b[pos]! << 8) | b[pos + 1]!;
}

/** Decodes any DNS message's header and records; undefined when malformed or truncated. */
export function decodeMessage(b: Uint8Array): DecodedMessage | undefined {
  if (b.length < 12 || b.length > MAX_MESSAGE) return undefined;
  const flags = u16(b, 2);
  const counts = [u16(b, 4), u16(b, 6), u16(b, 8), u16(b, 10)] as const;
  let pos = 12;
  // Question (zone) entries: a name and 4 bytes each.
  for (let i = 0; i < counts[0]; i++) {
    const n = decodeName(b, pos, true);
    if (n === undefined || n.next + 4 > b.length) return undefined;
    pos = n.next + 4;
  }
  const records: DecodedRecord[] = [];
  const total = counts[1] + counts[2] + counts[3];
  // Each record needs at least 11 bytes, so a count the data cannot hold fails here and nowhere later.
  if (total * 11 > b.length - pos) return undefined;
  for (let i = 0; i < total; i++) {
    const offset = pos;
    const n = decodeName(b, pos, true);
    if (n === undefined || n.next + 10 > b.length) return undefined;
    const p = n.next;
    const rdlength = u16(b, p + 8);
    if (p + 10 + rdlength > b.length) return undefined;
    records.push({
      name: n.name,
      type: u16(b, p),
      class: u16(b, p + 2),
      ttl: u16(b, p + 4) * 0x10000 + u16(b, p + 6),
      rdata: b.subarray(p + 10, p + 10 + rdlength),
      offset,
      rdataOffset: p + 10,
    });
    pos = p + 10 + rdlength;
  }
  return {
    id: u16(b, 0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    rcode: flags & 0xf,
    counts,
    records,
    additional: records.slice(counts[1] + counts[2]),
  };
}

/** An A record's rdata. */
export function aRdata(address: string): Uint8Array {
  return Uint8Array.from(address.split('.').map(Number));
}

/** A PTR (or any single-name) record's rdata, uncompressed. */
export function nameRdata(name: string): Uint8Array {
  return encodeName(name, true);
}

/** `4.3.2.1.in-addr.arpa` for 1.2.3.4 (RFC 1035 §3.5). */
export function reverseName(address: string): string {
  return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
}

/** RFC 2136 §2.4.1 "RRset exists (value independent)" and §2.4.3 "does not exist", §2.4.4/5 name checks. */
export function prereq(
  kind: 'name-in-use' | 'name-not-in-use' | 'rrset-exists' | 'rrset-not-exists',
  name: string,
  type: number = RRType.ANY,
): ResourceRecord {
  const cls = kind === 'name-in-use' || kind === 'rrset-exists' ? RRClass.ANY : RRClass.NONE;
  return { name, type, class: cls, ttl: 0, rdata: new Uint8Array(0) };
}

/** RFC 2136 §2.4.2 "RRset exists (value dependent)": one record of that exact value. */
export function prereqValue(name: string, type: number, rdata: Uint8Array): ResourceRecord {
  return { name, type, class: RRClass.IN, ttl: 0, rdata };
}

/** RFC 2136 §2.5.1 add, §2.5.2 delete an RRset, §2.5.4 delete one RR. */
export function addRecord(name: string, type: number, ttl: number, rdata: Uint8Array): ResourceRecord {
  return { name, type, class: RRClass.IN, ttl, rdata };
}
export function deleteRrset(name: string, type: number): ResourceRecord {
  return { name, type, class: RRClass.ANY, ttl: 0, rdata: new Uint8Array(0) };
}
export function deleteRecord(name: string, type: number, rdata: Uint8Array): ResourceRecord {
  return { name, type, class: RRClass.NONE, ttl: 0, rdata };
}
