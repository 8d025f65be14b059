import { parseIp } from '../protocol/index.ts';

/**
 * Why `yiaddr` cannot be a host address, or null when it can: 0.0.0.0, 0/8, loopback, multicast and
 * reserved space, limited broadcast, and, when the subnet mask is known and leaves more than two
 * addresses, the network and broadcast addresses of that subnet ("do not assign the end address").
 */
export function unusableAddress(yiaddr: string, subnetMask: number | null): string | null {
  const n = parseIp(yiaddr);
  if (n < 0) return `not an IPv4 address: ${yiaddr}`;
  if (n === 0) return 'unspecified address 0.0.0.0';
  if (n === 0xffffffff) return 'limited broadcast address';
  const top = n >>> 24;
  if (top === 0) return `'this network' address ${yiaddr}`;
  if (top === 127) return `loopback address ${yiaddr}`;
  if (top >= 224) return `multicast or reserved address ${yiaddr}`;
  if (subnetMask !== null) {
    const hostMask = ~subnetMask >>> 0;
    // /31 and /32 have no network or broadcast address (RFC 3021).
    if (hostMask > 1) {
      const host = (n & hostMask) >>> 0;
      if (host === 0) return `network address ${yiaddr} of its subnet`;
      if (host === hostMask) return `broadcast address ${yiaddr} of its subnet`;
    }
  }
  return null;
}
