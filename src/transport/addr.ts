/** Address helpers shared by the transports: MAC text <-> bytes, and IPv4 checks with typed errors. */
import { parseIp } from '../protocol/ip.ts';
import { TransportError } from './errors.ts';

export const BROADCAST_IP = '255.255.255.255';
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
export const ZERO_IP = '0.0.0.0';

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `aa:bb:cc:dd:ee:ff` or `AA-BB-...` to 6 bytes; undefined when it is not a 48-bit MAC. */
export function parseMacBytes(s: string): Uint8Array | undefined {
  if (s.length !== 17) return undefined;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const sep = s[i * 3 + 2];
    if (i < 5 && sep !== ':' && sep !== '-') return undefined;
    const hex = s.slice(i * 3, i * 3 + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
    out[i] = parseInt(hex, 16);
  }
  return out;
}

export function formatMac(b: Uint8Array, off = 0): string {
  let s = HEX[b[off]!]!;
  for (let i = 1; i < 6; i++) s += ':' + HEX[b[off + i]!]!;
  return s;
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

/** `198.18.0.1/24` to its parts; undefined when malformed. */
export function parseCidr(s: string): { ip: number; prefix: number } | undefined {
  const slash = s.indexOf('/');
  const ip = parseIp(slash < 0 ? s : s.slice(0, slash));
  const prefix = slash < 0 ? 32 : Number(s.slice(slash + 1));
  if (ip < 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  return { ip, prefix };
}
