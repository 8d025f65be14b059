import { macToString, toHex } from './bytes.ts';
import { readU32 } from './ip.ts';

/** Option 61 read by its type byte (RFC 2132 §9.14, RFC 4361 §6.1). */
export type ClientIdentifier =
  | { kind: 'hardware'; type: number; hwAddress: string; raw: Uint8Array }
  | { kind: 'duid'; type: 255; iaid: number; duid: Uint8Array; raw: Uint8Array }
  | { kind: 'other'; type: number; data: Uint8Array; raw: Uint8Array };

/**
 * Type 255 is RFC 4361's IAID (4 bytes) + DUID; types 1..254 with data are a hardware type and address
 * (type 1 = Ethernet); anything else (type 0: free-form, or a 255 too short for an IAID) is 'other'.
 */
export function parseClientIdentifier(raw: Uint8Array): ClientIdentifier | undefined {
  if (raw.length < 2) return undefined;
  const type = raw[0]!;
  if (type === 255 && raw.length >= 6) {
    return { kind: 'duid', type, iaid: readU32(raw, 1), duid: raw.slice(5), raw: raw.slice() };
  }
  if (type >= 1 && type <= 254 && raw.length <= 17) {
    return {
      kind: 'hardware',
      type,
      hwAddress: macToString(raw.subarray(1), raw.length - 1),
      raw: raw.slice(),
    };
  }
  return { kind: 'other', type, data: raw.slice(1), raw: raw.slice() };
}

/** Kea's textual form of a client identifier: '01:aa:bb:cc:dd:ee:ff'. */
export function clientIdToString(raw: Uint8Array): string {
  return toHex(raw, ':');
}

/** An RFC 4361 §6.1 identifier: 255, IAID (big-endian), DUID. */
export function makeDuidClientId(iaid: number, duid: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + duid.length);
  out[0] = 255;
  out[1] = iaid >>> 24;
  out[2] = iaid >>> 16;
  out[3] = iaid >>> 8;
  out[4] = iaid;
  out.set(duid, 5);
  return out;
}
