/**
 * What an expression reads from a request, and the byte-level helpers its operators share. Values are
 * "binary strings": one character per byte (0..255), as Kea's evaluator works on std::string.
 */
import type { DhcpMessage } from '../protocol/index.ts';

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

/*
 * RFC 3925 options as Kea 2.2 reads them, which is what `vendor[...]` and `vendor-class[...]` see. Kea
 * keeps one enterprise number per option, the first block's: an expression naming enterprise E
 * matches only when the first block is E's. Bytes Kea cannot parse make the option absent.
 */

function uint32At(b: Uint8Array, pos: number): number {
  return ((b[pos]! << 24) | (b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!) >>> 0;
}

/**
 * Option 125 as Kea 2.2 reads it (checked against kea-dhcp4 2.2.0): the first block only, its enterprise
 * number and its sub-options; later blocks are not seen. Returns the first sub-option `code` (for -1, an
 * empty view when the option parses), or undefined when absent or when the first block is malformed
 * (Kea then has no option 125).
 */
export function vivsoSubOption(b: Uint8Array | undefined, code: number): Uint8Array | undefined {
  if (b === undefined || b.length < 5) return undefined;
  const end = 5 + b[4]!;
  if (end > b.length) return undefined;
  let found: Uint8Array | undefined = code < 0 ? b.subarray(5, 5) : undefined;
  for (let pos = 5; pos < end;) {
    if (pos + 2 > end) return undefined;
    const len = b[pos + 1]!;
    if (pos + 2 + len > end) return undefined;
    if (found === undefined && b[pos] === code) found = b.subarray(pos + 2, pos + 2 + len);
    pos += 2 + len;
  }
  return found;
}

/** The enterprise number of option 125 as Kea reads it, or -1 when absent or unparsable. */
export function vivsoEnterprise(b: Uint8Array | undefined): number {
  return vivsoSubOption(b, -1) === undefined ? -1 : uint32At(b!, 0);
}

/**
 * Option 124 (Kea's OptionVendorClass::unpack, DHCPv4): the first enterprise number, then one tuple per
 * block, each a block's whole vendor-class-data (its inner length-prefixed items not split), the later
 * blocks' enterprise numbers skipped. Returns tuple `index` (for -1, an empty view when the option
 * parses), or undefined when there is no such tuple or Kea would refuse the bytes.
 */
export function vivcoTuple(b: Uint8Array | undefined, index: number): Uint8Array | undefined {
  if (b === undefined || b.length < 5) return undefined;
  let found: Uint8Array | undefined = index < 0 ? b.subarray(4, 4) : undefined;
  let pos = 4;
  for (let n = 0; pos < b.length; n++) {
    const end = pos + 1 + b[pos]!;
    if (end > b.length) return undefined;
    if (n === index) found = b.subarray(pos + 1, end);
    pos = end;
    if (pos !== b.length) {
      pos += 4;
      if (pos + 1 >= b.length) return undefined;
    }
  }
  return found;
}

/** The enterprise number of option 124 as Kea reads it, or -1 when absent or unparsable. */
export function vivcoEnterprise(b: Uint8Array | undefined): number {
  return vivcoTuple(b, -1) === undefined ? -1 : uint32At(b!, 0);
}
