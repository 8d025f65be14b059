import { ChurnMap } from './churn-map.ts';
import { intToIpv4, ipv4ToInt } from '../config/index.ts';
import type { Lease, LeaseState } from '../leases/index.ts';
import { clientIdKey, hexDigit, hwKey, parseClientIdKey, parseHwKey, type IdentityKey } from './identity.ts';

const STATES: readonly LeaseState[] = ['default', 'declined', 'expired-reclaimed'];
const STATE_CODE: Readonly<Record<LeaseState, number>> = { default: 0, declined: 1, 'expired-reclaimed': 2 };

/**
 * Identities in the common forms need no bytes of their own: an Ethernet address is its 48-bit number
 * (`hwKey`), and a client identifier `01:` + that address (RFC 2132 §9.14, type 1) is one code. Other forms
 * (hardware addresses up to 16 octets, client identifiers up to 20) go to `wide`, an array of bytes made
 * only when a lease first needs it.
 */
const HW_SIX = 0;
const HW_EMPTY = 1;
const HW_WIDE = 2;
const ID_NONE = 0 << 2;
const ID_FROM_HW = 1 << 2;
const ID_WIDE = 2 << 2;
const HW_KIND = 0x03;
const ID_KIND = 0x0c;
const HW_BYTES = 16;
const ID_BYTES = 20;
/** Per slot of `wide`: hw length, hw octets, client-id length, client-id octets. */
const ID_STRIDE = 1 + HW_BYTES + 1 + ID_BYTES;
const TWO_32 = 0x1_0000_0000;
/**
 * Leases built or stored lately, by slot: an exchange reads its client's lease several times (DISCOVER,
 * REQUEST, the commit), and building it each time would cost the hot path what the columns save.
 */
const RECENT_MAX = 4096;
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A lease's identities as map keys (`hwKey`, `clientIdKey`), worked out once for the columns and the client maps. */
export interface LeaseKeys {
  readonly hw: IdentityKey;
  readonly clientId: IdentityKey | null;
}

export function leaseKeys(lease: Pick<Lease, 'hwAddress' | 'clientId'>): LeaseKeys {
  return {
    hw: hwKey(lease.hwAddress),
    clientId: lease.clientId === null ? null : clientIdKey(lease.clientId),
  };
}

/** `leaseKeys` for a bulk load (a million leases at start-up): every identity is new, none is kept. */
export function freshLeaseKeys(lease: Pick<Lease, 'hwAddress' | 'clientId'>): LeaseKeys {
  return {
    hw: parseHwKey(lease.hwAddress),
    clientId: lease.clientId === null ? null : parseClientIdKey(lease.clientId),
  };
}

/** Writes canonical lower-case colon hex (`aa:bb`) of at most `max` octets at `at`; false for any other text. */
function packHex(text: string, max: number, into: Uint8Array, at: number): boolean {
  if (text === '') {
    into[at] = 0;
    return true;
  }
  const n = (text.length + 1) / 3;
  if (!Number.isInteger(n) || n > max) return false;
  for (let i = 0; i < n; i++) {
    const hi = hexDigit(text.charCodeAt(i * 3));
    const lo = hexDigit(text.charCodeAt(i * 3 + 1));
    if (hi < 0 || lo < 0 || (i < n - 1 && text.charCodeAt(i * 3 + 2) !== 0x3a)) return false;
    into[at + 1 + i] = hi * 16 + lo;
  }
  into[at] = n;
  return true;
}

/** Canonical colon hex of a 48-bit number (the inverse of `hwKey` for an Ethernet address). */
function sixOctetsText(v: number): string {
  const hi = (v - (v >>> 0)) / TWO_32;
  const lo = v >>> 0;
  return `${HEX[hi >>> 8]!}:${HEX[hi & 255]!}:${HEX[lo >>> 24]!}:${HEX[(lo >>> 16) & 255]!}:${HEX[(lo >>> 8) & 255]!}:${HEX[lo & 255]!}`;
}

function unpackHex(from: Uint8Array, at: number): string {
  const n = from[at]!;
  let s = '';
  for (let i = 0; i < n; i++) s += (i === 0 ? '' : ':') + HEX[from[at + 1 + i]!]!;
  return s;
}

