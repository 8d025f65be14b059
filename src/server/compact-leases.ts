import { intToIpv4 } from '../config/ipv4.ts';
import type { Lease, LeaseState } from '../leases/lease.ts';
import { hexDigit } from './identity.ts';

const STATES: readonly LeaseState[] = ['default', 'declined', 'expired-reclaimed'];
const STATE_CODE: Readonly<Record<LeaseState, number>> = { default: 0, declined: 1, 'expired-reclaimed': 2 };

/** Hardware addresses up to 16 octets (chaddr) are kept as bytes; client identifiers up to 20 (type + DUID-ish). */
const HW_BYTES = 16;
const ID_BYTES = 20;
/** Per slot: hw length, hw octets, client-id length (NO_ID: none), client-id octets. */
const ID_STRIDE = 1 + HW_BYTES + 1 + ID_BYTES;
const NO_ID = 255;
/**
 * Leases built or stored lately, by slot: an exchange reads its client's lease several times (DISCOVER,
 * REQUEST, the commit), and building it each time would cost the hot path what the columns save.
 */
const RECENT_MAX = 4096;
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

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
 * lifetimes, times, state, hardware address, client identifier) live in the arrays; the ones most leases
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
  private ids: Uint8Array;
  private readonly hostname = new Map<number, string>();
  private readonly userContext = new Map<number, Readonly<Record<string, unknown>>>();
  private readonly whole = new Map<number, Lease>();
  private readonly recent = new Map<number, Lease>();
  private readonly freeSlots: number[] = [];
  private used = 0;

  constructor(capacity = 1024) {
    this.capacity = capacity;
    this.subnetId = new Uint32Array(capacity);
    this.validLifetime = new Uint32Array(capacity);
    this.cltt = new Float64Array(capacity);
    this.expiresAt = new Float64Array(capacity);
    this.state = new Uint8Array(capacity);
    this.addr = new Uint32Array(capacity);
    this.ids = new Uint8Array(capacity * ID_STRIDE);
  }

  /** Stores `lease` (whose address is the number `addr`) in a free slot; returns the slot. */
  add(lease: Lease, addr: number): number {
    const slot = this.freeSlots.pop() ?? this.used++;
    if (slot >= this.capacity) this.grow();
    this.write(slot, lease, addr);
    return slot;
  }

  /** Replaces the lease in `slot`. */
  set(slot: number, lease: Lease, addr: number): void {
    this.forgetExtras(slot);
    this.write(slot, lease, addr);
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
    const at = slot * ID_STRIDE;
    const idAt = at + 1 + HW_BYTES;
    return Object.freeze({
      address: intToIpv4(this.addr[slot]!),
      hwAddress: unpackHex(this.ids, at),
      clientId: this.ids[idAt] === NO_ID ? null : unpackHex(this.ids, idAt),
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
    this.freeSlots.push(slot);
  }

  clear(): void {
    this.hostname.clear();
    this.userContext.clear();
    this.whole.clear();
    this.recent.clear();
    this.freeSlots.length = 0;
    this.used = 0;
  }

  private write(slot: number, lease: Lease, addr: number): void {
    const at = slot * ID_STRIDE;
    const idAt = at + 1 + HW_BYTES;
    const fits =
      intToIpv4(addr) === lease.address &&
      isUint32(lease.subnetId) &&
      isUint32(lease.validLifetime) &&
      STATE_CODE[lease.state] !== undefined &&
      packHex(lease.hwAddress, HW_BYTES, this.ids, at) &&
      (lease.clientId === null
        ? ((this.ids[idAt] = NO_ID), true)
        : packHex(lease.clientId, ID_BYTES, this.ids, idAt));
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
    this.ids = widen(this.ids, (n) => new Uint8Array(n), this.capacity * ID_STRIDE);
  }
}

function isUint32(n: number): boolean {
  return n >>> 0 === n;
}
