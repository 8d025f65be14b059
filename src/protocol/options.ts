import { bytesEqual, fromHex, toHex } from './bytes.ts';
import { DhcpEncodeError } from './errors.ts';
import {
  definitionByName,
  definitionByCode,
  optionCode,
  optionName,
  type NamedDefinition,
  type OptionName,
  type OptionValues,
} from './option-table.ts';

/**
 * A value is either bytes or, straight from the decoder, `start * 256 + length` of a single-occurrence
 * option inside the decoded packet: views are made only for the options somebody reads, which halves the
 * cost of decoding a typical packet.
 */
type Slot = Uint8Array | number;

/**
 * The options of one message: raw bytes per code (the concatenated value, RFC 3396), typed through the
 * option table on `get` and encoded at once on `set`. Stored bytes are never mutated in place, so clones
 * and decoded packets share them; do not mutate what `getRaw` returns. Compare two with `equals`.
 */
export class DhcpOptions {
  private codeList: number[];
  private slots: Slot[];
  private packet: Uint8Array | undefined;

  constructor() {
    this.codeList = [];
    this.slots = [];
    this.packet = undefined;
  }

  /** @internal The decoder's hand-over: parallel arrays, adopted, and the packet copy numbers refer to. */
  static fromDecoded(packet: Uint8Array, codes: number[], slots: Slot[]): DhcpOptions {
    const o = new DhcpOptions();
    o.packet = packet;
    o.codeList = codes;
    o.slots = slots;
    return o;
  }

  get size(): number {
    return this.codeList.length;
  }

  private indexOf(code: number): number {
    const list = this.codeList;
    for (let i = 0; i < list.length; i++) if (list[i] === code) return i;
    return -1;
  }

  /** @internal The bytes at position `i` of codes(). */
  rawAt(i: number): Uint8Array {
    const s = this.slots[i]!;
    if (typeof s !== 'number') return s;
    const p = this.packet!;
    const view = new Uint8Array(p.buffer, p.byteOffset + (s >>> 8), s & 255);
    this.slots[i] = view;
    return view;
  }

  /** @internal The byte length of the value at position `i`, without making a view. */
  lengthAt(i: number): number {
    const s = this.slots[i]!;
    return typeof s === 'number' ? s & 255 : s.length;
  }

  /** @internal The code at position `i`. */
  codeAt(i: number): number {
    return this.codeList[i]!;
  }

  /** The typed value, or undefined when absent or when its bytes do not fit the option's type. */
  get<N extends OptionName>(name: N): OptionValues[N] | undefined {
    const d = definitionByName(name);
    if (d === undefined) return undefined;
    const i = this.indexOf(d.code);
    if (i < 0) return undefined;
    const s = this.slots[i]!;
    if (typeof s === 'number' && d.codec.decodeAt !== undefined) {
      return d.codec.decodeAt(this.packet!, s >>> 8, s & 255) as OptionValues[N] | undefined;
    }
    return d.codec.decode(this.rawAt(i)) as OptionValues[N] | undefined;
  }

  /** @internal `get` with the definition looked up once by the caller (`definitionNamed`). */
  getBy<N extends OptionName>(d: NamedDefinition<N>): OptionValues[N] | undefined {
    const i = this.indexOf(d.code);
    if (i < 0) return undefined;
    const s = this.slots[i]!;
    if (typeof s === 'number' && d.codec.decodeAt !== undefined) {
      return d.codec.decodeAt(this.packet!, s >>> 8, s & 255);
    }
    return d.codec.decode(this.rawAt(i));
  }

  /** Encodes `value` through the table at once; throws DhcpEncodeError on an impossible value. */
  set<N extends OptionName>(name: N, value: OptionValues[N]): this {
    const d = definitionByName(name);
    if (d === undefined)
      throw new DhcpEncodeError('ERR_ENCODE_UNKNOWN_OPTION', `unknown option name '${String(name)}'`);
    let b: Uint8Array | null;
    try {
      b = d.codec.encode(value);
    } catch (err) {
      if (err instanceof DhcpEncodeError) {
        throw new DhcpEncodeError(err.code, `option ${d.name} (${d.code}): ${err.message}`);
      }
      throw err;
    }
    if (b === null) this.remove(d.code);
    else this.put(d.code, b);
    return this;
  }

  /**
   * @internal Stores `b` itself (no copy, no checks) as the value of `code` (1..254): for bytes that are
   * never mutated, such as a compiled configuration's option data shared by every reply.
   */
  putShared(code: number, b: Uint8Array): void {
    this.put(code, b);
  }

  /** @internal The position of `code` in codes(), or -1. */
  positionOf(code: number): number {
    return this.indexOf(code);
  }

