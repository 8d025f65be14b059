import {
  BOOTP_MIN_SIZE,
  DEFAULT_MAX_MESSAGE_SIZE,
  FILE_OFFSET,
  FILE_SIZE,
  IP_UDP_OVERHEAD,
  OPTION_END,
  OPTIONS_OFFSET,
  SNAME_OFFSET,
  SNAME_SIZE,
} from './constants.ts';
import { DhcpEncodeError, describeValue } from './errors.ts';
import { parseIp } from './ip.ts';
import type { DhcpMessage } from './message.ts';

export interface EncodeOptions {
  /**
   * The largest IP datagram the peer accepts: the client's option 57 (RFC 2132 §9.10), default and minimum
   * 576. The DHCP message itself may use this minus 28 bytes of IP and UDP headers.
   */
  maxSize?: number;
}

const OVERLOAD = 52;
const MESSAGE_TYPE = 53;
const RELAY_AGENT = 82;

/** The typed-array fill: for a few hundred zero bytes, cheaper than Buffer#fill's binding call. */
const fillBytes = Uint8Array.prototype.fill;

/**
 * Node's `markAsUntransferable`, looked up at run time so the codec imports no `node:*` module (it also runs
 * in browsers and userspace stacks, where nothing can transfer a slab to a worker anyway).
 */
const markAsUntransferable: ((ab: ArrayBuffer) => void) | undefined = (
  globalThis as {
    process?: { getBuiltinModule?: (id: string) => { markAsUntransferable?: (ab: ArrayBuffer) => void } };
  }
).process?.getBuiltinModule?.('node:worker_threads')?.markAsUntransferable;

const SLAB_SIZE = 64 * 1024;
let slab = newSlab();
let slabUsed = 0;

function newSlab(): ArrayBuffer {
  const ab = new ArrayBuffer(SLAB_SIZE);
  // As Node does with its Buffer pool: transferring it would detach every message carved from it.
  markAsUntransferable?.(ab);
  return ab;
}

/**
 * An uninitialised Buffer of `size` bytes carved from a shared slab, like Buffer.allocUnsafe's pool but
 * larger, so that a new backing store is made every couple of hundred messages rather than every 27.
 */
function slabBuffer(size: number): Buffer {
  if (size > SLAB_SIZE / 8) return Buffer.allocUnsafe(size);
  if (slabUsed + size > SLAB_SIZE) {
    slab = newSlab();
    slabUsed = 0;
  }
  const buf = Buffer.from(slab, slabUsed, size);
  slabUsed += (size + 7) & ~7;
  return buf;
}

function badField(message: string): never {
  throw new DhcpEncodeError('ERR_ENCODE_BAD_FIELD', message);
}

function checkUint(name: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max)
    badField(`${name} must be an integer in 0..${max}, got ${describeValue(v)}`);
  return v;
}

function writeIpField(buf: Buffer, off: number, name: string, ip: string): void {
  if (ip === '0.0.0.0') {
    buf[off] = buf[off + 1] = buf[off + 2] = buf[off + 3] = 0;
    return;
  }
  const n = parseIp(ip);
  if (n < 0) badField(`${name} is not an IPv4 address: ${describeValue(ip)}`);
  buf[off] = n >>> 24;
  buf[off + 1] = n >>> 16;
  buf[off + 2] = n >>> 8;
  buf[off + 3] = n;
}

/**
 * The last giaddr written and its value: a relay's replies all go back to it (perfdhcp is one relay), and
 * decode hands every request from it the same text, so the reply's giaddr is parsed once per relay.
 */
let lastGiaddrText = '0.0.0.0';
let lastGiaddr = 0;

function writeGiaddr(buf: Buffer, ip: string): void {
  if (ip !== lastGiaddrText) {
    const n = parseIp(ip);
    if (n < 0) badField(`giaddr is not an IPv4 address: ${describeValue(ip)}`);
    lastGiaddrText = ip;
    lastGiaddr = n;
  }
  const n = lastGiaddr;
  buf[24] = n >>> 24;
  buf[25] = n >>> 16;
  buf[26] = n >>> 8;
  buf[27] = n;
}

const utf8 = new TextEncoder();

function writeText(buf: Buffer, off: number, size: number, name: string, s: string): void {
  if (s === '') return;
  if (typeof s !== 'string') badField(`${name} must be a string`);
  const r = utf8.encodeInto(s, buf.subarray(off, off + size));
  if (r.read < s.length) badField(`${name} does not fit its ${size}-byte field`);
}

/** Bytes a value takes as options: 2 per 255-byte piece (RFC 3396 splitting), 2 for an empty one. */
function tlvSize(len: number): number {
  return len === 0 ? 2 : len + 2 * Math.ceil(len / 255);
}

