import { ipv4ToInt } from '../config/index.ts';
import { sameHostname, type Lease } from '../leases/index.ts';
import { clientIdKey, hexDigit, hwKey } from './identity.ts';
import type { LeaseIndex } from './lease-index.ts';

/**
 * The lease store's lookups by client across subnets (`getByHwAddress`, `getByClientId`, `getByHostname`),
 * answered from the engine's index by a scan of its columns: a few milliseconds for a million leases, where
 * the SQLite store, which keeps no index on these columns (docs/leases.md), reads its whole table. Each
 * answers exactly what the store does: every state, ordered by address, identifiers compared lower-cased,
 * hostnames with SQLite's NOCASE. Only for a server whose index holds every lease of its store.
 */

/** Every lease with this hardware address (`''`: declined leases), optionally only in one subnet. */
export function leasesByHwAddress(index: LeaseIndex, hwAddress: string, subnetId?: number): Lease[] {
  const text = hwAddress.toLowerCase();
  const key = numberKey(hwKey(text));
  const octets = octetsOf(text);
  const columns = index.columns;
  const found = new Matches(index, subnetId, (l) => l.hwAddress === text);
  if (key >= 0 || octets !== null) {
    for (let slot = 0, end = columns.slotLimit; slot < end; slot++)
      if (columns.hasHwAddress(slot, key, octets)) found.candidate(slot);
  }
  return found.answer();
}

/** Every lease with this client identifier, optionally only in one subnet. */
export function leasesByClientId(index: LeaseIndex, clientId: string, subnetId?: number): Lease[] {
  const text = clientId.toLowerCase();
  const key = numberKey(clientIdKey(text));
  const octets = octetsOf(text);
  const columns = index.columns;
  const found = new Matches(index, subnetId, (l) => l.clientId === text);
  if (key >= 0 || octets !== null) {
    for (let slot = 0, end = columns.slotLimit; slot < end; slot++)
      if (columns.hasClientId(slot, key, octets)) found.candidate(slot);
  }
  return found.answer();
}

/** Every lease with this hostname, compared as the stores compare (`sameHostname`: ASCII letters fold). */
export function leasesByHostname(index: LeaseIndex, hostname: string): Lease[] {
  const same = (name: string | null): boolean => name !== null && sameHostname(name, hostname);
  const found = new Matches(index, undefined, (l) => same(l.hostname));
  // Without a NUL in the query, NOCASE-equal texts have the same length: most names are passed over on it.
  const anyLength = hostname.includes('\0');
  const length = hostname.length;
  // forEach, not for-of: an entry array a lease would be a third of a million allocations
  index.columns.hostnames().forEach((name, slot) => {
    if ((anyLength || name.length === length) && sameHostname(name, hostname)) found.candidate(slot);
  });
  return found.answer();
}

/**
 * Collects the leases of the slots a column test picked, checked against the lease itself (`matches`: the
 * store's comparison) and against the index (a freed slot keeps its last columns), then the leases kept
 * whole, whose columns are stale; answers them in address order, as the store does.
 */
class Matches {
  private readonly found: { readonly addr: number; readonly lease: Lease }[] = [];
  private readonly index: LeaseIndex;
  private readonly subnetId: number | undefined;
  private readonly matches: (lease: Lease) => boolean;

  constructor(index: LeaseIndex, subnetId: number | undefined, matches: (lease: Lease) => boolean) {
    this.index = index;
    this.subnetId = subnetId;
    this.matches = matches;
  }

  candidate(slot: number): void {
    const columns = this.index.columns;
    if (columns.wholeLeases().has(slot)) return;
    const lease = columns.peek(slot);
    const addr = ipv4ToInt(lease.address);
    if (this.index.slotOf(addr) === slot) this.keep(lease, addr);
  }

  answer(): Lease[] {
    for (const lease of this.index.columns.wholeLeases().values())
      this.keep(lease, ipv4ToInt(lease.address) >>> 0);
    return this.found.sort((a, b) => a.addr - b.addr).map((f) => f.lease);
  }

  private keep(lease: Lease, addr: number): void {
    if ((this.subnetId === undefined || lease.subnetId === this.subnetId) && this.matches(lease))
      this.found.push({ addr, lease });
  }
}

function numberKey(key: number | string): number {
  return typeof key === 'number' ? key : -1;
}

/**
 * Longer than any identity the columns hold (client identifiers, 20 octets): such a lease is kept whole and
 * compared by its text.
 */
const COLUMN_OCTETS_MAX = 20;

/** The octets of canonical lower-case colon hex (`''`: none), or null for any other text or a longer one. */
function octetsOf(text: string): Uint8Array | null {
  if (text === '') return new Uint8Array(0);
  const n = (text.length + 1) / 3;
  if (!Number.isInteger(n) || n > COLUMN_OCTETS_MAX) return null;
  const octets = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const hi = hexDigit(text.charCodeAt(i * 3));
    const lo = hexDigit(text.charCodeAt(i * 3 + 1));
    if (hi < 0 || lo < 0 || (i < n - 1 && text.charCodeAt(i * 3 + 2) !== 0x3a)) return null;
    octets[i] = hi * 16 + lo;
  }
  return octets;
}
