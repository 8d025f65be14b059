/**
 * The value codecs the option table is built from: one per wire type, each turning an option's raw bytes
 * into a typed value and back. `decode` returns undefined when the bytes cannot be of the type (a known
 * option of impossible length); `encode` throws DhcpEncodeError on an impossible value.
 */
import { fromHex, toHex } from './bytes.ts';
import { decodeNameList, encodeName, encodeNameList, decodeName } from './dns-name.ts';
import { DhcpEncodeError, describeValue } from './errors.ts';
import { parseIp, readIp, readU32, writeU32, prefixToMask } from './ip.ts';

export interface ValueCodec<T> {
  /** The wire type, as in docs/protocol.md: 'ip', 'ips', 'u8', ... */
  readonly kind: string;
  decode(b: Uint8Array): T | undefined;
  /**
   * A cheap `decode(value) !== undefined` on the value at `b[start, start + len)`, for the decoder's
   * per-packet check of known options without making a view.
   */
  valid?(b: Uint8Array, start: number, len: number): boolean;
  /** `decode` of the value at `b[start, start + len)` without a view, for the small fixed-size types. */
  decodeAt?(b: Uint8Array, start: number, len: number): T | undefined;
  /** The option's bytes; null means "no option" (only a false flag). */
  encode(v: T): Uint8Array | null;
  toJSON(v: T): unknown;
  /** The inverse of `toJSON` where it is not the identity (hex strings back to bytes); `encode` checks. */
  fromJSON?(j: unknown): unknown;
}

export type CodecValue<C> = C extends ValueCodec<infer T> ? T : never;

function bad(message: string): never {
  throw new DhcpEncodeError('ERR_BAD_OPTION_VALUE', message);
}

const identity = <T>(v: T): T => v;

/** Hex from JSON back to bytes; anything that is not hex is left for `encode` to refuse. */
function hexToBytes(j: unknown): unknown {
  return typeof j === 'string' ? (fromHex(j) ?? j) : j;
}

function mapArray(j: unknown, f: (x: unknown) => unknown): unknown {
  return Array.isArray(j) ? j.map(f) : j;
}

function field(j: unknown, key: string): unknown {
  return typeof j === 'object' && j !== null ? (j as Record<string, unknown>)[key] : undefined;
}

function checkInt(v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    bad(`expected an integer in ${min}..${max}, got ${describeValue(v)}`);
  }
  return v;
}

function checkIp(v: unknown): number {
  const n = typeof v === 'string' ? parseIp(v) : -1;
  if (n < 0) bad(`expected an IPv4 address, got ${describeValue(v)}`);
  return n;
}

function checkArray(v: unknown, min: number): unknown[] {
  if (!Array.isArray(v)) bad(`expected an array, got ${typeof v}`);
  if (v.length < min) bad(`expected at least ${min} item(s), got ${v.length}`);
  return v;
}

function checkBytes(v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) bad('expected a Uint8Array');
  return v;
}

const textDecoder = new TextDecoder('utf-8');
const textEncoder = new TextEncoder();

/** UTF-8 bytes of `s`; ASCII (nearly every option text) without TextEncoder's much slower call. */
function encodeText(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return textEncoder.encode(s);
    out[i] = c;
  }
  return out;
}

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

function checkNames(v: unknown): string[] {
  const list = checkArray(v, 1);
  for (const n of list) if (typeof n !== 'string') bad('expected domain names as strings');
  return list as string[];
}

function encodeNames(run: () => Uint8Array): Uint8Array {
  try {
    return run();
  } catch (err) {
    if (err instanceof DhcpEncodeError) throw err;
    return bad((err as Error).message);
  }
}

/** A list of domain names; `compress` for RFC 3397 §2 (option 119) style compression on encode. */
export function fqdnList(compress: boolean): ValueCodec<string[]> {
  return {
    kind: 'fqdn-list',
    decode: (b) => (b.length > 0 ? decodeNameList(b, true) : undefined),
    encode: (v) => encodeNames(() => encodeNameList(checkNames(v), compress)),
    toJSON: identity,
  };
}