/** Writes one value as one or more TLVs of at most 255 bytes. */
function writeTlvs(buf: Buffer, pos: number, code: number, value: Uint8Array): number {
  if (value.length === 0) {
    buf[pos] = code;
    buf[pos + 1] = 0;
    return pos + 2;
  }
  const len = value.length;
  if (len <= 16) {
    // Short values: a byte loop beats set()'s call overhead.
    buf[pos] = code;
    buf[pos + 1] = len;
    for (let i = 0; i < len; i++) buf[pos + 2 + i] = value[i]!;
    return pos + 2 + len;
  }
  if (len <= 255) {
    buf[pos] = code;
    buf[pos + 1] = len;
    buf.set(value, pos + 2);
    return pos + 2 + len;
  }
  for (let off = 0; off < len; off += 255) {
    const chunk = Math.min(255, len - off);
    buf[pos] = code;
    buf[pos + 1] = chunk;
    buf.set(value.subarray(off, off + chunk), pos + 2);
    pos += 2 + chunk;
  }
  return pos;
}

/**
 * Encodes a message: option 53 first, option 82 last (RFC 3046 §2.1), values over 255 bytes split (RFC
 * 3396), padded to 300 bytes (RFC 1542 §2.1). Options that do not fit `maxSize` overflow into file, then
 * sname, announced by option 52 (RFC 2131 §4.1); the encoder owns option 52 and ignores one set by hand.
 */
export function encodeMessage(msg: DhcpMessage, opts?: EncodeOptions): Buffer {
  const maxSize = Math.min(
    Math.max(opts?.maxSize ?? DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_MESSAGE_SIZE),
    65535,
  );
  if (Number.isNaN(maxSize)) badField('maxSize is not a number');
  const limit = maxSize - IP_UDP_OVERHEAD;

  const options = msg.options;
  const count = options.size;
  let total = 0;
  let relay: Uint8Array | undefined;
  let type: Uint8Array | undefined;
  for (let i = 0; i < count; i++) {
    const code = options.codeAt(i);
    if (code === OVERLOAD) continue;
    if (code === RELAY_AGENT) relay = options.rawAt(i);
    else if (code === MESSAGE_TYPE) type = options.rawAt(i);
    total += tlvSize(options.lengthAt(i));
  }

  if (OPTIONS_OFFSET + total + 1 <= limit) {
    const end = OPTIONS_OFFSET + total + 1;
    const size = end > BOOTP_MIN_SIZE ? end : BOOTP_MIN_SIZE;
    const buf = slabBuffer(size);
    writeHeader(buf, msg, true, true);
    let pos = OPTIONS_OFFSET;
    if (type !== undefined) pos = writeTlvs(buf, pos, MESSAGE_TYPE, type);
    for (let i = 0; i < count; i++) {
      const code = options.codeAt(i);
      if (code === MESSAGE_TYPE || code === RELAY_AGENT || code === OVERLOAD) continue;
      pos = writeTlvs(buf, pos, code, options.rawAt(i));
    }
    if (relay !== undefined) pos = writeTlvs(buf, pos, RELAY_AGENT, relay);
    buf[pos++] = OPTION_END;
    if (pos < size) fillBytes.call(buf, 0, pos, size);
    return buf;
  }
  return encodeOverloaded(msg, limit, type, relay);
}

function writeHeader(buf: Buffer, msg: DhcpMessage, sname: boolean, file: boolean): void {
  // Bytes 0-27 and the cookie are all written below; zero chaddr, sname and file.
  fillBytes.call(buf, 0, 28, 236);
  buf[0] = checkUint('op', msg.op, 255);
  buf[1] = checkUint('htype', msg.htype, 255);
  buf[2] = checkUint('hlen', msg.hlen, 16);
  buf[3] = checkUint('hops', msg.hops, 255);
  const xid = checkUint('xid', msg.xid, 0xffffffff);
  buf[4] = xid >>> 24;
  buf[5] = xid >>> 16;
  buf[6] = xid >>> 8;
  buf[7] = xid;
  const secs = checkUint('secs', msg.secs, 0xffff);
  buf[8] = secs >>> 8;
  buf[9] = secs;
  const flags = checkUint('flags', msg.flags, 0xffff);
  buf[10] = flags >>> 8;
  buf[11] = flags;
  writeIpField(buf, 12, 'ciaddr', msg.ciaddr);
  writeIpField(buf, 16, 'yiaddr', msg.yiaddr);
  writeIpField(buf, 20, 'siaddr', msg.siaddr);
  writeGiaddr(buf, msg.giaddr);
  const chaddr = msg.chaddr;
  if (!(chaddr instanceof Uint8Array) || chaddr.length > 16)
    badField('chaddr must be a Uint8Array of at most 16 bytes');
  for (let i = 0; i < chaddr.length; i++) buf[28 + i] = chaddr[i]!;
  if (sname) writeText(buf, SNAME_OFFSET, SNAME_SIZE, 'sname', msg.sname);
  if (file) writeText(buf, FILE_OFFSET, FILE_SIZE, 'file', msg.file);
  buf[236] = 99;
  buf[237] = 130;
  buf[238] = 83;
  buf[239] = 99;
}

interface Piece {
  code: number;
  value: Uint8Array;
}

interface Item extends Piece {
  size: number;
}

