import { DhcpOptions, fromHex, intToIp, ipToInt, toHex, type DhcpMessage } from '../protocol/index.ts';
import { MIN_RENEWAL_SECONDS, effectiveLeaseSeconds, effectiveMask } from './lease-sanity.ts';

/**
 * A lease as the client holds it: what the runtime applies to the interface, what the lease file keeps,
 * what the udhcpc script environment is built from. Times are milliseconds since the epoch (the engine's
 * `now`); lifetimes are seconds as on the wire. `null` times mean an infinite lease (0xffffffff).
 */
export interface ClientLease {
  readonly address: string;
  /** Option 54 of the ACK: where RENEWING requests and RELEASE go. */
  readonly serverId: string;
  readonly subnetMask: string | null;
  /** Prefix length of `subnetMask` (count of leading one bits), null without a mask. */
  readonly prefixLength: number | null;
  readonly broadcastAddress: string | null;
  readonly routers: readonly string[];
  readonly dnsServers: readonly string[];
  readonly domainName: string | null;
  readonly mtu: number | null;
  /** Option 51 in seconds; null for an infinite lease. */
  readonly leaseTime: number | null;
  /** T1 and T2 in seconds from `obtainedAt` (option 58/59, or 0.5 and 0.875 of the lease). */
  readonly renewalTime: number | null;
  readonly rebindingTime: number | null;
  /** When the REQUEST that got this lease was first sent: the base of every timer (RFC 2131 §4.4.1). */
  readonly obtainedAt: number;
  /** T1, T2 and the end; null for an infinite lease. */
  readonly renewAt: number | null;
  readonly rebindAt: number | null;
  readonly expiresAt: number | null;
  /** BOOTP fields of the ACK, for boot loaders and the udhcpc environment. */
  readonly siaddr: string;
  readonly sname: string;
  readonly file: string;
  /** Every option of the ACK as lower-case hex by decimal code: the whole truth, JSON-safe. */
  readonly options: Readonly<Record<string, string>>;
}

/** udhcpc: "no lease time with ACK, using 1 hour lease". */
export const DEFAULT_LEASE_TIME = 3600;
const INFINITE = 0xffffffff;

/** Prefix length as udhcpc's `mton()` counts it: 32 minus the trailing zero bits (0 for 0.0.0.0). */
export function maskPrefixLength(mask: number): number {
  if (mask === 0) return 0;
  let n = 32;
  let m = mask >>> 0;
  while ((m & 1) === 0) {
    m >>>= 1;
    n--;
  }
  return n;
}

/**
 * T1/T2 in seconds: the server's values when they make sense (T1 <= T2 <= lease, T1 no earlier than
 * {@link MIN_RENEWAL_SECONDS}), RFC 2131 §4.4.5 defaults otherwise.
 */
export function leaseTimers(leaseTime: number, t1?: number, t2?: number): { t1: number; t2: number } {
  let rebind = t2 !== undefined && t2 <= leaseTime ? t2 : leaseTime * 0.875;
  let renew = t1 !== undefined && t1 <= rebind ? t1 : leaseTime * 0.5;
  if (renew > rebind || renew < Math.min(MIN_RENEWAL_SECONDS, leaseTime * 0.5)) {
    rebind = leaseTime * 0.875;
    renew = leaseTime * 0.5;
  }
  return { t1: renew, t2: rebind };
}

/** Option 1 of a message as a number, null without a usable one. */
function maskOf(options: DhcpOptions): number | null {
  const mask = options.get('subnet-mask');
  return mask === undefined ? null : ipToInt(mask);
}

/** Option 1 as the client uses it: a refused mask becomes the class-based one (lease-sanity.ts). */
export function usedMask(msg: DhcpMessage): { mask: number | null; refused: boolean } {
  return effectiveMask(maskOf(msg.options), msg.yiaddr);
}

/** What the client changed in an ACK before using it, in words for the log; empty for a sane ACK. */
export function ackAdjustments(ack: DhcpMessage): string[] {
  const notes: string[] = [];
  const offered = ack.options.get('dhcp-lease-time');
  if (offered !== undefined) {
    const used = effectiveLeaseSeconds(offered);
    if (used !== offered) notes.push(`lease time ${offered} s raised to ${used} s`);
  }
  const { mask, refused } = usedMask(ack);
  if (refused && mask !== null) {
    notes.push(`subnet mask ${ack.options.get('subnet-mask') ?? ''} refused, using ${intToIp(mask)}`);
  }
  return notes;
}

/** Every option as lower-case hex by decimal code (JSON-safe: a lease's `options`). */
export function hexOptions(options: DhcpOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [code, raw] of options.entries()) out[String(code)] = toHex(raw);
  return out;
}

/** The inverse of {@link hexOptions}: what a remembered lease's options are, to read them by name. */
export function optionsFromHex(hexByCode: Readonly<Record<string, string>>): DhcpOptions {
  const o = new DhcpOptions();
  for (const [code, hex] of Object.entries(hexByCode)) {
    const bytes = fromHex(hex);
    const n = Number(code);
    if (bytes !== undefined && Number.isInteger(n) && n >= 1 && n <= 254) o.setRaw(n, bytes);
  }
  return o;
}

/**
 * The lease an ACK grants, timed from `obtainedAt`. Every option is read through the option table by
 * name: a value whose bytes do not fit its type counts as absent. Returns null when the ACK has no server
 * identifier (RFC 2131 §4.3.1: the server MUST send option 54 in DHCPACK).
 */
export function leaseFromAck(
  ack: DhcpMessage,
  obtainedAt: number,
  fallbackServerId?: string,
): ClientLease | null {
  const o = ack.options;
  const serverId = o.get('dhcp-server-identifier') ?? fallbackServerId;
  if (serverId === undefined) return null;
  const leaseSeconds = effectiveLeaseSeconds(o.get('dhcp-lease-time') ?? DEFAULT_LEASE_TIME);
  const { mask, refused } = usedMask(ack);
  const infinite = leaseSeconds === INFINITE;
  const timers = infinite
    ? null
    : leaseTimers(leaseSeconds, o.get('dhcp-renewal-time'), o.get('dhcp-rebinding-time'));
  let options = o;
  if (refused && mask !== null) {
    // A refused mask is replaced for the script too: `ip addr add $ip/$mask` must not see /0.
    options = o.clone().set('subnet-mask', intToIp(mask));
  }
  return {
    address: ack.yiaddr,
    serverId,
    subnetMask: mask === null ? null : intToIp(mask),
    prefixLength: mask === null ? null : maskPrefixLength(mask),
    broadcastAddress: o.get('broadcast-address') ?? null,
    routers: o.get('routers') ?? [],
    dnsServers: o.get('domain-name-servers') ?? [],
    domainName: o.get('domain-name') ?? null,
    mtu: o.get('interface-mtu') ?? null,
    leaseTime: infinite ? null : leaseSeconds,
    renewalTime: timers?.t1 ?? null,
    rebindingTime: timers?.t2 ?? null,
    obtainedAt,
    renewAt: timers === null ? null : obtainedAt + Math.round(timers.t1 * 1000),
    rebindAt: timers === null ? null : obtainedAt + Math.round(timers.t2 * 1000),
    expiresAt: infinite ? null : obtainedAt + leaseSeconds * 1000,
    siaddr: ack.siaddr,
    sname: ack.sname,
    file: ack.file,
    options: hexOptions(options),
  };
}

/** True when the lease has run out at `now`. */
export function leaseExpired(lease: ClientLease, now: number): boolean {
  return lease.expiresAt !== null && now >= lease.expiresAt;
}