/** A single uncompressed domain name. */
export const fqdn: ValueCodec<string> = {
  kind: 'fqdn',
  decode(b) {
    const r = b.length > 0 ? decodeName(b, 0, false) : undefined;
    return r && r.next === b.length ? r.name : undefined;
  },
  encode(v) {
    if (typeof v !== 'string') bad('expected a domain name');
    return encodeNames(() => encodeName(v, true));
  },
  toJSON: identity,
};

export interface ClasslessRoute {
  destination: string;
  prefixLength: number;
  router: string;
}

/** RFC 3442 §2: width, the significant octets of the destination, the router; 249 has the same shape. */
export const routes: ValueCodec<ClasslessRoute[]> = {
  kind: 'routes',
  decode(b) {
    if (b.length < 5) return undefined;
    const out: ClasslessRoute[] = [];
    let pos = 0;
    while (pos < b.length) {
      const width = b[pos]!;
      if (width > 32) return undefined;
      const significant = (width + 7) >> 3;
      if (pos + 1 + significant + 4 > b.length) return undefined;
      let dest = 0;
      for (let i = 0; i < 4; i++) dest = dest * 256 + (i < significant ? b[pos + 1 + i]! : 0);
      dest = (dest & prefixToMask(width)) >>> 0;
      const tmp = new Uint8Array(4);
      writeU32(tmp, 0, dest);
      out.push({
        destination: readIp(tmp, 0),
        prefixLength: width,
        router: readIp(b, pos + 1 + significant),
      });
      pos += 1 + significant + 4;
    }
    return out;
  },
  encode(v) {
    const list = checkArray(v, 1);
    const out: number[] = [];
    for (const item of list) {
      if (typeof item !== 'object' || item === null)
        bad('expected routes as { destination, prefixLength, router }');
      const r = item as Partial<ClasslessRoute>;
      const width = checkInt(r.prefixLength, 0, 32);
      const dest = checkIp(r.destination);
      const router = checkIp(r.router);
      if ((dest & ~prefixToMask(width)) !== 0) bad(`${r.destination}/${width} has host bits set`);
      out.push(width);
      for (let i = 0; i < (width + 7) >> 3; i++) out.push((dest >>> (24 - 8 * i)) & 255);
      out.push(router >>> 24, (router >>> 16) & 255, (router >>> 8) & 255, router & 255);
    }
    return Uint8Array.from(out);
  },
  toJSON: (v) => v.map((r) => ({ ...r })),
};

export interface SubOption {
  code: number;
  data: Uint8Array;
}

/** A TLV list with no PAD or END (RFC 3046 §2.0 sub-options; RFC 3925 vendor sub-options). */
export function decodeTlvs(b: Uint8Array): SubOption[] | undefined {
  const out: SubOption[] = [];
  let pos = 0;
  while (pos < b.length) {
    if (pos + 2 > b.length) return undefined;
    const len = b[pos + 1]!;
    if (pos + 2 + len > b.length) return undefined;
    out.push({ code: b[pos]!, data: b.slice(pos + 2, pos + 2 + len) });
    pos += 2 + len;
  }
  return out;
}

export function encodeTlvs(v: unknown, min: number): number[] {
  const list = checkArray(v, min);
  const out: number[] = [];
  for (const item of list) {
    if (typeof item !== 'object' || item === null) bad('expected sub-options as { code, data }');
    const s = item as Partial<SubOption>;
    const code = checkInt(s.code, 0, 255);
    const data = checkBytes(s.data);
    if (data.length > 255) bad(`sub-option ${code} is longer than 255 bytes`);
    out.push(code, data.length, ...data);
  }
  return out;
}

