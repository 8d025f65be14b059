/** Small IPv4 arithmetic on unsigned 32-bit integers, for config validation and the allocator. */
import { intToIp, parseIp } from '../protocol/ip.ts';

const QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Four decimal octets 0-255 without leading zeros, nothing else. */
export function isIpv4(s: string): boolean {
  // Strings (every request and lease) go through the protocol's char-loop parser, which accepts exactly
  // what QUAD does; anything else keeps QUAD's coercing behaviour.
  return typeof s === 'string' ? parseIp(s) >= 0 : QUAD.test(s);
}

/** Dotted quad to unsigned integer; the caller has checked `isIpv4`. */
export function ipv4ToInt(s: string): number {
  // Hot path (every lease and request): digits by char code, no split/Number allocations.
  let out = 0;
  let part = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      out = out * 256 + part;
      part = 0;
    } else part = part * 10 + (c - 48);
  }
  return out * 256 + part;
}

export const intToIpv4: (n: number) => string = intToIp;

export function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

export interface Cidr {
  readonly network: number;
  readonly prefixLength: number;
}

/** Parses `a.b.c.d/len`; returns undefined when malformed. `strict` refuses host bits set. */
export function parseCidr(s: string, strict: boolean): Cidr | undefined {
  const m = /^\s*([\d.]+)\s*\/\s*(\d{1,2})\s*$/.exec(s);
  if (!m || !isIpv4(m[1] ?? '')) return undefined;
  const prefixLength = Number(m[2]);
  if (prefixLength > 32) return undefined;
  const addr = ipv4ToInt(m[1] ?? '');
  const network = (addr & maskOf(prefixLength)) >>> 0;
  if (strict && network !== addr) return undefined;
  return { network, prefixLength };
}

export function broadcastOf(c: Cidr): number {
  return (c.network | ~maskOf(c.prefixLength)) >>> 0;
}

export function cidrContains(c: Cidr, addr: number): boolean {
  return (addr & maskOf(c.prefixLength)) >>> 0 === c.network;
}
