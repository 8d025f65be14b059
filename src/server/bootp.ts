/**
 * Kea's bootp hook (`libdhcp_bootp.so`): a BOOTREQUEST without a DHCP message type (RFC 951 with RFC 1497
 * vendor extensions) is answered as a DHCPREQUEST that allocates at once, with an infinite lease, and the
 * reply loses the DHCP-specific options (the encoder pads every reply to BOOTP's 300 bytes).
 */
import type { DhcpOptions } from '../protocol/index.ts';
import type { LeaseTimes } from './lifetimes.ts';

/** The exchange type of a BOOTREQUEST (it has no option 53). */
export const BOOTP_REQUEST = 0;

/** Kea's infinite lifetime (0xffffffff, RFC 2131 §3.3), without T1/T2. */
export const BOOTP_TIMES: LeaseTimes = Object.freeze({ valid: 0xffffffff, t1: undefined, t2: undefined });

/** Kea's DHCP_SPECIFIC_OPTIONS: 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 61. */
const DHCP_SPECIFIC = [50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 61];

export function stripDhcpOptions(o: DhcpOptions): void {
  for (const code of DHCP_SPECIFIC) o.delete(code);
}