/** The state column's low bits hold the state; two high bits the DNS flags (docs/ddns.md). */
const STATE_MASK = 0x0f;
const FQDN_FWD = 0x10;
const FQDN_REV = 0x20;

/**
 * Leases as columns of typed arrays, one slot each: what a million leases cost is numbers, not a million
 * objects of ten properties with their strings and boxed times. The fields every lease has (subnet,
 * lifetimes, times, state, hardware address, client identifier) live in the arrays (an Ethernet address and a
 * type-1 client identifier in 9 bytes: see HW_SIX); the ones most leases
 * lack (hostname, user context) in maps by slot. A lease that does not fit the columns exactly (an address
 * text that is not the canonical form of its number, an identifier longer than the columns hold, a
 * non-integer time) is kept whole, so `get` always returns a lease equal to the one `put` stored.
 */
export class CompactLeases {
  private capacity: number;
  private subnetId: Uint32Array;
  private validLifetime: Uint32Array;
  private cltt: Float64Array;
  private expiresAt: Float64Array;
  private state: Uint8Array;
  private addr: Uint32Array;
  /** Per slot: the hardware address's kind (HW_*) | the client identifier's (ID_*). */
  private idForms: Uint8Array;
  /** Per slot: the Ethernet address as a number (HW_SIX). */
  private hw48: Float64Array;
  /** Identities in other forms, ID_STRIDE bytes a slot; null until a lease needs it. */
  private wide: Uint8Array | null = null;
  private readonly hostname = new Map<number, string>();
  private readonly userContext = new Map<number, Readonly<Record<string, unknown>>>();
  private readonly whole = new Map<number, Lease>();
  private readonly recent = new ChurnMap<number, Lease>();
  private readonly freeSlots: number[] = [];
  private used = 0;
  /**
   * Per slot, the expiry deadline the reclaimer's heap holds for the lease (NaN: none): a column, where a
   * map from address to deadline cost a table entry (or a map entry and a boxed double) a lease.
   */
  private deadlineAt: Float64Array;
  private armed = 0;

  constructor(capacity = 1024) {
    this.capacity = capacity;
    this.subnetId = new Uint32Array(capacity);
    this.validLifetime = new Uint32Array(capacity);
    this.cltt = new Float64Array(capacity);
    this.expiresAt = new Float64Array(capacity);
    this.state = new Uint8Array(capacity);
    this.addr = new Uint32Array(capacity);
    this.idForms = new Uint8Array(capacity);
    this.hw48 = new Float64Array(capacity);
    this.deadlineAt = new Float64Array(capacity);
  }

  /**
   * Stores `lease` (whose address is the number `addr`, and identities the keys `ids`) in a free slot;
   * returns the slot.
   */
  add(lease: Lease, addr: number, ids: LeaseKeys = leaseKeys(lease)): number {
    const slot = this.freeSlots.pop() ?? this.used++;
    if (slot >= this.capacity) this.grow();
    this.deadlineAt[slot] = NaN;
    this.write(slot, lease, addr, ids);
    return slot;
  }

  /** The deadline set for the lease in `slot` (kept when the lease is replaced), or NaN. */
  deadline(slot: number): number {
    return this.deadlineAt[slot]!;
  }

  /** Sets (NaN: clears) the deadline of `slot`. */
  setDeadline(slot: number, deadline: number): void {
    const was = !Number.isNaN(this.deadlineAt[slot]!);
    const is = !Number.isNaN(deadline);
    this.armed += (is ? 1 : 0) - (was ? 1 : 0);
    this.deadlineAt[slot] = deadline;
  }

  /** How many slots have a deadline. */
  get deadlines(): number {
    return this.armed;
  }

  /** Replaces the lease in `slot`. */
  set(slot: number, lease: Lease, addr: number, ids: LeaseKeys = leaseKeys(lease)): void {
    this.forgetExtras(slot);
    this.write(slot, lease, addr, ids);
  }

  /** A fresh frozen lease equal to the one stored in `slot`. */
  get(slot: number): Lease {
    const known = this.whole.get(slot) ?? this.recent.get(slot);
    if (known !== undefined) return known;
    const lease = this.build(slot);
    this.remember(slot, lease);
    return lease;
  }