/** Option 82's sub-options with Kea's names (dhcp-agent-options-space) and types, for JSON. */
export const RELAY_SUBOPTIONS: Readonly<Record<number, { name: string; codec: ValueCodec<unknown> }>> = {
  1: { name: 'circuit-id', codec: bytes as ValueCodec<unknown> },
  2: { name: 'remote-id', codec: bytes as ValueCodec<unknown> },
  4: { name: 'docsis-device-class', codec: u32 as ValueCodec<unknown> },
  5: { name: 'link-selection', codec: ip as ValueCodec<unknown> },
  6: { name: 'subscriber-id', codec: text as ValueCodec<unknown> },
  7: { name: 'radius', codec: bytes as ValueCodec<unknown> },
  8: { name: 'auth', codec: bytes as ValueCodec<unknown> },
  9: { name: 'vendor-specific-info', codec: bytes as ValueCodec<unknown> },
  10: { name: 'relay-flags', codec: u8 as ValueCodec<unknown> },
  11: { name: 'server-id-override', codec: ip as ValueCodec<unknown> },
  12: { name: 'relay-id', codec: bytes as ValueCodec<unknown> },
  19: { name: 'relay-port', codec: u16 as ValueCodec<unknown> },
};

export const RELAY_SUBOPTION_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(RELAY_SUBOPTIONS).map(([code, d]) => [code, d.name]),
);

/** Sub-options keyed by name (or 'sub-option-<code>'), typed where the table knows them, else hex. */
function subOptionsJSON(v: SubOption[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of v) {
    const d = RELAY_SUBOPTIONS[s.code];
    const typed = d?.codec.decode(s.data);
    const value = d !== undefined && typed !== undefined ? d.codec.toJSON(typed) : toHex(s.data);
    const key = d?.name ?? `sub-option-${s.code}`;
    const prev = out[key];
    out[key] =
      prev === undefined ? value : Array.isArray(prev) ? [...(prev as unknown[]), value] : [prev, value];
  }
  return out;
}

const RELAY_CODES = new Map(Object.entries(RELAY_SUBOPTIONS).map(([code, d]) => [d.name, Number(code)]));

/**
 * The inverse of subOptionsJSON: keys to codes, typed values through their codec, hex for the rest (a known
 * sub-option whose bytes did not fit its type was printed as hex). Repeats come back grouped by code.
 */
function subOptionsFromJSON(j: unknown): unknown {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) return j;
  const out: SubOption[] = [];
  for (const [key, value] of Object.entries(j)) {
    const code = RELAY_CODES.get(key) ?? (key.startsWith('sub-option-') ? Number(key.slice(11)) : NaN);
    const d = RELAY_SUBOPTIONS[code];
    for (const v of Array.isArray(value) ? value : [value]) {
      let data: Uint8Array | null | undefined;
      if (d !== undefined && d.codec !== bytes) {
        try {
          data = d.codec.encode(v);
        } catch (err) {
          if (!(err instanceof DhcpEncodeError)) throw err;
        }
      }
      data ??= typeof v === 'string' ? fromHex(v) : undefined;
      if (data === undefined || data === null) bad(`sub-option ${key}: cannot read ${describeValue(v)}`);
      out.push({ code, data });
    }
  }
  return out;
}

/** Option 82, RFC 3046 §2.0: at least one sub-option. */
export const subOptions: ValueCodec<SubOption[]> = {
  kind: 'sub-options',
  decode: (b) => (b.length >= 2 ? decodeTlvs(b) : undefined),
  encode: (v) => Uint8Array.from(encodeTlvs(v, 1)),
  toJSON: (v) => subOptionsJSON(v),
  fromJSON: subOptionsFromJSON,
};

