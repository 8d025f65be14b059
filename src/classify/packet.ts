/**
 * What an expression reads from a request, and the byte-level helpers its operators share. Values are
 * "binary strings": one character per byte (0..255), as Kea's evaluator works on std::string.
 */
import type { DhcpMessage } from '../protocol/index.ts';
import { definitionByCode } from '../protocol/index.ts';

/** The classes a request is in so far. */
export interface ClassMembership {
  has(name: string): boolean;
}

/** One request as the classifier sees it. */
export interface EvalPacket {
  readonly msg: DhcpMessage;
  /** The receiving interface (`pkt.iface`). */
  readonly iface: string;
  /** The datagram's source address (`pkt.src`), dotted. */
  readonly src: string;
  /** The datagram's destination address (`pkt.dst`), dotted. */
  readonly dst: string;
  /** The DHCP payload's length in bytes (`pkt.len`). */
  readonly length: number;
  /** Classes assigned so far (`member('X')`). */
  readonly classes: ClassMembership;
}

/** Bytes as a binary string. */
export function binary(b: Uint8Array): string {
  if (b.length <= 1024) return String.fromCharCode.apply(null, b as unknown as number[]);
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}

/** A binary string as bytes (each character's low 8 bits). */
export function bytesOf(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'latin1'));
}

/** The 4-byte forms of 0..255 (hlen, htype, message types), made once. */
const SMALL_UINT32 = Array.from({ length: 256 }, (_, n) => String.fromCharCode(0, 0, 0, n));

/** A 32-bit unsigned integer as 4 bytes, network order (Kea's EvalContext::fromUint32). */
export function uint32Binary(n: number): string {
  if (n >= 0 && n < 256) return SMALL_UINT32[n]!;
  return String.fromCharCode((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

/** The value of the first sub-option `code` in a TLV list (RFC 3046 §2.0 layout), or undefined. */
export function subOption(b: Uint8Array, code: number): Uint8Array | undefined {
  let pos = 0;
  while (pos + 2 <= b.length) {
    const len = b[pos + 1]!;
    if (pos + 2 + len > b.length) return undefined;
    if (b[pos] === code) return b.subarray(pos + 2, pos + 2 + len);
    pos += 2 + len;
  }
  return undefined;
}

/** Follows a path of sub-option codes from an option's value. */
export function followPath(b: Uint8Array | undefined, path: readonly number[]): Uint8Array | undefined {
  let cur = b;
  for (let i = 0; i < path.length && cur !== undefined; i++) cur = subOption(cur, path[i]!);
  return cur;
}

/**
 * One enterprise's block of an RFC 3925 option (124 or 125): enterprise 0 means the first block.
 * Returns the enterprise number and its data, or undefined when absent or malformed.
 */
export function vendorBlock(
  b: Uint8Array | undefined,
  enterprise: number,
): { enterprise: number; data: Uint8Array } | undefined {
  if (b === undefined) return undefined;
  let pos = 0;
  while (pos + 5 <= b.length) {
    const id = ((b[pos]! << 24) | (b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!) >>> 0;
    const len = b[pos + 4]!;
    if (pos + 5 + len > b.length) return undefined;
    if (enterprise === 0 || id === enterprise)
      return { enterprise: id, data: b.subarray(pos + 5, pos + 5 + len) };
    pos += 5 + len;
  }
  return undefined;
}

/** Item `index` of a list of length-prefixed items (RFC 3925 §3 vendor class data), or undefined. */
export function lengthPrefixedItem(b: Uint8Array, index: number): Uint8Array | undefined {
  let pos = 0;
  let n = 0;
  while (pos < b.length) {
    const len = b[pos]!;
    if (pos + 1 + len > b.length) return undefined;
    if (n === index) return b.subarray(pos + 1, pos + 1 + len);
    pos += 1 + len;
    n++;
  }
  return undefined;
}

/** Option types whose `.text` is formatted (dotted, decimal, true/false) rather than the bytes. */
const FORMATTED = new Set([
  'ip',
  'ips',
  'ip-pairs',
  'u8',
  'u16',
  'u32',
  'i32',
  'bool',
  'u8-list',
  'u16-list',
]);

/** Whether `option[code].text` is always the option's bytes (a string type, or a sub-option). */
export function textIsBytes(code: number, inner: boolean): boolean {
  if (inner) return true;
  const def = definitionByCode(code);
  return def === undefined || !FORMATTED.has(def.type);
}

/**
 * `option[N].text`: strings as they are, addresses dotted (comma-separated for lists), integers in
 * decimal, booleans as true/false; anything else as its bytes. Sub-options (`inner`) have no type here.
 */
export function optionText(code: number, b: Uint8Array, inner: boolean): string {
  if (textIsBytes(code, inner)) return binary(b);
  const v = definitionByCode(code)!.codec.decode(b);
  if (v !== undefined) return Array.isArray(v) ? v.join(',') : String(v);
  return binary(b);
}
