import { parseIp } from '../protocol/ip.ts';
import { InvalidLeaseError } from './errors.ts';

const QUAD = /^(?:0|[1-9]\d{0,2})$/;

/** Dotted quad -> unsigned 32-bit integer (the numeric order lease paging uses). Null when malformed. */
export function parseIpv4(address: string): number | null {
  // Strings go through the protocol's char-loop parser, which accepts exactly what the split-and-QUAD form
  // does; that form stays for anything that is not a string.
  if (typeof address !== 'string') return parseIpv4Split(address);
  const value = parseIp(address);
  return value < 0 ? null : value;
}

function parseIpv4Split(address: string): number | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!QUAD.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

/** Like {@link parseIpv4} but throws `InvalidLeaseError` naming `field`. */
export function ipv4ToNumber(address: string, field = 'address'): number {
  const value = typeof address === 'string' ? parseIpv4(address) : null;
  if (value === null)
    throw new InvalidLeaseError(field, `not a dotted-quad IPv4 address: ${JSON.stringify(address)}`);
  return value;
}

export function numberToIpv4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}