/** Option 81, RFC 4702 §2. */
export interface ClientFqdn {
  /** S (0x01), O (0x02), E (0x04), N (0x08). */
  flags: number;
  rcode1: number;
  rcode2: number;
  /**
   * With E set, the name in canonical wire form: a fully qualified name ends with '.', a partial one
   * (RFC 4702 §2.3.1, no root label) does not: 'host' or 'host.example.com.'. Without E, the
   * deprecated ASCII text as sent.
   */
  name: string;
}

export const FQDN_FLAG_S = 0x01;
export const FQDN_FLAG_O = 0x02;
export const FQDN_FLAG_E = 0x04;
export const FQDN_FLAG_N = 0x08;

export const clientFqdn: ValueCodec<ClientFqdn> = {
  kind: 'client-fqdn',
  decode(b) {
    if (b.length < 3) return undefined;
    const flags = b[0]!;
    const base = { flags, rcode1: b[1]!, rcode2: b[2]! };
    if ((flags & FQDN_FLAG_E) === 0) {
      let name = '';
      for (let i = 3; i < b.length; i++) name += String.fromCharCode(b[i]!);
      return { ...base, name };
    }
    // A partial name has no root label: read labels until the data ends.
    const body = b.subarray(3);
    let pos = 0;
    const labels: string[] = [];
    while (pos < body.length) {
      const len = body[pos]!;
      if (len === 0) {
        if (pos + 1 !== body.length) return undefined;
        return { ...base, name: labels.length === 0 ? '.' : `${labels.join('.')}.` };
      }
      if (len > 63 || pos + 1 + len > body.length) return undefined;
      let label = '';
      for (let i = pos + 1; i <= pos + len; i++) label += String.fromCharCode(body[i]!);
      labels.push(label);
      pos += 1 + len;
    }
    return { ...base, name: labels.join('.') };
  },
  encode(v) {
    if (typeof v !== 'object' || v === null) bad('expected { flags, rcode1, rcode2, name }');
    const flags = checkInt(v.flags, 0, 255);
    const head = [flags, checkInt(v.rcode1, 0, 255), checkInt(v.rcode2, 0, 255)];
    if (typeof v.name !== 'string') bad('expected fqdn.name as a string');
    let body: Uint8Array;
    if ((flags & FQDN_FLAG_E) === 0) {
      body = encodeText(v.name);
    } else {
      const name = v.name;
      const full = name.endsWith('.');
      body = encodeNames(() => encodeName(name === '.' ? '' : name, full));
    }
    if (body.length > 252) bad('fqdn is longer than 252 bytes');
    const out = new Uint8Array(3 + body.length);
    out.set(head, 0);
    out.set(body, 3);
    return out;
  },
  toJSON: (v) => ({ ...v }),
};

