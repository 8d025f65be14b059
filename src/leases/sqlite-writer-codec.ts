import { LeaseStoreIoError } from './errors.ts';
import type { Lease, LeaseState } from './lease.ts';
import type { WriteOp } from './sqlite-sql.ts';
import type { CommitMode } from './store.ts';

/**
 * The writer thread's commits and their reports as bytes. V8's structured clone writes every property name of
 * every lease and makes the other thread look each one up again; these fixed fields and length-prefixed strings
 * cost a fraction of that (docs/scaling.md, cut 20). The bytes travel as a one-byte string: a string is copied
 * into the other isolate's heap, where an `ArrayBuffer` would be a backing store for V8's helper threads to track
 * and free. Each side trusts nothing it reads: the decoders check every length, code and time and refuse the
 * whole message at the first thing out of place.
 *
 * Layout, little-endian: u32 version, u32 count, then per item
 *   a commit: u8 mode, u8 matchClientId, u16 0, u32 key, f64 now, then its lease;
 *   a report: u8 (1 when it updated a lease, 2 when a previous lease follows), then that lease;
 *   a lease: u8 flags, u8 state, u16 0, u32 subnetId, u32 validLifetime, f64 cltt, f64 expiresAt, then the
 *   strings address, hwAddress, and clientId, hostname, userContext's JSON when their flag is set, each as u32
 *   byte length, u8 1 when UTF-8 (0: every byte is ASCII), and its bytes.
 */
const VERSION = 1;
const HEADER_BYTES = 8;
const FIXED_BYTES = 4 + 8 + 16;
const OP_BYTES = 16;
const STRING_HEAD_BYTES = 5;

const MODES: readonly CommitMode[] = ['claim', 'insert', 'update', 'upsert'];
const STATES: readonly LeaseState[] = ['default', 'declined', 'expired-reclaimed'];

const UPDATED = 1;
const HAS_PREVIOUS = 2;

const HAS_CLIENT_ID = 2;
const HAS_HOSTNAME = 4;
const HAS_USER_CONTEXT = 8;
const FQDN_FWD = 16;
const FQDN_REV = 32;
const KNOWN_FLAGS = 62;

/** A commit as the writer thread takes it. */
export type CommitOp = Extract<WriteOp, { readonly op: 'commit' }>;

/** Whether every operation of the batch is a commit, so that it can travel as bytes. */
export function allCommits(ops: readonly WriteOp[]): ops is readonly CommitOp[] {
  for (let i = 0; i < ops.length; i++) if (ops[i]!.op !== 'commit') return false;
  return true;
}

/** What the thread answers for a commit that wrote the lease the main thread posted (`CommittedPosted`). */
export interface PostedReport {
  readonly ok: true;
  readonly wrote: 'added' | 'updated';
  readonly previous: Lease | null;
}

/** Grows as messages need; one per side, each message's bytes copied out into its string. */
export class WriterEncoder {
  #bytes = new Uint8Array(16_384);
  #view = new DataView(this.#bytes.buffer);
  #at = 0;

  /** A batch of commits. */
  encodeCommits(ops: readonly CommitOp[]): string {
    this.#at = HEADER_BYTES;
    for (let i = 0; i < ops.length; i++) this.#op(ops[i]!);
    this.#view.setUint32(0, VERSION, true);
    this.#view.setUint32(4, ops.length, true);
    return this.#text();
  }

