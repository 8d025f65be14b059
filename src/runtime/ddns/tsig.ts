import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  appendAdditional,
  canonicalName,
  RRClass,
  RRType,
  TSIG_ALGORITHMS,
  type DecodedMessage,
  type ResourceRecord,
  type TsigKey,
} from '../../ddns/index.ts';
import { decodeName } from '../../protocol/index.ts';

/** Signs UPDATE requests and verifies the server's signed answers (RFC 8945); the keys are src/ddns's. */

/** Seconds of clock skew accepted (RFC 8945 §10 recommends 300). */
export const FUDGE = 300;

interface TsigFields {
  readonly algorithm: string;
  readonly timeSigned: number;
  readonly fudge: number;
  readonly mac: Uint8Array;
  readonly originalId: number;
  readonly error: number;
  readonly other: Uint8Array;
}

function u16(v: number): number[] {
  return [(v >>> 8) & 0xff, v & 0xff];
}
function u48(v: number): number[] {
  const hi = Math.floor(v / 0x100000000);
  return [...u16(hi), ...u16(Math.floor(v / 0x10000) & 0xffff), ...u16(v & 0xffff)];
}

/** RFC 8945 §4.3.3: the TSIG variables covered by the MAC. */
function variables(key: TsigKey, f: Omit<TsigFields, 'mac' | 'originalId'>): Uint8Array {
  return Uint8Array.from([
    ...canonicalName(key.name),
    ...u16(RRClass.ANY),
    0,
    0,
    0,
    0,
    ...canonicalName(f.algorithm),
    ...u48(f.timeSigned),
    ...u16(f.fudge),
    ...u16(f.error),
    ...u16(f.other.length),
    ...f.other,
  ]);
}

function macOf(key: TsigKey, parts: readonly Uint8Array[]): Uint8Array {
  const alg = TSIG_ALGORITHMS[key.algorithm];
  const h = createHmac(alg.digest, key.secret);
  for (const p of parts) h.update(p);
  const full = new Uint8Array(h.digest());
  return key.digestBits > 0 ? full.subarray(0, Math.ceil(key.digestBits / 8)) : full;
}

function withLength(mac: Uint8Array): Uint8Array {
  return Uint8Array.from([...u16(mac.length), ...mac]);
}

/** Signs an encoded request; returns the signed message and the MAC the answer's MAC must chain to. */
export function signRequest(
  message: Uint8Array,
  key: TsigKey,
  nowSeconds: number,
): { readonly message: Uint8Array; readonly mac: Uint8Array } {
  const f = {
    algorithm: TSIG_ALGORITHMS[key.algorithm].name,
    timeSigned: nowSeconds,
    fudge: FUDGE,
    error: 0,
  };
  const other = new Uint8Array(0);
  const mac = macOf(key, [message, variables(key, { ...f, other })]);
  const id = (message[0]! << 8) | message[1]!;
  const rdata = Uint8Array.from([
    ...canonicalName(f.algorithm),
    ...u48(f.timeSigned),
    ...u16(f.fudge),
    ...withLength(mac),
    ...u16(id),
    ...u16(0),
    ...u16(0),
  ]);
  const rr: ResourceRecord = { name: key.name, type: RRType.TSIG, class: RRClass.ANY, ttl: 0, rdata };
  return { message: appendAdditional(message, rr), mac };
}

function parseTsigRdata(msg: Uint8Array, rdataOffset: number, end: number): TsigFields | undefined {
  const alg = decodeName(msg, rdataOffset, false);
  if (alg === undefined) return undefined;
  let p = alg.next;
  if (p + 10 > end) return undefined;
  const timeSigned =
    ((msg[p]! << 8) | msg[p + 1]!) * 0x100000000 +
    ((msg[p + 2]! << 24) >>> 0) +
    ((msg[p + 3]! << 16) | (msg[p + 4]! << 8) | msg[p + 5]!);
  const fudge = (msg[p + 6]! << 8) | msg[p + 7]!;
  const macSize = (msg[p + 8]! << 8) | msg[p + 9]!;
  p += 10;
  if (p + macSize + 6 > end) return undefined;
  const mac = msg.subarray(p, p + macSize);
  p += macSize;
  const originalId = (msg[p]! << 8) | msg[p + 1]!;
  const error = (msg[p + 2]! << 8) | msg[p + 3]!;
  const otherLen = (msg[p + 4]! << 8) | msg[p + 5]!;
  p += 6;
  if (p + otherLen !== end) return undefined;
  return { algorithm: alg.name, timeSigned, fudge, mac, originalId, error, other: msg.subarray(p, end) };
}

export type TsigVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Verifies the TSIG record of an answer to a request signed with `requestMac` (RFC 8945 §5.3): present and
 * last, same key and algorithm, no TSIG error, MAC over request MAC + answer (original ID, without the TSIG
 * record) + variables, and a time within the fudge.
 */
export function verifyResponse(
  raw: Uint8Array,
  decoded: DecodedMessage,
  key: TsigKey,
  requestMac: Uint8Array,
  nowSeconds: number,
): TsigVerdict {
  const last = decoded.additional.at(-1);
  if (last === undefined || last.type !== RRType.TSIG)
    return { ok: false, reason: 'the answer is not signed' };
  if (decoded.records.filter((r) => r.type === RRType.TSIG).length !== 1)
    return { ok: false, reason: 'more than one TSIG record' };
  if (last.name.toLowerCase() !== key.name.toLowerCase().replace(/\.$/, ''))
    return { ok: false, reason: `signed with another key (${last.name})` };
  const end = last.rdataOffset + last.rdata.length;
  if (end !== raw.length) return { ok: false, reason: 'data after the TSIG record' };
  const f = parseTsigRdata(raw, last.rdataOffset, end);
  if (f === undefined) return { ok: false, reason: 'malformed TSIG record' };
  if (f.algorithm.toLowerCase() !== TSIG_ALGORITHMS[key.algorithm].name)
    return { ok: false, reason: `signed with another algorithm (${f.algorithm})` };
  if (f.error !== 0) return { ok: false, reason: `TSIG error ${f.error} from the server` };
  const body = Uint8Array.from(raw.subarray(0, last.offset));
  body[0] = (f.originalId >>> 8) & 0xff;
  body[1] = f.originalId & 0xff;
  const ar = decoded.counts[3] - 1;
  body[10] = (ar >>> 8) & 0xff;
  body[11] = ar & 0xff;
  const full = macOf({ ...key, digestBits: 0 }, [withLength(requestMac), body, variables(key, f)]);
  // RFC 8945 §5.2.2.1: a truncated MAC is at least half the digest and 10 bytes, never longer than it.
  const minimum = Math.max(10, full.length / 2);
  if (f.mac.length < minimum || f.mac.length > full.length)
    return { ok: false, reason: 'MAC length not acceptable' };
  if (!timingSafeEqual(f.mac, full.subarray(0, f.mac.length))) return { ok: false, reason: 'bad MAC' };
  if (Math.abs(nowSeconds - f.timeSigned) > f.fudge) return { ok: false, reason: 'time outside the fudge' };
  return { ok: true };
}
