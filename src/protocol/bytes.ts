/** Byte helpers: hex for JSON and the CLI, MAC strings, a slab for cheap copies of decoded packets. */

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex, `sep` between bytes ('' by default). */
export function toHex(b: Uint8Array, sep = ''): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (i > 0 ? sep : '') + HEX[b[i]!]!;
  return s;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses hex, ignoring whitespace, ':' and '-' between digits; returns undefined on anything else or an odd count. */
export function fromHex(s: string): Uint8Array | undefined {
  const out: number[] = [];
  let high = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 58 || c === 45) {
      if (high >= 0) return undefined; // a separator inside a byte
      continue;
    }
    const v = nibble(c);
    if (v < 0) return undefined;
    if (high < 0) high = v;
    else {
      out.push((high << 4) | v);
      high = -1;
    }
  }
  return high >= 0 ? undefined : Uint8Array.from(out);
}

/** The first `hlen` bytes of chaddr as lower-case hex joined by `sep`: 'aa:bb:cc:dd:ee:ff'. */
export function macToString(chaddr: Uint8Array, hlen = 6, sep = ':'): string {
  const n = Math.min(Math.max(hlen, 0), 16, chaddr.length);
  return toHex(chaddr.subarray(0, n), sep);
}

/** 'aa:bb:cc:dd:ee:ff' or 'AA-BB-..' (1 to 16 bytes) to bytes; throws RangeError otherwise. */
export function parseMac(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length < 1 || parts.length > 16) throw new RangeError(`not a hardware address: '${s}'`);
  const out = new Uint8Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const hi = p.length === 2 ? nibble(p.charCodeAt(0)) : 0;
    const lo = p.length >= 1 && p.length <= 2 ? nibble(p.charCodeAt(p.length - 1)) : -1;
    if (hi < 0 || lo < 0) throw new RangeError(`not a hardware address: '${s}'`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

const SLAB_SIZE = 64 * 1024;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabUsed = 0;

/**
 * A private copy of `src` as a plain Uint8Array, carved from a shared slab like Node's Buffer pool: one
 * memcpy per packet and no allocation, so decoded messages never alias a buffer the transport reuses.
 */
export function copyToSlab(src: Uint8Array): Uint8Array {
  const len = src.length;
  if (len > SLAB_SIZE / 8)
    return Uint8Array.prototype.slice.call(new Uint8Array(src.buffer, src.byteOffset, len));
  if (slabUsed + len > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, len);
  out.set(src);
  slabUsed += (len + 7) & ~7;
  return out;
}