  private remember(slot: number, lease: Lease): void {
    if (this.recent.size >= RECENT_MAX) {
      // the oldest entry: a Map iterates in insertion order
      for (const oldest of this.recent.keys()) {
        this.recent.delete(oldest);
        break;
      }
    }
    this.recent.set(slot, lease);
  }

  private build(slot: number): Lease {
    const forms = this.idForms[slot]!;
    const at = slot * ID_STRIDE;
    const hwKind = forms & HW_KIND;
    const hwAddress =
      hwKind === HW_SIX
        ? sixOctetsText(this.hw48[slot]!)
        : hwKind === HW_EMPTY
          ? ''
          : unpackHex(this.wide!, at);
    const idKind = forms & ID_KIND;
    const clientId =
      idKind === ID_NONE
        ? null
        : idKind === ID_FROM_HW
          ? `01:${hwAddress}`
          : unpackHex(this.wide!, at + 1 + HW_BYTES);
    return Object.freeze({
      address: intToIpv4(this.addr[slot]!),
      hwAddress,
      clientId,
      subnetId: this.subnetId[slot]!,
      validLifetime: this.validLifetime[slot]!,
      cltt: this.cltt[slot]!,
      expiresAt: this.expiresAt[slot]!,
      hostname: this.hostname.get(slot) ?? null,
      ...((this.state[slot]! & FQDN_FWD) !== 0 ? { fqdnFwd: true } : {}),
      ...((this.state[slot]! & FQDN_REV) !== 0 ? { fqdnRev: true } : {}),
      state: STATES[this.state[slot]! & STATE_MASK]!,
      userContext: this.userContext.get(slot) ?? null,
    });
  }

  /** The state of the lease in `slot`, without building the lease. */
  stateOf(slot: number): LeaseState {
    return this.whole.get(slot)?.state ?? STATES[this.state[slot]! & STATE_MASK]!;
  }

  free(slot: number): void {
    this.forgetExtras(slot);
    this.setDeadline(slot, NaN);
    this.freeSlots.push(slot);
  }

  clear(): void {
    this.armed = 0;
    this.hostname.clear();
    this.userContext.clear();
    this.whole.clear();
    this.recent.clear();
    this.freeSlots.length = 0;
    this.used = 0;
  }

  private write(slot: number, lease: Lease, addr: number, ids: LeaseKeys): void {
    const fits =
      // ipv4ToInt accepts only the canonical text (no leading zeros), so this is `intToIpv4(addr) ===
      // lease.address` without building a string per write
      ipv4ToInt(lease.address) === addr &&
      isUint32(lease.subnetId) &&
      isUint32(lease.validLifetime) &&
      STATE_CODE[lease.state] !== undefined &&
      this.writeIds(slot, lease.hwAddress, lease.clientId, ids);
    if (!fits) {
      this.whole.set(slot, Object.isFrozen(lease) ? lease : Object.freeze({ ...lease }));
      return;
    }
    this.addr[slot] = addr;
    this.subnetId[slot] = lease.subnetId;
    this.validLifetime[slot] = lease.validLifetime;
    this.cltt[slot] = lease.cltt;
    this.expiresAt[slot] = lease.expiresAt;
    this.state[slot] =
      STATE_CODE[lease.state] |
      (lease.fqdnFwd === true ? FQDN_FWD : 0) |
      (lease.fqdnRev === true ? FQDN_REV : 0);
    if (lease.hostname !== null) this.hostname.set(slot, lease.hostname);
    if (lease.userContext !== null) this.userContext.set(slot, lease.userContext);
  }

  /** Stores the identities of `slot` in the narrowest form that holds them exactly; false if none does. */
  private writeIds(slot: number, hwAddress: string, clientId: string | null, ids: LeaseKeys): boolean {
    const hw = ids.hw;
    let forms: number;
    if (typeof hw === 'number') {
      this.hw48[slot] = hw;
      forms = HW_SIX;
    } else if (hwAddress === '') forms = HW_EMPTY;
    else if (packHex(hwAddress, HW_BYTES, this.wideBytes(), slot * ID_STRIDE)) forms = HW_WIDE;
    else return false;
    if (clientId === null) forms |= ID_NONE;
    else if (forms === HW_SIX && ids.clientId === hw) forms |= ID_FROM_HW;
    else if (packHex(clientId, ID_BYTES, this.wideBytes(), slot * ID_STRIDE + 1 + HW_BYTES)) forms |= ID_WIDE;
    else return false;
    this.idForms[slot] = forms;
    return true;
  }

