import { toHex } from './bytes.ts';
import { DhcpEncodeError } from './errors.ts';
import {
  definitionByName,
  definitionByCode,
  optionCode,
  optionName,
  type OptionName,
  type OptionValues,
} from './option-table.ts';

/**
 * The options of one message: raw bytes per code (the concatenated value, RFC 3396), typed through the
 * option table on `get` and encoded at once on `set`. Stored bytes are never mutated in place, so clones
 * and decoded packets can share them; do not mutate what `getRaw` returns.
 */
export class DhcpOptions {
  private readonly store: Map<number, Uint8Array>;

  /** `raw` is adopted, not copied (the decoder hands over its map). */
  constructor(raw?: Map<number, Uint8Array>) {
    this.store = raw ?? new Map();
  }

  get size(): number {
    return this.store.size;
  }

  /** The typed value, or undefined when absent or when its bytes do not fit the option's type. */
  get<N extends OptionName>(name: N): OptionValues[N] | undefined {
    const d = definitionByName(name);
    if (d === undefined) return undefined;
    const b = this.store.get(d.code);
    return b === undefined ? undefined : (d.codec.decode(b) as OptionValues[N] | undefined);
  }

  /** Encodes `value` through the table at once; throws DhcpEncodeError on an impossible value. */
  set<N extends OptionName>(name: N, value: OptionValues[N]): this {
    const d = definitionByName(name);
    if (d === undefined)
      throw new DhcpEncodeError('ERR_UNKNOWN_OPTION', `unknown option name '${String(name)}'`);
    let b: Uint8Array | null;
    try {
      b = d.codec.encode(value);
    } catch (err) {
      if (err instanceof DhcpEncodeError)
        throw new DhcpEncodeError(err.code, `option ${d.name} (${d.code}): ${err.message}`);
      throw err;
    }
    if (b === null) this.store.delete(d.code);
    else this.store.set(d.code, b);
    return this;
  }

  has(nameOrCode: OptionName | number): boolean {
    const code = optionCode(nameOrCode);
    return code !== undefined && this.store.has(code);
  }

  delete(nameOrCode: OptionName | number): boolean {
    const code = optionCode(nameOrCode);
    return code !== undefined && this.store.delete(code);
  }

  /** The concatenated value of a code (RFC 3396), known or not. */
  getRaw(code: number): Uint8Array | undefined {
    return this.store.get(code);
  }

  /** Sets a code's bytes as they are (copied); codes 0 (PAD) and 255 (END) are not options. */
  setRaw(code: number, data: Uint8Array): this {
    if (!Number.isInteger(code) || code < 1 || code > 254) {
      throw new DhcpEncodeError('ERR_BAD_OPTION_VALUE', `option code must be 1..254, got ${code}`);
    }
    if (!(data instanceof Uint8Array))
      throw new DhcpEncodeError('ERR_BAD_OPTION_VALUE', `option ${code}: expected a Uint8Array`);
    this.store.set(code, new Uint8Array(data));
    return this;
  }

  /** Codes in the order they were added or decoded. */
  codes(): number[] {
    return [...this.store.keys()];
  }

  /** [code, bytes] pairs in order, without copying. */
  entries(): IterableIterator<[number, Uint8Array]> {
    return this.store.entries();
  }

  /**
   * Options keyed by Kea name (or 'option-<code>' with hex for unknown codes). A known option whose bytes
   * do not fit its type appears as `{ raw: '<hex>' }`.
   */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [code, b] of this.store) {
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

  clone(): DhcpOptions {
    return new DhcpOptions(new Map(this.store));
  }
}
