/** Codecs for fixed-size and flat values: addresses, integers, flags, text, bytes, integer lists. */
import { toHex } from '../bytes.ts';
import { readIp, readU32, writeU32 } from '../ip.ts';
import {
  bad,
  checkArray,
  checkBytes,
  checkInt,
  checkIp,
  encodeText,
  hexToBytes,
  identity,
  textDecoder,
  type ValueCodec,
} from './codec.ts';

export const ip: ValueCodec<string> = {
  kind: 'ip',
  valid: (_b, _s, len) => len === 4,
  decodeAt: (b, start, len) => (len === 4 ? readIp(b, start) : undefined),
  decode: (b) => (b.length === 4 ? readIp(b, 0) : undefined),
  encode(v) {
    const out = new Uint8Array(4);
    writeU32(out, 0, checkIp(v));
    return out;
  },
  toJSON: identity,
};

/** A list of addresses; `group` 2 for lists of address pairs (options 21 and 33). */
export function ipList(group = 1, minCount = 1): ValueCodec<string[]> {
  const unit = 4 * group;
  return {
    kind: group === 1 ? 'ips' : 'ip-pairs',
    valid: (_b, _s, len) => len >= unit * minCount && len % unit === 0,
    decode(b) {
      if (b.length < unit * minCount || b.length % unit !== 0) return undefined;
      const out = new Array<string>(b.length >> 2);
      for (let i = 0; i < out.length; i++) out[i] = readIp(b, i << 2);
      return out;
    },
    encode(v) {
      const list = checkArray(v, group * minCount);
      if (list.length % group !== 0) bad(`expected pairs of addresses, got ${list.length}`);
      const out = new Uint8Array(list.length * 4);
      for (let i = 0; i < list.length; i++) writeU32(out, i * 4, checkIp(list[i]));
      return out;
    },
    toJSON: identity,
  };
}

export const ips = ipList(1);
export const ipPairs = ipList(2);
/** RFC 2132 §9.x style lists that may be empty (option 68: "no home agents"). */
export const ipsOrNone = ipList(1, 0);

/** An unsigned integer of `bytes` bytes, optionally limited to `min..max` (a value outside is impossible). */
export function uint(
  bytes: 1 | 2 | 4,
  min = 0,
  max = bytes === 4 ? 0xffffffff : (1 << (8 * bytes)) - 1,
): ValueCodec<number> {
  const read = (b: Uint8Array, start: number): number =>
    bytes === 1 ? b[start]! : bytes === 2 ? (b[start]! << 8) | b[start + 1]! : readU32(b, start);
  return {
    kind: `u${bytes * 8}`,
    valid: (b, start, len) => {
      if (len !== bytes) return false;
      const n = read(b, start);
      return n >= min && n <= max;
    },
    decodeAt(b, start, len) {
      if (len !== bytes) return undefined;
      const n = read(b, start);
      return n >= min && n <= max ? n : undefined;
    },
    decode(b) {
      return this.decodeAt!(b, 0, b.length);
    },
    encode(v) {
      const n = checkInt(v, min, max);
      const out = new Uint8Array(bytes);
      for (let i = bytes - 1, x = n; i >= 0; i--, x = Math.floor(x / 256)) out[i] = x & 255;
      return out;
    },
    toJSON: identity,
  };
}

export const u8 = uint(1);
export const u16 = uint(2);
export const u32 = uint(4);

export const i32: ValueCodec<number> = {
  kind: 'i32',
  valid: (_b, _s, len) => len === 4,
  decodeAt: (b, start, len) => (len === 4 ? readU32(b, start) | 0 : undefined),
  decode: (b) => (b.length === 4 ? readU32(b, 0) | 0 : undefined),
  encode(v) {
    const out = new Uint8Array(4);
    writeU32(out, 0, checkInt(v, -0x80000000, 0x7fffffff) >>> 0);
    return out;
  },
  toJSON: identity,
};

