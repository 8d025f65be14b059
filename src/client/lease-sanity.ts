import { ipToInt } from '../protocol/index.ts';

/**
 * The floors and checks that keep a hostile or broken server from driving the client into a storm or a
 * nonsense configuration. Everything here is pure: the engine applies it to every ACK.
 */

/**
 * The shortest lease the client acts on, in seconds: busybox udhcpc 1.35 raises anything shorter to 30 s
 * ("60 s leases are used in the real world, do not go much below that"). A lease of 0 would otherwise
 * bind and expire at once, over and over, running the script twice each time.
 */
export const MIN_LEASE_SECONDS = 30;

/**
 * The earliest T1, in seconds after the ACK: half the shortest lease. A server's option 58 of 0 would
 * otherwise make every renewal ACK start the next renewal at once.
 */
export const MIN_RENEWAL_SECONDS = MIN_LEASE_SECONDS / 2;

/** The lease time the client uses for the one the server sent (0xffffffff, infinite, is kept). */
export function effectiveLeaseSeconds(offered: number): number {
  return offered === 0xffffffff ? offered : Math.max(offered, MIN_LEASE_SECONDS);
}

/** True for a mask of leading one bits followed by zero bits only, and at least one one bit (/1 to /32). */
export function isUsableMask(mask: number): boolean {
  if (mask === 0) return false;
  const inverted = ~mask >>> 0;
  // The host part must be 2^k - 1: adding 1 leaves no bit in common with it.
  return ((inverted + 1) & inverted) === 0;
}

/** The class-based mask of RFC 791 / RFC 950 for an address (A: /8, B: /16, C and above: /24). */
export function classfulMask(address: string): number {
  const top = ipToInt(address) >>> 24;
  if (top < 128) return 0xff000000;
  if (top < 192) return 0xffff0000;
  return 0xffffff00;
}

/**
 * The mask the client configures: option 1 when it is usable, the class-based mask of the address when
 * the server sent 0.0.0.0 or a non-contiguous mask (what `ifconfig` does without a netmask, and so
 * udhcpc's sample script without `$subnet`), null without option 1.
 */
export function effectiveMask(
  offered: number | null,
  address: string,
): { mask: number | null; refused: boolean } {
  if (offered === null) return { mask: null, refused: false };
  if (isUsableMask(offered)) return { mask: offered, refused: false };
  return { mask: classfulMask(address), refused: true };
}