  /** @internal Byte `k` of the value at position `i` (k below lengthAt(i)), without making a view. */
  byteAt(i: number, k: number): number {
    const s = this.slots[i]!;
    return typeof s === 'number' ? this.packet![(s >>> 8) + k]! : s[k]!;
  }

  /** @internal `has` for a code known to be a number, without the name lookup. */
  hasCode(code: number): boolean {
    return this.indexOf(code) >= 0;
  }

  private put(code: number, b: Uint8Array): void {
    const i = this.indexOf(code);
    if (i >= 0) {
      this.slots[i] = b;
    } else {
      this.codeList.push(code);
      this.slots.push(b);
    }
  }

  private remove(code: number): boolean {
    const i = this.indexOf(code);
    if (i < 0) return false;
    this.codeList.splice(i, 1);
    this.slots.splice(i, 1);
    return true;
  }

  has(nameOrCode: OptionName | number): boolean {
    const code = optionCode(nameOrCode);
    return code !== undefined && this.indexOf(code) >= 0;
  }

  delete(nameOrCode: OptionName | number): boolean {
    const code = optionCode(nameOrCode);
    return code !== undefined && this.remove(code);
  }

  /** The concatenated value of a code (RFC 3396), known or not. */
  getRaw(code: number): Uint8Array | undefined {
    const i = this.indexOf(code);
    return i < 0 ? undefined : this.rawAt(i);
  }

  /** Sets a code's bytes as they are (copied); codes 0 (PAD) and 255 (END) are not options. */
  setRaw(code: number, data: Uint8Array): this {
    if (!Number.isInteger(code) || code < 1 || code > 254) {
      throw new DhcpEncodeError('ERR_ENCODE_BAD_OPTION_VALUE', `option code must be 1..254, got ${code}`);
    }
    if (!(data instanceof Uint8Array)) {
      throw new DhcpEncodeError('ERR_ENCODE_BAD_OPTION_VALUE', `option ${code}: expected a Uint8Array`);
    }
    this.put(code, new Uint8Array(data));
    return this;
  }

  /** Codes in the order they were added or decoded; replacing a value keeps its place. */
  codes(): number[] {
    return this.codeList.slice();
  }

  /** [code, bytes] pairs in order. */
  *entries(): IterableIterator<[number, Uint8Array]> {
    for (let i = 0; i < this.codeList.length; i++) yield [this.codeList[i]!, this.rawAt(i)];
  }

  /** Same codes in the same order with the same bytes. */
  equals(other: DhcpOptions): boolean {
    if (other.size !== this.size) return false;
    for (let i = 0; i < this.codeList.length; i++) {
      if (other.codeAt(i) !== this.codeList[i] || !bytesEqual(this.rawAt(i), other.rawAt(i))) return false;
    }
    return true;
  }

  /**
   * Options keyed by Kea name (or 'option-<code>' with hex for unknown codes). A known option whose bytes
   * do not fit its type appears as `{ raw: '<hex>' }`.
   */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < this.codeList.length; i++) {
      const code = this.codeList[i]!;
      const b = this.rawAt(i);
      const d = definitionByCode(code);
      if (d === undefined) {
        out[optionName(code)] = toHex(b);
        continue;
      }
      const value = d.codec.decode(b);
      out[d.name] = value === undefined ? { raw: toHex(b) } : d.codec.toJSON(value);
    }
    return out;
  }

  /**
   * The inverse of `toJSON`: Kea names with typed values (hex for bytes), `{ raw: hex }` for bytes kept
   * as they are, 'option-<code>' with hex for unknown codes. Throws DhcpEncodeError on anything else.
   */
  static fromJSON(json: Readonly<Record<string, unknown>>): DhcpOptions {
    const o = new DhcpOptions();
    for (const [key, value] of Object.entries(json)) {
      const code = optionCode(key);
      if (code === undefined)
        throw new DhcpEncodeError('ERR_ENCODE_UNKNOWN_OPTION', `unknown option name '${key}'`);
      const d = definitionByCode(code);
      const raw =
        d === undefined
          ? value
          : typeof value === 'object' && value !== null
            ? (value as { raw?: unknown }).raw
            : undefined;
      if (raw !== undefined) {
        const bytes = typeof raw === 'string' ? fromHex(raw) : undefined;
        if (bytes === undefined)
          throw new DhcpEncodeError('ERR_ENCODE_BAD_OPTION_VALUE', `${key}: expected hex`);
        o.setRaw(code, bytes);
      } else if (d !== undefined) {
        o.set(d.name as OptionName, (d.codec.fromJSON ? d.codec.fromJSON(value) : value) as never);
      }
    }
    return o;
  }

  clone(): DhcpOptions {
    const o = new DhcpOptions();
    for (let i = 0; i < this.codeList.length; i++) {
      o.codeList.push(this.codeList[i]!);
      o.slots.push(this.rawAt(i));
    }
    return o;
  }
}