/** The most value bytes that fit `room` bytes as options (2 header bytes per 255-byte piece). */
function maxData(room: number, remaining: number): number {
  const full = Math.floor(room / 257);
  const rest = room - full * 257;
  return Math.min(remaining, full * 255 + Math.max(0, rest - 2));
}

/**
 * Assigns options to fields with `rooms` bytes free. With `wholeFirst`, the largest options are placed
 * first, each whole in the first field it fits, so that only options too big for any field's room are
 * split across fields (RFC 3396 allows that, but not every peer joins options across fields: Wireshark 4
 * does not). What is left fills the remaining room in field order. Undefined when it does not fit.
 */
function place(items: readonly Item[], rooms: readonly number[], wholeFirst: boolean): Piece[][] | undefined {
  const room = rooms.slice();
  const pieces: Piece[][] = rooms.map(() => []);
  const wholeIn = new Array<number>(items.length).fill(-1);
  if (wholeFirst) {
    const bySize = items.map((_, i) => i).sort((a, b) => items[b]!.size - items[a]!.size || a - b);
    for (const i of bySize) {
      const f = room.findIndex((r) => r >= items[i]!.size);
      if (f < 0) continue;
      wholeIn[i] = f;
      room[f]! -= items[i]!.size;
    }
  }
  items.forEach((it, i) => {
    if (wholeIn[i]! >= 0) pieces[wholeIn[i]!]!.push(it);
  });
  let f = 0;
  for (let i = 0; i < items.length; i++) {
    if (wholeIn[i]! >= 0) continue;
    const { code, value } = items[i]!;
    if (value.length === 0) {
      while (f < room.length && room[f]! < 2) f++;
      if (f === room.length) return undefined;
      pieces[f]!.push({ code, value });
      room[f]! -= 2;
      continue;
    }
    for (let off = 0; off < value.length;) {
      while (f < room.length && room[f]! < 3) f++;
      if (f === room.length) return undefined;
      const n = maxData(room[f]!, value.length - off);
      pieces[f]!.push({ code, value: value.subarray(off, off + n) });
      room[f]! -= tlvSize(n);
      off += n;
    }
  }
  return pieces;
}

/**
 * The overflow path (RFC 2131 §4.1): option 53 and 52 open the options field, 82 and END close it; the
 * other options go where `place` puts them, `file` before `sname`, each field ending with END.
 */
function encodeOverloaded(
  msg: DhcpMessage,
  limit: number,
  type: Uint8Array | undefined,
  relay: Uint8Array | undefined,
): Buffer {
  const tooLarge = (): never => {
    throw new DhcpEncodeError(
      'ERR_ENCODE_MESSAGE_TOO_LARGE',
      `options do not fit in ${limit + IP_UDP_OVERHEAD} bytes even with sname/file overload`,
    );
  };
  const buf = Buffer.alloc(limit);
  writeHeader(buf, msg, msg.sname !== '', msg.file !== '');
  let pos = OPTIONS_OFFSET;
  if (type !== undefined) pos = writeTlvs(buf, pos, MESSAGE_TYPE, type);
  const overloadAt = pos;
  pos += 3;
  const mainEnd = limit - 1 - (relay === undefined ? 0 : tlvSize(relay.length));
  if (pos > mainEnd) tooLarge();

  // Field starts and rooms (END kept out of each room): options, then file and sname when empty.
  const starts = [pos];
  const rooms = [mainEnd - pos];
  if (msg.file === '') {
    starts.push(FILE_OFFSET);
    rooms.push(FILE_SIZE - 1);
  }
  if (msg.sname === '') {
    starts.push(SNAME_OFFSET);
    rooms.push(SNAME_SIZE - 1);
  }
  const items: Item[] = [];
  for (let i = 0; i < msg.options.size; i++) {
    const code = msg.options.codeAt(i);
    if (code === MESSAGE_TYPE || code === RELAY_AGENT || code === OVERLOAD) continue;
    const value = msg.options.rawAt(i);
    items.push({ code, value, size: tlvSize(value.length) });
  }
  const pieces = place(items, rooms, true) ?? place(items, rooms, false) ?? tooLarge();

  // RFC 2132 §9.3: 1 = file holds options, 2 = sname, 3 = both.
  let overload = 0;
  for (let f = 0; f < pieces.length; f++) {
    let at = starts[f]!;
    for (const p of pieces[f]!) at = writeTlvs(buf, at, p.code, p.value);
    if (f === 0) {
      if (relay !== undefined) at = writeTlvs(buf, at, RELAY_AGENT, relay);
      pos = at;
    } else if (pieces[f]!.length > 0) {
      overload |= starts[f] === FILE_OFFSET ? 1 : 2;
    }
    if (f === 0 || pieces[f]!.length > 0) buf[at] = OPTION_END;
  }
  buf[overloadAt] = OVERLOAD;
  buf[overloadAt + 1] = 1;
  buf[overloadAt + 2] = overload;
  return buf.subarray(0, Math.max(pos + 1, BOOTP_MIN_SIZE));
}
