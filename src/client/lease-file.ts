import { z } from 'zod';
import { isValidIp } from '../protocol/index.ts';
import { LeaseFileError } from './errors.ts';
import type { ClientLease } from './lease.ts';

/**
 * The remembered lease, one JSON file per interface: what `start({ previousLease })` takes after a
 * restart (INIT-REBOOT). Times are ms since the epoch, so the engine must run on wall-clock time.
 */
export interface LeaseFile {
  readonly version: 1;
  readonly interface: string;
  /** Lower-case 'aa:bb:..': a lease is only reused on the interface and hardware it was obtained for. */
  readonly hwAddress: string;
  readonly savedAt: number;
  readonly lease: ClientLease;
}

const ip = z.string().refine((s) => isValidIp(s), 'not an IPv4 address');
const time = z.number().finite();

const leaseSchema = z.object({
  address: ip,
  serverId: ip,
  subnetMask: ip.nullable(),
  prefixLength: z.number().int().min(0).max(32).nullable(),
  broadcastAddress: ip.nullable(),
  routers: z.array(ip),
  dnsServers: z.array(ip),
  domainName: z.string().nullable(),
  mtu: z.number().int().min(0).max(65535).nullable(),
  leaseTime: z.number().min(0).nullable(),
  renewalTime: z.number().min(0).nullable(),
  rebindingTime: z.number().min(0).nullable(),
  obtainedAt: time,
  renewAt: time.nullable(),
  rebindAt: time.nullable(),
  expiresAt: time.nullable(),
  siaddr: ip,
  sname: z.string(),
  file: z.string(),
  options: z.record(z.string().regex(/^\d{1,3}$/), z.string().regex(/^(?:[0-9a-f]{2})*$/)),
});

const fileSchema = z.object({
  version: z.literal(1),
  interface: z.string().min(1),
  hwAddress: z.string().regex(/^[0-9a-f]{2}(?::[0-9a-f]{2}){0,15}$/),
  savedAt: time,
  lease: leaseSchema,
});

export function serializeLeaseFile(file: Omit<LeaseFile, 'version'>): string {
  const out: LeaseFile = { version: 1, ...file, hwAddress: file.hwAddress.toLowerCase() };
  return JSON.stringify(out, null, 2) + '\n';
}

/** Parses and checks a lease file; throws {@link LeaseFileError}. */
export function parseLeaseFile(text: string): LeaseFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LeaseFileError('lease file is not JSON', { cause: err });
  }
  const r = fileSchema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new LeaseFileError(`lease file: ${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}`);
  }
  return r.data;
}

/**
 * The lease to start with, or null when the file is for another interface or hardware address, or the
 * lease has expired at `now` (RFC 2131 §3.2 reuses only an unexpired lease).
 */
export function usableLease(
  file: LeaseFile,
  ifname: string,
  hwAddress: string,
  now: number,
): ClientLease | null {
  if (file.interface !== ifname || file.hwAddress !== hwAddress.toLowerCase()) return null;
  if (file.lease.expiresAt !== null && file.lease.expiresAt <= now) return null;
  return file.lease;
}
