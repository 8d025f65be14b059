/** Address helpers shared by the transports: MAC text <-> bytes, and IPv4 checks with typed errors. */
import { macToString, parseCidr, parseIp, parseMac } from '../protocol/index.ts';
import { TransportError } from './errors.ts';

export const BROADCAST_IP = '255.255.255.255';
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
export const BROADCAST_MAC_BYTES: Uint8Array = new Uint8Array([255, 255, 255, 255, 255, 255]);
export const ZERO_IP = '0.0.0.0';

/** `aa:bb:cc:dd:ee:ff` or `AA-BB-...` to 6 bytes; undefined when it is not a 48-bit MAC. */
export function parseMacBytes(s: string): Uint8Array | undefined {
  // Seventeen characters in six parts of at most two digits: six two-digit bytes.
  if (s.length !== 17) return undefined;
  try {
    const b = parseMac(s);
    return b.length === 6 ? b : undefined;
  } catch {
    return undefined;
  }
}

/** Character codes of the lower-case hex digits. */
const HEX_CODES: readonly number[] = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const hi = (v: number): number => HEX_CODES[v >> 4]!;
const lo = (v: number): number => HEX_CODES[v & 15]!;

/**
 * Six bytes at `off` as `aa:bb:cc:dd:ee:ff`, made as one string from its character codes: the receive path
 * calls it for every frame, and two views of the bytes plus a string per octet cost more than the rest of
 * the frame's parsing. Fewer than six bytes left: as many octets as there are.
 */
export function formatMac(b: Uint8Array, off = 0): string {
  if (off < 0 || b.length < off + 6) return macToString(b.subarray(off, off + 6));
  const b0 = b[off]!;
  const b1 = b[off + 1]!;
  const b2 = b[off + 2]!;
  const b3 = b[off + 3]!;
  const b4 = b[off + 4]!;
  const b5 = b[off + 5]!;
  return String.fromCharCode(
    hi(b0),
    lo(b0),
    0x3a,
    hi(b1),
    lo(b1),
    0x3a,
    hi(b2),
    lo(b2),
    0x3a,
    hi(b3),
    lo(b3),
    0x3a,
    hi(b4),
    lo(b4),
    0x3a,
    hi(b5),
    lo(b5),
  );
}

export function requireMac(s: string): Uint8Array {
  const b = parseMacBytes(s);
  if (!b) throw new TransportError('ERR_TRANSPORT_BAD_ADDRESS', `not a MAC address: '${s}'`);
  return b;
}

export function requireIp(s: string): number {
  const n = parseIp(s);
  if (n < 0) throw new TransportError('ERR_TRANSPORT_BAD_ADDRESS', `not an IPv4 address: '${s}'`);
  return n;
}

export function requirePort(p: number): number {
  if (!Number.isInteger(p) || p < 0 || p > 65535)
    throw new TransportError('ERR_TRANSPORT_BAD_ADDRESS', `bad UDP port ${p}`);
  return p;
}

export function isBroadcastMac(b: Uint8Array, off = 0): boolean {
  for (let i = 0; i < 6; i++) if (b[off + i] !== 0xff) return false;
  return true;
}

/** An interface address, `198.18.0.1/24` or a bare address (a /32); undefined when malformed. */
export function parseNicAddress(s: string): { ip: number; prefix: number } | undefined {
  const c = parseCidr(s, { bare: true });
  return c === undefined ? undefined : { ip: c.address, prefix: c.prefix };
}