  private wideBytes(): Uint8Array {
    this.wide ??= new Uint8Array(this.capacity * ID_STRIDE);
    return this.wide;
  }

  private forgetExtras(slot: number): void {
    this.recent.delete(slot);
    this.hostname.delete(slot);
    this.userContext.delete(slot);
    this.whole.delete(slot);
  }

  /** Doubles every column (amortised: a million leases copy about two million slots in all). */
  private grow(): void {
    this.capacity *= 2;
    const widen = <T extends Uint8Array | Uint32Array | Float64Array>(
      a: T,
      make: (n: number) => T,
      n: number,
    ): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.subnetId = widen(this.subnetId, (n) => new Uint32Array(n), this.capacity);
    this.validLifetime = widen(this.validLifetime, (n) => new Uint32Array(n), this.capacity);
    this.cltt = widen(this.cltt, (n) => new Float64Array(n), this.capacity);
    this.expiresAt = widen(this.expiresAt, (n) => new Float64Array(n), this.capacity);
    this.state = widen(this.state, (n) => new Uint8Array(n), this.capacity);
    this.addr = widen(this.addr, (n) => new Uint32Array(n), this.capacity);
    this.idForms = widen(this.idForms, (n) => new Uint8Array(n), this.capacity);
    this.hw48 = widen(this.hw48, (n) => new Float64Array(n), this.capacity);
    this.deadlineAt = widen(this.deadlineAt, (n) => new Float64Array(n), this.capacity);
    if (this.wide !== null) this.wide = widen(this.wide, (n) => new Uint8Array(n), this.capacity * ID_STRIDE);
  }

  // Read-only accessors for scans over every lease (lease-scan.ts). A freed slot keeps its last columns,
  // and a slot holding a lease kept whole keeps stale ones: a scan checks its candidates with the index.

  /** Slots below this may hold a lease. */
  get slotLimit(): number {
    return this.used;
  }

  /**
   * Whether the columns of `slot` say its hardware address is `key` (an Ethernet address's `hwKey` number,
   * else -1) or `octets` (its bytes; empty for `''`; null when the text is no canonical colon hex).
   */
  hasHwAddress(slot: number, key: number, octets: Uint8Array | null): boolean {
    const kind = this.idForms[slot]! & HW_KIND;
    if (kind === HW_SIX) return this.hw48[slot] === key;
    if (kind === HW_EMPTY) return octets !== null && octets.length === 0;
    return octets !== null && this.wideEquals(slot * ID_STRIDE, octets);
  }

  /** As `hasHwAddress`, for the client identifier (`key`: a `clientIdKey` number, else -1). */
  hasClientId(slot: number, key: number, octets: Uint8Array | null): boolean {
    const kind = this.idForms[slot]! & ID_KIND;
    if (kind === ID_FROM_HW) return this.hw48[slot] === key;
    if (kind === ID_WIDE) return octets !== null && this.wideEquals(slot * ID_STRIDE + 1 + HW_BYTES, octets);
    return false;
  }

  /** The hostnames of the leases held in columns, by slot (only live slots). */
  hostnames(): ReadonlyMap<number, string> {
    return this.hostname;
  }

  /** The leases kept whole, by slot (only live slots). */
  wholeLeases(): ReadonlyMap<number, Lease> {
    return this.whole;
  }

  /** `get` without remembering the lease: a scan's answers must not push the exchanges' leases out. */
  peek(slot: number): Lease {
    return this.whole.get(slot) ?? this.recent.get(slot) ?? this.build(slot);
  }

  private wideEquals(at: number, octets: Uint8Array): boolean {
    const wide = this.wide;
    if (wide === null || wide[at] !== octets.length) return false;
    for (let i = 0; i < octets.length; i++) if (wide[at + 1 + i] !== octets[i]) return false;
    return true;
  }
}

/** What a scan over every lease reads of `CompactLeases`. */
export type LeaseColumns = Pick<
  CompactLeases,
  'slotLimit' | 'hasHwAddress' | 'hasClientId' | 'hostnames' | 'wholeLeases' | 'peek'
>;

function isUint32(n: number): boolean {
  return n >>> 0 === n;
}
