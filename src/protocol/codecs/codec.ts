/**
 * The value codec interface the option table is built from, and the checks and conversions the codecs
 * share. `decode` returns undefined when the bytes cannot be of the type (a known option of impossible
 * length); `encode` throws DhcpEncodeError on an impossible value.
 */
import { fromHex } from '../bytes.ts';
import { DhcpEncodeError, describeValue } from '../errors.ts';
import { parseIp } from '../ip.ts';

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

export function bad(message: string): never {
  throw new DhcpEncodeError('ERR_ENCODE_BAD_OPTION_VALUE', message);
}

export const identity = <T>(v: T): T => v;

/** Hex from JSON back to bytes; anything that is not hex is left for `encode` to refuse. */
export function hexToBytes(j: unknown): unknown {
  return typeof j === 'string' ? (fromHex(j) ?? j) : j;
}

export function mapArray(j: unknown, f: (x: unknown) => unknown): unknown {
  return Array.isArray(j) ? j.map(f) : j;
}

export function field(j: unknown, key: string): unknown {
  return typeof j === 'object' && j !== null ? (j as Record<string, unknown>)[key] : undefined;
}

export function checkInt(v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    bad(`expected an integer in ${min}..${max}, got ${describeValue(v)}`);
  }
  return v;
}

export function checkIp(v: unknown): number {
  const n = typeof v === 'string' ? parseIp(v) : -1;
  if (n < 0) bad(`expected an IPv4 address, got ${describeValue(v)}`);
  return n;
}

export function checkArray(v: unknown, min: number): unknown[] {
  if (!Array.isArray(v)) bad(`expected an array, got ${typeof v}`);
  if (v.length < min) bad(`expected at least ${min} item(s), got ${v.length}`);
  return v;
}

export function checkBytes(v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) bad('expected a Uint8Array');
  return v;
}

export const textDecoder = new TextDecoder('utf-8');
export const textEncoder = new TextEncoder();

/** UTF-8 bytes of `s`; ASCII (nearly every option text) without TextEncoder's much slower call. */
export function encodeText(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return textEncoder.encode(s);
    out[i] = c;
  }
  return out;
}
