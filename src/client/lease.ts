import {
  readIp,
  readIpList,
  readU16,
  readU32,
  toHex,
  u32Bytes,
  type DhcpMessage,
} from '../protocol/index.ts';
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

function textOf(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? b.subarray(0, end) : b);
}

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

/** What the client changed in an ACK before using it, in words for the log; empty for a sane ACK. */
export function ackAdjustments(ack: DhcpMessage): string[] {
  const notes: string[] = [];
  const lt = ack.options.getRaw(51);
  if (lt !== undefined && lt.length >= 4) {
    const offered = readU32(lt, 0);
    const used = effectiveLeaseSeconds(offered);
    if (used !== offered) notes.push(`lease time ${offered} s raised to ${used} s`);
  }
  const m = ack.options.getRaw(1);
  if (m !== undefined && m.length >= 4) {
    const { mask, refused } = effectiveMask(readU32(m, 0), ack.yiaddr);
    if (refused && mask !== null)
      notes.push(`subnet mask ${readIp(m, 0)} refused, using ${readIp(u32Bytes(mask), 0)}`);
  }
  return notes;
}

/** Raw option bytes of a message by code. */
export function rawOptions(msg: DhcpMessage): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  for (const code of msg.options.codes()) {
    const raw = msg.options.getRaw(code);
    if (raw !== undefined) out.set(code, raw);
  }
  return out;
}

/**
 * The lease an ACK grants, timed from `obtainedAt`. Returns null when the ACK has no server identifier
 * (RFC 2131 §4.3.1: the server MUST send option 54 in DHCPACK).
 */
export function leaseFromAck(
  ack: DhcpMessage,
  obtainedAt: number,
  fallbackServerId?: string,
): ClientLease | null {
  const opts = rawOptions(ack);
  const sid = opts.get(54);
  const serverId = sid !== undefined && sid.length >= 4 ? readIp(sid, 0) : fallbackServerId;
  if (serverId === undefined) return null;
  const lt = opts.get(51);
  const leaseSeconds = effectiveLeaseSeconds(
    lt !== undefined && lt.length >= 4 ? readU32(lt, 0) : DEFAULT_LEASE_TIME,
  );
  const t1raw = opts.get(58);
  const t2raw = opts.get(59);
  const maskRaw = opts.get(1);
  const { mask, refused } = effectiveMask(
    maskRaw !== undefined && maskRaw.length >= 4 ? readU32(maskRaw, 0) : null,
    ack.yiaddr,
  );
  const bcast = opts.get(28);
  const mtu = opts.get(26);
  const domain = opts.get(15);
  const infinite = leaseSeconds === INFINITE;
  const timers = infinite
    ? null
    : leaseTimers(
        leaseSeconds,
        t1raw !== undefined && t1raw.length >= 4 ? readU32(t1raw, 0) : undefined,
        t2raw !== undefined && t2raw.length >= 4 ? readU32(t2raw, 0) : undefined,
      );
  const options: Record<string, string> = {};
  for (const [code, raw] of opts) options[String(code)] = toHex(raw);
  // A refused mask is replaced for the script too: `ip addr add $ip/$mask` must not see /0.
  if (refused && mask !== null) options['1'] = toHex(u32Bytes(mask));
  return {
    address: ack.yiaddr,
    serverId,
    subnetMask: mask === null ? null : readIp(u32Bytes(mask), 0),
    prefixLength: mask === null ? null : maskPrefixLength(mask),
    broadcastAddress: bcast !== undefined && bcast.length >= 4 ? readIp(bcast, 0) : null,
    routers: readIpList(opts.get(3) ?? new Uint8Array(0)),
    dnsServers: readIpList(opts.get(6) ?? new Uint8Array(0)),
    domainName: domain !== undefined ? textOf(domain) : null,
    mtu: mtu !== undefined && mtu.length >= 2 ? readU16(mtu, 0) : null,
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
    options,
  };
}

/** True when the lease has run out at `now`. */
export function leaseExpired(lease: ClientLease, now: number): boolean {
  return lease.expiresAt !== null && now >= lease.expiresAt;
}
