/** Codecs for nested TLVs and length-prefixed items: relay agent sub-options (82), user class (77), V-I vendor class and options (124, 125). */
import { fromHex, toHex } from '../bytes.ts';
import { DhcpEncodeError, describeValue } from '../errors.ts';
import { readU32 } from '../ip.ts';
import {
  bad,
  checkArray,
  checkBytes,
  checkInt,
  field,
  hexToBytes,
  mapArray,
  type ValueCodec,
} from './codec.ts';
import { bytes, ip, text, u16, u32, u8 } from './scalar.ts';

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

/**
 * RFC 3925 §3 and §4: a run of blocks, each a 32-bit enterprise number, a length byte and that many bytes of body.
 * `decodeBody` reads a body (undefined: malformed), which each block carries as `key`.
 */
function decodeEnterpriseBlocks<K extends string, D>(
  b: Uint8Array,
  key: K,
  decodeBody: (body: Uint8Array) => D | undefined,
): ({ enterprise: number } & Record<K, D>)[] | undefined {
  if (b.length < 5) return undefined;
  const out: ({ enterprise: number } & Record<K, D>)[] = [];
  let pos = 0;
  while (pos < b.length) {
    if (pos + 5 > b.length) return undefined;
    const enterprise = readU32(b, pos);
    const len = b[pos + 4]!;
    if (pos + 5 + len > b.length) return undefined;
    const body = decodeBody(b.subarray(pos + 5, pos + 5 + len));
    if (body === undefined) return undefined;
    out.push({ enterprise, [key]: body } as { enterprise: number } & Record<K, D>);
    pos += 5 + len;
  }
  return out;
}

/** The inverse of `decodeEnterpriseBlocks`: `encodeBody` gives a block's body and the error for one too long. */
function encodeEnterpriseBlocks<T extends { enterprise: number }>(
  v: unknown,
  encodeBody: (item: Partial<T>, enterprise: number) => { body: number[]; tooLong: string },
): Uint8Array {
  const out: number[] = [];
  for (const item of checkArray(v, 1)) {
    if (typeof item !== 'object' || item === null) bad('expected { enterprise, ... } items');
    const c = item as Partial<T>;
    const enterprise = checkInt(c.enterprise, 0, 0xffffffff);
    const { body, tooLong } = encodeBody(c, enterprise);
    if (body.length > 255) bad(tooLong);
    out.push(enterprise >>> 24, (enterprise >>> 16) & 255, (enterprise >>> 8) & 255, enterprise & 255);
    out.push(body.length, ...body);
  }
  return Uint8Array.from(out);
}

export interface VendorClass {
  enterprise: number;
  data: Uint8Array[];
}

/** Option 124, RFC 3925 §3: per enterprise number, a length-prefixed block of vendor class data items. */
export const vendorClasses: ValueCodec<VendorClass[]> = {
  kind: 'vendor-classes',
  decode: (b) => decodeEnterpriseBlocks(b, 'data', (body) => decodeItems(body, 0, body.length)),
  encode: (v) =>
    encodeEnterpriseBlocks(v, (c: Partial<VendorClass>, enterprise) => ({
      body: c.data === undefined || (Array.isArray(c.data) && c.data.length === 0) ? [] : encodeItems(c.data),
      tooLong: `vendor class data for ${enterprise} is longer than 255 bytes`,
    })),
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
  decode: (b) => decodeEnterpriseBlocks(b, 'options', decodeTlvs),
  encode: (v) =>
    encodeEnterpriseBlocks(v, (c: Partial<VendorOptions>, enterprise) => ({
      body:
        c.options === undefined || (Array.isArray(c.options) && c.options.length === 0)
          ? []
          : encodeTlvs(c.options, 0),
      tooLong: `vendor options for ${enterprise} are longer than 255 bytes`,
    })),
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