  #op(op: CommitOp): void {
    this.#reserve(OP_BYTES);
    this.#bytes[this.#at] = MODES.indexOf(op.mode);
    this.#bytes[this.#at + 1] = op.matchClientId ? 1 : 0;
    this.#bytes[this.#at + 2] = 0;
    this.#bytes[this.#at + 3] = 0;
    this.#view.setUint32(this.#at + 4, op.key, true);
    this.#view.setFloat64(this.#at + 8, op.now, true);
    this.#at += OP_BYTES;
    this.#lease(op.lease);
  }

  /** The reports of a batch whose every commit wrote its lease. */
  encodePosted(results: readonly PostedReport[]): string {
    this.#at = HEADER_BYTES;
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      this.#reserve(1);
      this.#bytes[this.#at++] =
        (r.wrote === 'added' ? 0 : UPDATED) | (r.previous === null ? 0 : HAS_PREVIOUS);
      if (r.previous !== null) this.#lease(r.previous);
    }
    this.#view.setUint32(0, VERSION, true);
    this.#view.setUint32(4, results.length, true);
    return this.#text();
  }

  #text(): string {
    return Buffer.from(this.#bytes.buffer, 0, this.#at).toString('latin1');
  }

  #lease(lease: Lease): void {
    const context = lease.userContext === null ? null : JSON.stringify(lease.userContext);
    let flags = 0;
    if (lease.clientId !== null) flags |= HAS_CLIENT_ID;
    if (lease.hostname !== null) flags |= HAS_HOSTNAME;
    if (context !== null) flags |= HAS_USER_CONTEXT;
    if (lease.fqdnFwd === true) flags |= FQDN_FWD;
    if (lease.fqdnRev === true) flags |= FQDN_REV;
    this.#reserve(FIXED_BYTES);
    const view = this.#view;
    const at = this.#at;
    this.#bytes[at] = flags;
    this.#bytes[at + 1] = STATES.indexOf(lease.state);
    this.#bytes[at + 2] = 0;
    this.#bytes[at + 3] = 0;
    view.setUint32(at + 4, lease.subnetId, true);
    view.setUint32(at + 8, lease.validLifetime, true);
    view.setFloat64(at + 12, lease.cltt, true);
    view.setFloat64(at + 20, lease.expiresAt, true);
    this.#at = at + FIXED_BYTES;
    this.#string(lease.address);
    this.#string(lease.hwAddress);
    if (lease.clientId !== null) this.#string(lease.clientId);
    if (lease.hostname !== null) this.#string(lease.hostname);
    if (context !== null) this.#string(context);
  }

  #string(text: string): void {
    this.#reserve(STRING_HEAD_BYTES + text.length);
    const bytes = this.#bytes;
    const start = this.#at + STRING_HEAD_BYTES;
    let i = 0;
    for (; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0x7f) break;
      bytes[start + i] = code;
    }
    if (i === text.length) {
      this.#view.setUint32(this.#at, i, true);
      bytes[this.#at + 4] = 0;
      this.#at = start + i;
      return;
    }
    const utf8 = Buffer.from(text, 'utf8');
    this.#reserve(STRING_HEAD_BYTES + utf8.length);
    this.#view.setUint32(this.#at, utf8.length, true);
    this.#bytes[this.#at + 4] = 1;
    this.#bytes.set(utf8, this.#at + STRING_HEAD_BYTES);
    this.#at += STRING_HEAD_BYTES + utf8.length;
  }

  #reserve(bytes: number): void {
    if (this.#at + bytes <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#at + bytes));
    grown.set(this.#bytes.subarray(0, this.#at));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }
}

/** A batch the thread cannot read: refused whole, before any of it is written. */
function malformed(detail: string): LeaseStoreIoError {
  return new LeaseStoreIoError(`malformed write batch from the main thread: ${detail}`);
}

/**
 * The commits `encodeCommits` wrote; throws `LeaseStoreIoError` for anything else. The values keep their types
 * and ranges (codes, uint32s, finite times, ASCII where marked), not the rest of a lease's rules: those were
 * checked where the lease was committed, on the main thread.
 */
export function decodeCommits(encoded: unknown): CommitOp[] {
  // The smallest commit is its fixed parts and two empty strings.
  return decodeAll(encoded, OP_BYTES + FIXED_BYTES + 2 * STRING_HEAD_BYTES, (reader) => reader.commit());
}

/** The reports `encodePosted` wrote, each previous lease frozen as an inline store's; throws as `decodeCommits`. */
export function decodePosted(encoded: unknown): PostedReport[] {
  return decodeAll(encoded, 1, (reader) => reader.posted());
}

// eslint-disable-next-line no-control-regex -- every character above one byte
const WIDE_CHARACTER = /[^\u0000-\u00ff]/;

function decodeAll<T>(encoded: unknown, smallest: number, item: (reader: Reader) => T): T[] {
  if (typeof encoded !== 'string') throw malformed('not a string');
  // Latin-1 would keep only the low byte of a wider character: refused rather than read as another byte.
  if (WIDE_CHARACTER.test(encoded)) throw malformed('not one byte a character');
  const bytes = Buffer.from(encoded, 'latin1');
  const reader = new Reader(bytes);
  if (reader.u32() !== VERSION) throw malformed('unknown version');
  const count = reader.u32();
  if (count > bytes.length / smallest) throw malformed('count too large');
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(item(reader));
  if (!reader.atEnd()) throw malformed('trailing bytes');
  return out;
}

class Reader {
  readonly #bytes: Buffer;
  readonly #view: DataView;
  #at = 0;

  constructor(buffer: Buffer) {
    this.#bytes = buffer;
    this.#view = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
  }

  atEnd(): boolean {
    return this.#at === this.#bytes.length;
  }

  u32(): number {
    this.#need(4);
    const value = this.#view.getUint32(this.#at, true);
    this.#at += 4;
    return value;
  }

  commit(): CommitOp {
    this.#need(OP_BYTES);
    const at = this.#at;
    const mode = MODES[this.#bytes[at]!];
    if (mode === undefined) throw malformed('unknown commit mode');
    const match = this.#bytes[at + 1]!;
    if (match > 1 || this.#bytes[at + 2] !== 0 || this.#bytes[at + 3] !== 0) throw malformed('unknown flags');
    const key = this.#view.getUint32(at + 4, true);
    const now = time(this.#view.getFloat64(at + 8, true));
    this.#at = at + OP_BYTES;
    return { op: 'commit', key, lease: this.lease(), mode, now, matchClientId: match === 1 };
  }

  posted(): PostedReport {
    this.#need(1);
    const code = this.#bytes[this.#at++]!;
    if (code > (UPDATED | HAS_PREVIOUS)) throw malformed('unknown report');
    const previous = (code & HAS_PREVIOUS) === 0 ? null : Object.freeze(this.lease());
    return { ok: true, wrote: (code & UPDATED) === 0 ? 'added' : 'updated', previous };
  }

  lease(): Lease {
    this.#need(FIXED_BYTES);
    const at = this.#at;
    const view = this.#view;
    const flags = this.#bytes[at]!;
    const state = STATES[this.#bytes[at + 1]!];
    if (state === undefined) throw malformed('unknown lease state');
    if ((flags & ~KNOWN_FLAGS) !== 0 || this.#bytes[at + 2] !== 0 || this.#bytes[at + 3] !== 0)
      throw malformed('unknown flags');
    const subnetId = view.getUint32(at + 4, true);
    const validLifetime = view.getUint32(at + 8, true);
    const cltt = time(view.getFloat64(at + 12, true));
    const expiresAt = time(view.getFloat64(at + 20, true));
    this.#at = at + FIXED_BYTES;
    const address = this.#string();
    const hwAddress = this.#string();
    const clientId = (flags & HAS_CLIENT_ID) === 0 ? null : this.#string();
    const hostname = (flags & HAS_HOSTNAME) === 0 ? null : this.#string();
    const userContext = (flags & HAS_USER_CONTEXT) === 0 ? null : this.#userContext();
    // One literal of one shape for the common lease (a spread builds its object key by key).
    const lease: Lease = {
      address,
      hwAddress,
      clientId,
      subnetId,
      validLifetime,
      cltt,
      expiresAt,
      hostname,
      state,
      userContext,
    };
    if ((flags & (FQDN_FWD | FQDN_REV)) === 0) return lease;
    return {
      ...lease,
      ...((flags & FQDN_FWD) === 0 ? {} : { fqdnFwd: true }),
      ...((flags & FQDN_REV) === 0 ? {} : { fqdnRev: true }),
    };
  }

  #string(): string {
    const length = this.u32();
    this.#need(1 + length);
    const utf8 = this.#bytes[this.#at] === 1;
    if (!utf8 && this.#bytes[this.#at] !== 0) throw malformed('unknown string encoding');
    const start = this.#at + 1;
    const end = start + length;
    this.#at = end;
    if (utf8) return this.#bytes.toString('utf8', start, end);
    for (let i = start; i < end; i++) if (this.#bytes[i]! > 0x7f) throw malformed('a string is not ASCII');
    return this.#bytes.toString('latin1', start, end);
  }

  #userContext(): Readonly<Record<string, unknown>> {
    let value: unknown;
    try {
      value = JSON.parse(this.#string());
    } catch {
      throw malformed('a user context is not JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw malformed('a user context is not an object');
    }
    return value as Readonly<Record<string, unknown>>;
  }

  #need(bytes: number): void {
    if (this.#at + bytes > this.#bytes.length) throw malformed('truncated');
  }
}

function time(value: number): number {
  if (!Number.isFinite(value)) throw malformed('a time is not finite');
  return value;
}