/** RFC 2132 §4 flags: one byte, 0 or 1 (anything else is not a boolean). */
export const bool: ValueCodec<boolean> = {
  kind: 'bool',
  valid: (b, start, len) => len === 1 && b[start]! <= 1,
  decodeAt: (b, start, len) => (len === 1 && b[start]! <= 1 ? b[start] === 1 : undefined),
  decode: (b) => (b.length === 1 && b[0]! <= 1 ? b[0] === 1 : undefined),
  encode(v) {
    if (typeof v !== 'boolean') bad(`expected a boolean, got ${typeof v}`);
    return Uint8Array.of(v ? 1 : 0);
  },
  toJSON: identity,
};

/** A zero-length option whose presence is the value (rapid commit, RFC 4039 §4). `false` removes it. */
export const flag: ValueCodec<boolean> = {
  kind: 'flag',
  valid: (_b, _s, len) => len === 0,
  decode: (b) => (b.length === 0 ? true : undefined),
  encode(v) {
    if (typeof v !== 'boolean') bad(`expected a boolean, got ${typeof v}`);
    return v ? new Uint8Array(0) : null;
  },
  toJSON: identity,
};

/**
 * NVT ASCII / UTF-8 text, at least one byte. RFC 2132 §2: a receiver MUST delete trailing NULs, so decode
 * strips them and encode refuses to write one.
 */
export const text: ValueCodec<string> = {
  kind: 'string',
  valid: (_b, _s, len) => len > 0,
  decode(b) {
    let end = b.length;
    while (end > 0 && b[end - 1] === 0) end--;
    if (b.length === 0) return undefined;
    let ascii = true;
    for (let i = 0; i < end; i++) if (b[i]! > 0x7f) ascii = false;
    if (!ascii) return textDecoder.decode(b.subarray(0, end));
    let s = '';
    for (let i = 0; i < end; i++) s += String.fromCharCode(b[i]!);
    return s;
  },
  encode(v) {
    if (typeof v !== 'string') bad(`expected a string, got ${typeof v}`);
    if (v.length === 0) bad('a text option needs at least one character');
    if (v.endsWith('\0')) bad('a text option must not end with NUL (RFC 2132 §2)');
    return encodeText(v);
  },
  toJSON: identity,
};

export function bytesOf(min = 0): ValueCodec<Uint8Array> {
  return {
    kind: 'bytes',
    valid: (_b, _s, len) => len >= min,
    decode: (b) => (b.length >= min ? b.slice() : undefined),
    encode(v) {
      const b = checkBytes(v);
      if (b.length < min) bad(`expected at least ${min} byte(s), got ${b.length}`);
      return new Uint8Array(b);
    },
    toJSON: (v) => toHex(v),
    fromJSON: hexToBytes,
  };
}

export const bytes = bytesOf(0);

export const u8List: ValueCodec<number[]> = {
  kind: 'u8-list',
  valid: (_b, _s, len) => len > 0,
  decode: (b) => (b.length > 0 ? Array.from(b) : undefined),
  encode(v) {
    const list = checkArray(v, 1);
    return Uint8Array.from(list, (x) => checkInt(x, 0, 255));
  },
  toJSON: identity,
};

export const u16List: ValueCodec<number[]> = {
  kind: 'u16-list',
  valid: (_b, _s, len) => len > 0 && len % 2 === 0,
  decode(b) {
    if (b.length === 0 || b.length % 2 !== 0) return undefined;
    const out: number[] = [];
    for (let i = 0; i < b.length; i += 2) out.push((b[i]! << 8) | b[i + 1]!);
    return out;
  },
  encode(v) {
    const list = checkArray(v, 1);
    const out = new Uint8Array(list.length * 2);
    list.forEach((x, i) => {
      const n = checkInt(x, 0, 0xffff);
      out[i * 2] = n >> 8;
      out[i * 2 + 1] = n & 255;
    });
    return out;
  },
  toJSON: identity,
};
