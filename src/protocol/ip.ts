/** IPv4 address helpers on unsigned 32-bit integers; no regex, no split, on the hot path. */

const OCTET: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));
/**
 * Each octet with its dot: an address is then three joins instead of six, and each join of strings this short
 * copies into a new string.
 */
const OCTET_DOT: readonly string[] = OCTET.map((o) => `${o}.`);

/** Parses a dotted quad strictly (four decimal octets 0-255, no leading zeros); -1 when it is not one. */
export function parseIp(s: string): number {
  const len = s.length;
  if (len < 7 || len > 15) return -1;
  let result = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      result = result * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // leading zero: '01' is ambiguous (octal in some parsers)
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return result * 256 + octet;
}

export function isValidIp(s: unknown): s is string {
  return typeof s === 'string' && parseIp(s) >= 0;
}

/** Dotted quad to unsigned 32-bit integer; throws RangeError on anything that is not one. */
export function ipToInt(ip: string): number {
  const n = parseIp(ip);
  if (n < 0) throw new RangeError(`not an IPv4 address: '${ip}'`);
  return n;
}

/** Unsigned 32-bit integer to dotted quad. */
export function intToIp(n: number): string {
  return (
    OCTET_DOT[(n >>> 24) & 255]! +
    OCTET_DOT[(n >>> 16) & 255]! +
    OCTET_DOT[(n >>> 8) & 255]! +
    OCTET[n & 255]!
  );
}

/** Reads four bytes at `off` as a dotted quad. The caller has checked the length. */
export function readIp(b: Uint8Array, off: number): string {
  return OCTET_DOT[b[off]!]! + OCTET_DOT[b[off + 1]!]! + OCTET_DOT[b[off + 2]!]! + OCTET[b[off + 3]!]!;
}

export function writeU32(b: Uint8Array, off: number, n: number): void {
  b[off] = n >>> 24;
  b[off + 1] = n >>> 16;
  b[off + 2] = n >>> 8;
  b[off + 3] = n;
}

/** Every whole 4-byte address in `b` as dotted quads; trailing bytes are ignored. */
export function readIpList(b: Uint8Array): string[] {
  const out: string[] = [];
  for (let off = 0; off + 4 <= b.length; off += 4) out.push(readIp(b, off));
  return out;
}

/** `n` as four bytes in network order. */
export function u32Bytes(n: number): Uint8Array {
  const b = new Uint8Array(4);
  writeU32(b, 0, n);
  return b;
}

/** A dotted quad as four bytes; throws RangeError on anything that is not one. */
export function ipToBytes(ip: string): Uint8Array {
  return u32Bytes(ipToInt(ip));
}

export function readU16(b: Uint8Array, off: number): number {
  return (b[off]! << 8) | b[off + 1]!;
}

export function readU32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/** 24 -> 0xffffff00. Throws RangeError outside 0..32. */
export function prefixToMask(len: number): number {
  if (!Number.isInteger(len) || len < 0 || len > 32) throw new RangeError(`bad prefix length ${len}`);
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** An address and prefix length, as `198.18.0.1/24` writes them (the address may have host bits set). */
export interface AddressPrefix {
  readonly address: number;
  readonly prefix: number;
}

/**
 * `a.b.c.d/len` to its parts (white space around either part is ignored); undefined when malformed. With
 * `bare`, an address without `/len` is a /32.
 */
export function parseCidr(s: string, opts: { bare?: boolean } = {}): AddressPrefix | undefined {
  const slash = s.indexOf('/');
  if (slash < 0 && opts.bare !== true) return undefined;
  const address = parseIp((slash < 0 ? s : s.slice(0, slash)).trim());
  if (address < 0) return undefined;
  if (slash < 0) return { address, prefix: 32 };
  const len = s.slice(slash + 1).trim();
  if (len.length < 1 || len.length > 2) return undefined;
  let prefix = 0;
  for (let i = 0; i < len.length; i++) {
    const c = len.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    prefix = prefix * 10 + (c - 48);
  }
  return prefix > 32 ? undefined : { address, prefix };
}

/** 0xffffff00 or '255.255.255.0' -> 24; -1 when the mask is not contiguous. */
export function maskToPrefix(mask: number | string): number {
  const m = typeof mask === 'string' ? parseIp(mask) : mask >>> 0;
  if (m < 0) return -1;
  const inverted = ~m >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return -1;
  return 32 - countTrailingOnes(inverted);
}

function countTrailingOnes(n: number): number {
  let count = 0;
  while (count < 32 && (n & 1) === 1) {
    n >>>= 1;
    count++;
  }
  return count;
}
