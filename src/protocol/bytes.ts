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

/**
 * How `parseHexIdentifier` reads Kea's identifier text:
 * - `colons`, as Kea's commands read `hw-address` and `client-id` (`decodeFormattedHexString`): bytes of one or
 *   two hex digits between colons (`1:a:ff`), or an unseparated even run of digits (`01aaff`);
 * - `lenient`, as Kea's configuration reads reservations: the same, and '-', '.' or white space may also stand
 *   between bytes (`AA-BB-CC`, `aabb.ccdd.eeff`, `01 02`), and a `0x` prefix may lead.
 */
export type HexIdentifierSyntax = 'colons' | 'lenient';

const LENIENT_SEPARATORS = /[:\-.\s]+/;

/**
 * The one parser of Kea's hex identifier forms (hw-address, client-id, duid, circuit-id, flex-id). With
 * `quotedText`, `'foo'` or `"foo"` stands for the UTF-8 bytes of the text between the quotes. Returns the bytes
 * (at least one), or undefined when `text` is none of the forms.
 */
export function parseHexIdentifier(
  text: string,
  syntax: HexIdentifierSyntax,
  options: { readonly quotedText?: boolean } = {},
): Uint8Array | undefined {
  if (options.quotedText === true) {
    const quoted = /^'(.*)'$/.exec(text) ?? /^"(.*)"$/.exec(text);
    if (quoted) {
      const bytes = new TextEncoder().encode(quoted[1] ?? '');
      return bytes.length > 0 ? bytes : undefined;
    }
  }
  const body = syntax === 'lenient' ? text.trim().replace(/^0x/i, '') : text;
  const tokens = body.split(syntax === 'lenient' ? LENIENT_SEPARATORS : ':');
  if (syntax === 'lenient' && tokens.length > 1) {
    if (tokens[0] === '') tokens.shift();
    if (tokens.at(-1) === '') tokens.pop();
  }
  const out: number[] = [];
  for (const token of tokens) {
    // Between separators a byte may lose its leading zero (`1:a:ff`), as Kea allows; a longer group is a run
    // of whole bytes (`aabb.ccdd.eeff`), which only the lenient syntax has.
    const padded = tokens.length > 1 && token.length === 1 ? `0${token}` : token;
    if (padded.length === 0 || padded.length % 2 !== 0) return undefined;
    if (syntax === 'colons' && tokens.length > 1 && padded.length !== 2) return undefined;
    for (let i = 0; i < padded.length; i += 2) {
      const hi = nibble(padded.charCodeAt(i));
      const lo = nibble(padded.charCodeAt(i + 1));
      if (hi < 0 || lo < 0) return undefined;
      out.push((hi << 4) | lo);
    }
  }
  return out.length > 0 ? Uint8Array.from(out) : undefined;
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