/** Length-prefixed opaque items (RFC 3004 §4 user class instances). */
function decodeItems(b: Uint8Array, start: number, end: number): Uint8Array[] | undefined {
  const out: Uint8Array[] = [];
  let pos = start;
  while (pos < end) {
    const len = b[pos]!;
    if (len === 0 || pos + 1 + len > end) return undefined;
    out.push(b.slice(pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return out;
}

function encodeItems(v: unknown): number[] {
  const list = checkArray(v, 1);
  const out: number[] = [];
  for (const item of list) {
    const b = checkBytes(item);
    if (b.length === 0 || b.length > 255) bad('each item needs 1..255 bytes');
    out.push(b.length, ...b);
  }
  return out;
}

/** Option 77, RFC 3004 §4: one or more user class instances. */
export const userClasses: ValueCodec<Uint8Array[]> = {
  kind: 'user-classes',
  decode: (b) => (b.length >= 2 ? decodeItems(b, 0, b.length) : undefined),
  encode: (v) => Uint8Array.from(encodeItems(v)),
  toJSON: (v) => v.map((x) => toHex(x)),
  fromJSON: (j) => mapArray(j, hexToBytes),
};

export interface VendorClass {
  enterprise: number;
  data: Uint8Array[];
}

/** Option 124, RFC 3925 §3: per enterprise number, a length-prefixed block of vendor class data items. */
export const vendorClasses: ValueCodec<VendorClass[]> = {
  kind: 'vendor-classes',
  decode(b) {
    if (b.length < 5) return undefined;
    const out: VendorClass[] = [];
    let pos = 0;
    while (pos < b.length) {
      if (pos + 5 > b.length) return undefined;
      const enterprise = readU32(b, pos);
      const len = b[pos + 4]!;
      if (pos + 5 + len > b.length) return undefined;
      const data = decodeItems(b, pos + 5, pos + 5 + len);
      if (data === undefined) return undefined;
      out.push({ enterprise, data });
      pos += 5 + len;
    }
    return out;
  },
  encode(v) {
    const out: number[] = [];
    for (const item of checkArray(v, 1)) {
      if (typeof item !== 'object' || item === null) bad('expected { enterprise, ... } items');
      const c = item as Partial<VendorClass>;
      const enterprise = checkInt(c.enterprise, 0, 0xffffffff);
      const body =
        c.data === undefined || (Array.isArray(c.data) && c.data.length === 0) ? [] : encodeItems(c.data);
      if (body.length > 255) bad(`vendor class data for ${enterprise} is longer than 255 bytes`);
      out.push(enterprise >>> 24, (enterprise >>> 16) & 255, (enterprise >>> 8) & 255, enterprise & 255);
      out.push(body.length, ...body);
    }
    return Uint8Array.from(out);
  },
  toJSON: (v) => v.map((c) => ({ enterprise: c.enterprise, data: c.data.map((d) => toHex(d)) })),
  fromJSON: (j) =>
    mapArray(j, (c) => ({
      enterprise: field(c, 'enterprise'),
      data: mapArray(field(c, 'data'), hexToBytes),
    })),
};

export interface VendorOptions {
  enterprise: number;
  options: SubOption[];
}

/** Option 125, RFC 3925 §4: per enterprise number, a length-prefixed block of sub-options. */
export const vendorOptions: ValueCodec<VendorOptions[]> = {
  kind: 'vendor-options',
  decode(b) {
    if (b.length < 5) return undefined;
    const out: VendorOptions[] = [];
    let pos = 0;
    while (pos < b.length) {
      if (pos + 5 > b.length) return undefined;
      const enterprise = readU32(b, pos);
      const len = b[pos + 4]!;
      if (pos + 5 + len > b.length) return undefined;
      const options = decodeTlvs(b.subarray(pos + 5, pos + 5 + len));
      if (options === undefined) return undefined;
      out.push({ enterprise, options });
      pos += 5 + len;
    }
    return out;
  },
  encode(v) {
    const out: number[] = [];
    for (const item of checkArray(v, 1)) {
      if (typeof item !== 'object' || item === null) bad('expected { enterprise, ... } items');
      const c = item as Partial<VendorOptions>;
      const enterprise = checkInt(c.enterprise, 0, 0xffffffff);
      const body =
        c.options === undefined || (Array.isArray(c.options) && c.options.length === 0)
          ? []
          : encodeTlvs(c.options, 0);
      if (body.length > 255) bad(`vendor options for ${enterprise} are longer than 255 bytes`);
      out.push(enterprise >>> 24, (enterprise >>> 16) & 255, (enterprise >>> 8) & 255, enterprise & 255);
      out.push(body.length, ...body);
    }
    return Uint8Array.from(out);
  },
  toJSON: (v) =>
    v.map((c) => ({
      enterprise: c.enterprise,
      options: c.options.map((s) => ({ code: s.code, data: toHex(s.data) })),
    })),
  fromJSON: (j) =>
    mapArray(j, (c) => ({
      enterprise: field(c, 'enterprise'),
      options: mapArray(field(c, 'options'), (o) => ({
        code: field(o, 'code'),
        data: hexToBytes(field(o, 'data')),
      })),
    })),
};
