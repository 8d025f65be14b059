import { intToIp, parseIp } from '../protocol/index.ts';
import { InvalidLeaseError } from './errors.ts';

/** Dotted quad -> unsigned 32-bit integer (the numeric order lease paging uses). Null when malformed. */
export function parseIpv4(address: string): number | null {
  const value = typeof address === 'string' ? parseIp(address) : -1;
  return value < 0 ? null : value;
}

/** Like {@link parseIpv4} but throws `InvalidLeaseError` naming `field`. */
export function ipv4ToNumber(address: string, field = 'address'): number {
  const value = typeof address === 'string' ? parseIpv4(address) : null;
  if (value === null)
    throw new InvalidLeaseError(field, `not a dotted-quad IPv4 address: ${JSON.stringify(address)}`);
  return value;
}

export const numberToIpv4: (value: number) => string = intToIp;
