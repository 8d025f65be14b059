/**
 * Kea's expression language (ARM "Using Expressions in Classification"), parsed once into closures.
 * Boolean and string expressions are told apart at parse time, so evaluating a packet never parses and
 * never checks a type; the only evaluation-time failures are Kea's EvalTypeErrors (e.g. int16totext of
 * 3 bytes), thrown as EvaluationError.
 */
import { intToIp } from '../protocol/index.ts';
import { optionCode as tableOptionCode } from '../protocol/index.ts';
import { parseIp } from '../protocol/index.ts';
import { EvaluationError, ExpressionError } from './errors.ts';
import { tokenize, type Token } from './lexer.ts';
import {
  binary,
  followPath,
  uint32Binary,
  vivcoEnterprise,
  vivcoTuple,
  vivsoEnterprise,
  vivsoSubOption,
  type EvalPacket,
} from './packet.ts';
import { genericTextForm, optionTextForm, vendorTextForm, type TextForm } from './option-text.ts';

export type BoolFn = (p: EvalPacket) => boolean;
export type StringFn = (p: EvalPacket) => string;

/** What the configuration around an expression defines. */
export interface ExpressionEnv {
  /** The code of an option name (custom option definitions first); undefined when unknown. */
  optionCode?: (name: string) => number | undefined;
  /** Whether `member('name')` may name this class (built-in, or defined before the expression). */
  isClass?: (name: string) => boolean;
}

/** A compiled expression and the classes it refers to. */
export interface CompiledBool {
  readonly source: string;
  readonly evaluate: BoolFn;
  /** Every class named by `member(...)`. */
  readonly members: readonly string[];
  /** Options that must all be present for the test to be true: without one, it is false unevaluated. */
  readonly needs: readonly number[];
  /** Groups of options of which at least one must be present (an `or` of two needing sides). */
  readonly needsAnyOf: readonly (readonly number[])[];
}

export interface CompiledString {
  readonly source: string;
  readonly evaluate: StringFn;
  readonly members: readonly string[];
}

type BytesFn = (p: EvalPacket) => Uint8Array | undefined;

/**
 * Where a window function leaves the bytes it found (`buf[off .. off+len)`), so that comparing packet
 * bytes with a constant makes no view and no string. Read it right after the call that filled it.
 */
const span: { buf: Uint8Array; off: number; len: number } = { buf: new Uint8Array(0), off: 0, len: 0 };
/** Fills `span` with a value's bytes; false when the value is empty (an absent option). */
type WindowFn = (p: EvalPacket) => boolean;

function windowOf(bytes: BytesFn): WindowFn {
  return (p) => {
    const b = bytes(p);
    if (b === undefined) return false;
    span.buf = b;
    span.off = 0;
    span.len = b.length;
    return true;
  };
}

/** The bytes in `span` as a binary string. */
function spanBinary(): string {
  return binary(span.buf.subarray(span.off, span.off + span.len));
}

/** Narrows `span` to Kea's substring(start, length) of it; false when that is empty. */
function narrowSpan(start: number, length: number | undefined): boolean {
  if (!substringRange(span.len, start, length)) return false;
  span.off += range.from;
  span.len = range.len;
  return true;
}

/** Which bytes a binary string holds, as a 256-entry table; undefined for the empty string. */
function byteTable(s: string): Uint8Array | undefined {
  if (s.length === 0) return undefined;
  const t = new Uint8Array(256);
  for (let i = 0; i < s.length; i++) t[s.charCodeAt(i) & 255] = 1;
  return t;
}

/**
 * Narrows `span` to Kea's split(value, delims, field): fields 1-based, any delimiter byte splits, out of
 * range gives ''; no delimiters give the whole value.
 */
function narrowToField(delims: Uint8Array | undefined, field: number): boolean {
  if (delims === undefined) return true;
  const { buf, off, len } = span;
  let n = 1;
  let start = 0;
  for (let i = 0; i <= len; i++) {
    if (i < len && delims[buf[off + i]!] === 0) continue;
    if (n === field) {
      span.off = off + start;
      span.len = i - start;
      return true;
    }
    n++;
    start = i + 1;
  }
  return false;
}

/** A value known to be 4 bytes (or empty), as an unsigned 32-bit integer; -1 for empty. */
type UintFn = (p: EvalPacket) => number;

/**
 * A parsed sub-expression. String nodes may also say what they are in cheaper terms, so that the usual
 * `X == 'constant'` tests compare bytes without making strings: `konst` for a literal, `window` for a
 * value read straight from the packet, `uint` for a 4-byte field, `hexOf` for `hexstring(inner, sep)`,
 * `caseOf` for `lcase`/`ucase`.
 */
type StrNode = {
  readonly t: 'str';
  readonly f: StringFn;
  readonly konst?: string;
  readonly window?: WindowFn;
  /** 4-byte values (integers, addresses) as numbers. */
  readonly uint?: UintFn;
  readonly hexOf?: { readonly inner: StrNode; readonly sep: string };
  /** `lcase(inner)` / `ucase(inner)`. */
  readonly caseOf?: { readonly inner: StrNode; readonly upper: boolean };
  /** An option whose absence makes the value empty (`option[60].hex` without option 60 is ''). */
  readonly emptyWithout?: number;
};
type BoolNode = {
  readonly t: 'bool';
  readonly f: BoolFn;
  /** Options that must all be in the packet for the value to be true (a cheap pre-check). */
  readonly needs?: readonly number[];
  /** Groups of options: at least one of each must be in the packet for the value to be true. */
  readonly anyOf?: readonly (readonly number[])[];
};
type Node = BoolNode | StrNode;

function union(a: BoolNode, b: BoolNode): readonly number[] | undefined {
  if (a.needs === undefined) return b.needs;
  if (b.needs === undefined) return a.needs;
  return [...new Set([...a.needs, ...b.needs])];
}

function intersection(a: BoolNode, b: BoolNode): readonly number[] | undefined {
  if (a.needs === undefined || b.needs === undefined) return undefined;
  const both = a.needs.filter((c) => b.needs!.includes(c));
  return both.length === 0 ? undefined : both;
}

/** The groups one side of an `or` needs: each option it needs alone, then its own groups. */
function requirements(n: BoolNode): readonly (readonly number[])[] {
  return [...(n.needs ?? []).map((c) => [c]), ...(n.anyOf ?? [])];
}

const MAX_GROUP = 8;

/**
 * `a or b` is true only if a or b is: when both sides need something and share no option, one of a's
 * first requirement or of b's first must be present.
 */
function orAnyOf(a: BoolNode, b: BoolNode, both: readonly number[] | undefined): BoolNode['anyOf'] {
  if (both !== undefined) return undefined;
  const ra = requirements(a);
  const rb = requirements(b);
  if (ra.length === 0 || rb.length === 0) return undefined;
  const group = [...new Set([...ra[0]!, ...rb[0]!])];
  return group.length > MAX_GROUP ? undefined : [group];
}

function andAnyOf(a: BoolNode, b: BoolNode): BoolNode['anyOf'] {
  const groups = [...(a.anyOf ?? []), ...(b.anyOf ?? [])];
  return groups.length === 0 ? undefined : groups;
}

/** `x == k` is false when x is empty and k is not: x's option is then needed. */
function equalityNeeds(x: StrNode, k: string): readonly number[] | undefined {
  return k.length > 0 && x.emptyWithout !== undefined ? [x.emptyWithout] : undefined;
}

function literal(v: string): StrNode {
  return { t: 'str', f: () => v, konst: v };
}

/** Whether the bytes a window finds (none: empty) equal a binary string. */
function windowEquals(w: WindowFn, p: EvalPacket, k: string): boolean {
  if (!w(p)) return k.length === 0;
  if (span.len !== k.length) return false;
  const { buf, off } = span;
  for (let i = 0; i < k.length; i++) if (buf[off + i] !== k.charCodeAt(i)) return false;
  return true;
}

/** Whether the bytes a window finds, ASCII letters in one case, equal a binary string. */
function windowEqualsFolded(w: WindowFn, p: EvalPacket, k: string, upper: boolean): boolean {
  if (!w(p)) return k.length === 0;
  if (span.len !== k.length) return false;
  const { buf, off } = span;
  for (let i = 0; i < k.length; i++) if (foldCase(buf[off + i]!, upper) !== k.charCodeAt(i)) return false;
  return true;
}

/** One byte as Kea's lcase (upper false) or ucase gives it: ASCII letters only. */
function foldCase(c: number, upper: boolean): number {
  if (upper) return c >= 97 && c <= 122 ? c - 32 : c;
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function uint32Of(k: string): number {
  return ((k.charCodeAt(0) << 24) | (k.charCodeAt(1) << 16) | (k.charCodeAt(2) << 8) | k.charCodeAt(3)) >>> 0;
}

/** The bytes `hexstring(x, sep)` must have had to give `text`, or undefined when no bytes can. */
function unhex(text: string, sep: string): string | undefined {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (out.length > 0) {
      if (text.slice(i, i + sep.length) !== sep) return undefined;
      i += sep.length;
    }
    const pair = text.slice(i, i + 2);
    if (!/^[0-9a-f]{2}$/.test(pair)) return undefined;
    out += String.fromCharCode(Number.parseInt(pair, 16));
    i += 2;
  }
  return out;
}

/** `a == k` for a constant k, by the cheapest route `a` offers. */
function equalsConstant(a: StrNode, k: string): BoolFn {
  if (a.hexOf !== undefined && (a.hexOf.sep.length > 0 || k.length % 2 === 0)) {
    const raw = unhex(k, a.hexOf.sep);
    if (raw === undefined) return () => false;
    return equalsConstant(a.hexOf.inner, raw);
  }
  const w = a.window;
  if (w !== undefined) return (p) => windowEquals(w, p, k);
  const u = a.uint;
  if (u !== undefined) {
    if (k.length === 0) return (p) => u(p) < 0;
    if (k.length !== 4) return () => false;
    const n = uint32Of(k);
    return (p) => u(p) === n;
  }
  const folded = a.caseOf;
  if (folded !== undefined && folded.inner.window !== undefined) {
    const inner = folded.inner.window;
    const upper = folded.upper;
    return (p) => windowEqualsFolded(inner, p, k, upper);
  }
  const f = a.f;
  return (p) => f(p) === k;
}

const VIVCO = 124;
const VIVSO = 125;
const AGENT = 82;
const EMPTY = '';

function decimal(s: string): number {
  return Number.parseInt(s, 10);
}

/** Parentheses and calls nest at most this deep: parsing and evaluation recurse once per level. */
const MAX_DEPTH = 64;

class Parser {
  private pos = 0;
  private depth = 0;
  readonly members: string[] = [];
  private readonly tokens: Token[];
  private readonly env: ExpressionEnv;

  constructor(tokens: Token[], env: ExpressionEnv) {
    this.tokens = tokens;
    this.env = env;
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    return this.tokens[this.pos++]!;
  }

  private fail(reason: string, tok: Token = this.peek()): never {
    throw new ExpressionError(reason, tok.at, tok.kind === 'end' ? '' : tok.text);
  }

  private isWord(text: string): boolean {
    const t = this.peek();
    return (t.kind === 'word' || t.kind === 'punct') && t.text === text;
  }

  private accept(text: string): boolean {
    if (!this.isWord(text)) return false;
    this.pos++;
    return true;
  }

  private expect(text: string): Token {
    if (!this.isWord(text)) this.fail(`expected "${text}"`);
    return this.next();
  }

  private bool(n: Node, at: Token): BoolFn {
    return this.boolNode(n, at).f;
  }

  private boolNode(n: Node, at: Token): BoolNode {
    if (n.t !== 'bool') this.fail('expected a boolean expression (a comparison, exists, member, not)', at);
    return n;
  }

  private strNode(n: Node, at: Token): StrNode {
    if (n.t !== 'str') this.fail('expected a string expression', at);
    return n;
  }

  atEnd(): void {
    if (this.peek().kind !== 'end') this.fail('unexpected token');
  }

  parseOr(): Node {
    return this.parseBinary(
      ['or', 'sor'],
      () => this.parseAnd(),
      (n, at) => this.boolNode(n, at),
      (left, right) => {
        const a = left.f;
        const b = right.f;
        const both = intersection(left, right);
        return { t: 'bool', f: (p) => a(p) || b(p), needs: both, anyOf: orAnyOf(left, right, both) };
      },
    );
  }

  private parseAnd(): Node {
    return this.parseBinary(
      ['and', 'sand'],
      () => this.parseNot(),
      (n, at) => this.boolNode(n, at),
      (left, right) => {
        const a = left.f;
        const b = right.f;
        return { t: 'bool', f: (p) => a(p) && b(p), needs: union(left, right), anyOf: andAnyOf(left, right) };
      },
    );
  }

  /**
   * A left-associative `operand (word operand)*` production. The left operand is checked only once an
   * operator follows it, so an operand of another type passes through to the production above.
   */
  private parseBinary<T extends Node>(
    words: readonly string[],
    operand: () => Node,
    check: (n: Node, at: Token) => T,
    combine: (left: T, right: T) => T,
  ): Node {
    const start = this.peek();
    let left = operand();
    while (words.some((word) => this.isWord(word))) {
      this.next();
      const leftNode = check(left, start);
      const at = this.peek();
      left = combine(leftNode, check(operand(), at));
    }
    return left;
  }

  private parseNot(): Node {
    if (this.accept('not')) {
      const at = this.peek();
      const a = this.bool(this.parseNot(), at);
      return { t: 'bool', f: (p) => !a(p) };
    }
    return this.parseEqual();
  }

  private parseEqual(): Node {
    const start = this.peek();
    const left = this.parsePlus();
    if (!this.isWord('==')) return left;
    this.next();
    const a = this.strNode(left, start);
    const at = this.peek();
    const b = this.strNode(this.parsePlus(), at);
    if (b.konst !== undefined)
      return { t: 'bool', f: equalsConstant(a, b.konst), needs: equalityNeeds(a, b.konst) };
    if (a.konst !== undefined)
      return { t: 'bool', f: equalsConstant(b, a.konst), needs: equalityNeeds(b, a.konst) };
    const fa = a.f;
    const fb = b.f;
    return { t: 'bool', f: (p) => fa(p) === fb(p) };
  }

  private parsePlus(): Node {
    return this.parseBinary(
      ['+'],
      () => this.parsePrimary(),
      (n, at) => this.strNode(n, at),
      (left, right) => {
        const a = left.f;
        const b = right.f;
        return { t: 'str', f: (p) => a(p) + b(p) };
      },
    );
  }

  private stringArg(): StringFn {
    return this.stringArgNode().f;
  }

  /** A whole expression that must be a string, as a node (for operators that keep its `emptyWithout`). */
  private stringArgNode(): StrNode {
    const at = this.peek();
    return this.strNode(this.parseOr(), at);
  }

  private boolArg(): BoolFn {
    const at = this.peek();
    return this.bool(this.parseOr(), at);
  }

  private intToken(what: string, min: number, max: number): number {
    const t = this.peek();
    if (t.kind !== 'int') this.fail(`expected an integer (${what})`);
    this.next();
    const n = decimal(t.text);
    if (!(n >= min && n <= max)) this.fail(`${what} must be ${min}..${max}`, t);
    return n;
  }

  private optionCodeToken(): number {
    const t = this.peek();
    if (t.kind === 'int') return this.intToken('option code', 1, 254);
    if (t.kind === 'name') {
      this.next();
      const code = this.env.optionCode?.(t.text) ?? tableOptionCode(t.text);
      if (code === undefined) this.fail('unknown option name', t);
      return code;
    }
    return this.fail('expected an option code or name');
  }

  private subOptionCodeToken(): number {
    return this.intToken('sub-option code', 0, 255);
  }

  /** `[E]` or `[*]` (0). */
  private bracketedEnterprise(): number {
    this.expect('[');
    const enterprise = this.enterpriseToken();
    this.expect(']');
    return enterprise;
  }

  private enterpriseToken(): number {
    if (this.accept('*')) return 0;
    return this.intToken('enterprise id', 0, 0xffffffff);
  }

  /** `.option[M]` steps after the first code, as many as given. */
  private subPath(): number[] {
    const path: number[] = [];
    while (this.isWord('.') && this.tokens[this.pos + 1]?.text === 'option') {
      this.next();
      this.next();
      this.expect('[');
      path.push(this.subOptionCodeToken());
      this.expect(']');
    }
    return path;
  }

  /** `.hex`, `.text` or `.exists` over a lookup of bytes. */
  private representation(
    absent: number,
    get: (p: EvalPacket) => Uint8Array | undefined,
    textOf: TextForm | undefined,
  ): Node {
    this.expect('.');
    const t = this.next();
    if (t.text === 'exists') return { t: 'bool', f: (p) => get(p) !== undefined, needs: [absent] };
    if (t.text === 'text' && textOf !== undefined)
      return {
        t: 'str',
        f: (p) => {
          const b = get(p);
          return b === undefined ? EMPTY : textOf(b, p);
        },
        emptyWithout: absent,
      };
    // `.hex`, and the text of a string option, which is its bytes: compared, split and cased without making it.
    if (t.text === 'hex' || t.text === 'text')
      return {
        t: 'str',
        f: (p) => {
          const b = get(p);
          return b === undefined ? EMPTY : binary(b);
        },
        window: windowOf(get),
        emptyWithout: absent,
      };
    return this.fail('expected hex, text or exists', t);
  }

  private parseOption(): Node {
    this.expect('[');
    const code = this.optionCodeToken();
    this.expect(']');
    const path = this.subPath();
    if (path.length === 0) {
      // `.exists` asks only for presence: no view of the option's bytes is made.
      if (this.isWord('.') && this.tokens[this.pos + 1]?.text === 'exists') {
        this.pos += 2;
        return { t: 'bool', f: (p) => p.msg.options.hasCode(code), needs: [code] };
      }
      return this.representation(code, (p) => p.msg.options.getRaw(code), optionTextForm(code));
    }
    return this.representation(code, (p) => followPath(p.msg.options.getRaw(code), path), undefined);
  }

  private parseRelay4(): Node {
    this.expect('[');
    const first = this.subOptionCodeToken();
    this.expect(']');
    const path = [first, ...this.subPath()];
    // Kea keeps option 82's sub-options as generic options: their text is Kea's hex form.
    return this.representation(
      AGENT,
      (p) => followPath(p.msg.options.getRaw(AGENT), path),
      genericTextForm(path[path.length - 1]!),
    );
  }

  /** Kea's grammar: `vendor.enterprise`, `vendor[E].exists`, `vendor[E].option[N].hex|text|exists`. */
  private parseVendor(): Node {
    if (this.accept('.')) {
      this.expect('enterprise');
      return this.enterpriseOf(VIVSO, vivsoEnterprise);
    }
    const enterprise = this.bracketedEnterprise();
    const wanted = this.enterpriseIn(VIVSO, vivsoEnterprise, enterprise);
    if (this.isWord('.') && this.tokens[this.pos + 1]?.text === 'option') {
      this.pos += 2;
      this.expect('[');
      const code = this.subOptionCodeToken();
      this.expect(']');
      return this.representation(
        VIVSO,
        (p) => (wanted(p) ? vivsoSubOption(p.msg.options.getRaw(VIVSO), code) : undefined),
        vendorTextForm(enterprise, code),
      );
    }
    this.expect('.');
    const t = this.next();
    if (t.text === 'exists') return { t: 'bool', f: wanted, needs: [VIVSO] };
    return this.fail('expected exists or option[N]', t);
  }

  /**
   * Whether the option's enterprise number is `enterprise` (0: any): Kea keeps only the first block's,
   * so a request whose first block is another enterprise's does not match (checked against Kea 2.2).
   */
  private enterpriseIn(
    code: number,
    enterpriseOf: (b: Uint8Array | undefined) => number,
    enterprise: number,
  ): BoolFn {
    if (enterprise === 0) return (p) => enterpriseOf(p.msg.options.getRaw(code)) >= 0;
    return (p) => enterpriseOf(p.msg.options.getRaw(code)) === enterprise;
  }

  private enterpriseOf(code: number, enterpriseOf: (b: Uint8Array | undefined) => number): Node {
    return {
      t: 'str',
      f: (p) => {
        const e = enterpriseOf(p.msg.options.getRaw(code));
        return e < 0 ? EMPTY : uint32Binary(e);
      },
    };
  }

  /** Kea's grammar: `vendor-class.enterprise`, `vendor-class[E].exists`, `vendor-class[E].data[i]`. */
  private parseVendorClass(): Node {
    if (this.accept('.')) {
      this.expect('enterprise');
      return this.enterpriseOf(VIVCO, vivcoEnterprise);
    }
    const wanted = this.enterpriseIn(VIVCO, vivcoEnterprise, this.bracketedEnterprise());
    this.expect('.');
    const t = this.next();
    if (t.text === 'exists') return { t: 'bool', f: wanted, needs: [VIVCO] };
    if (t.text !== 'data') return this.fail('expected exists or data', t);
    let index = 0;
    if (this.accept('[')) {
      index = this.intToken('data index', 0, 255);
      this.expect(']');
    }
    // Tuple i is the i-th block's whole vendor-class-data, as Kea's OptionVendorClass reads it.
    return {
      t: 'str',
      f: (p) => {
        if (!wanted(p)) return EMPTY;
        const tuple = vivcoTuple(p.msg.options.getRaw(VIVCO), index);
        return tuple === undefined ? EMPTY : binary(tuple);
      },
    };
  }

  private parsePkt(): Node {
    this.expect('.');
    const t = this.next();
    switch (t.text) {
      case 'iface':
        return { t: 'str', f: (p) => p.iface };
      case 'src':
        return address((p) => p.src);
      case 'dst':
        return address((p) => p.dst);
      case 'len':
        return uint32Field((p) => p.length >>> 0);
      default:
        return this.fail('expected iface, src, dst or len', t);
    }
  }

  private parsePkt4(): Node {
    this.expect('.');
    const t = this.next();
    switch (t.text) {
      case 'mac': {
        const mac: WindowFn = (p) => {
          span.buf = p.msg.chaddr;
          span.off = 0;
          span.len = Math.min(p.msg.hlen, 16, p.msg.chaddr.length);
          return span.len > 0;
        };
        return { t: 'str', f: (p) => (mac(p) ? spanBinary() : EMPTY), window: mac };
      }
      case 'hlen':
        return uint32Field((p) => p.msg.hlen >>> 0);
      case 'htype':
        return uint32Field((p) => p.msg.htype >>> 0);
      case 'ciaddr':
        return address((p) => p.msg.ciaddr);
      case 'giaddr':
        return address((p) => p.msg.giaddr);
      case 'yiaddr':
        return address((p) => p.msg.yiaddr);
      case 'siaddr':
        return address((p) => p.msg.siaddr);
      case 'msgtype':
        return uint32Field((p) => {
          const o = p.msg.options;
          const i = o.positionOf(53);
          return i >= 0 && o.lengthAt(i) === 1 ? o.byteAt(i, 0) : 0;
        });
      case 'transid':
        return uint32Field((p) => p.msg.xid >>> 0);
      default:
        return this.fail('expected mac, hlen, htype, ciaddr, giaddr, yiaddr, siaddr, msgtype or transid', t);
    }
  }

  private call1(): StringFn {
    return this.call1Node().f;
  }

  /** One string argument in parentheses, as a node (for operators that keep its `emptyWithout`). */
  private call1Node(): StrNode {
    this.expect('(');
    const a = this.stringArgNode();
    this.expect(')');
    return a;
  }

  private parseSubstring(): Node {
    this.expect('(');
    const inner = this.stringArgNode();
    const s = inner.f;
    this.expect(',');
    const start = this.intToken('substring start', -0x7fffffff, 0x7fffffff);
    this.expect(',');
    const length = this.accept('all')
      ? undefined
      : this.intToken('substring length', -0x7fffffff, 0x7fffffff);
    this.expect(')');
    const of = inner.window;
    if (of === undefined)
      return { t: 'str', f: (p) => substring(s(p), start, length), emptyWithout: inner.emptyWithout };
    const window: WindowFn = (p) => of(p) && narrowSpan(start, length);
    return {
      t: 'str',
      f: (p) => (window(p) ? spanBinary() : EMPTY),
      window,
      emptyWithout: inner.emptyWithout,
    };
  }

  private parseSplit(): Node {
    this.expect('(');
    const inner = this.stringArgNode();
    const s = inner.f;
    this.expect(',');
    const delimsNode = this.stringArgNode();
    const delims = delimsNode.f;
    this.expect(',');
    const field = this.intToken('split field', -0x7fffffff, 0x7fffffff);
    this.expect(')');
    // split of '' is '' (Kea's TokenSplit), so an absent option still gives ''.
    const node: StrNode = {
      t: 'str',
      f: (p) => split(s(p), delims(p), field),
      emptyWithout: inner.emptyWithout,
    };
    const of = inner.window;
    const konst = delimsNode.konst;
    if (of === undefined || konst === undefined) return node;
    const table = byteTable(konst);
    const window: WindowFn = (p) => of(p) && narrowToField(table, field);
    return { ...node, f: (p) => (window(p) ? spanBinary() : EMPTY), window };
  }

  private parseIfelse(): Node {
    this.expect('(');
    const cond = this.boolArg();
    this.expect(',');
    const a = this.stringArg();
    this.expect(',');
    const b = this.stringArg();
    this.expect(')');
    return { t: 'str', f: (p) => (cond(p) ? a(p) : b(p)) };
  }

  private parseConcat(): Node {
    this.expect('(');
    const a = this.stringArg();
    this.expect(',');
    const b = this.stringArg();
    this.expect(')');
    return { t: 'str', f: (p) => a(p) + b(p) };
  }

  private parseHexstring(): Node {
    this.expect('(');
    const inner = this.stringArgNode();
    this.expect(',');
    const sepNode = this.stringArgNode();
    this.expect(')');
    const a = inner.f;
    const sep = sepNode.f;
    const node: StrNode = { t: 'str', f: (p) => hexstring(a(p), sep(p)), emptyWithout: inner.emptyWithout };
    return sepNode.konst === undefined ? node : { ...node, hexOf: { inner, sep: sepNode.konst } };
  }

  private parseMember(): Node {
    this.expect('(');
    const t = this.peek();
    if (t.kind !== 'string') this.fail("expected a class name in quotes: member('name')");
    this.next();
    this.expect(')');
    const name = t.text;
    if (this.env.isClass !== undefined && !this.env.isClass(name))
      this.fail('class is not defined before this expression (nor built in)', t);
    this.members.push(name);
    return { t: 'bool', f: (p) => p.classes.has(name) };
  }

  parsePrimary(): Node {
    const t = this.next();
    if (++this.depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`, t);
    try {
      return this.primary(t);
    } finally {
      this.depth--;
    }
  }

  private primary(t: Token): Node {
    switch (t.kind) {
      case 'string':
        return literal(utf8Binary(t.text));
      case 'hex':
        return literal(hexLiteral(t.text));
      case 'ip': {
        const n = parseIp(t.text);
        if (n < 0) this.fail('not an IPv4 address', t);
        return literal(uint32Binary(n));
      }
      case 'int': {
        const n = decimal(t.text);
        if (!(n >= 0 && n <= 0xffffffff)) this.fail('an integer literal must be 0..4294967295', t);
        return literal(uint32Binary(n));
      }
      case 'end':
        return this.fail('unexpected end of expression', t);
      case 'name':
        return this.fail('an option name belongs inside option[...]', t);
      default:
        break;
    }
    switch (t.text) {
      case '(': {
        const inner = this.parseOr();
        this.expect(')');
        return inner;
      }
      case 'option':
        return this.parseOption();
      case 'relay4':
        return this.parseRelay4();
      case 'vendor':
        return this.parseVendor();
      case 'vendor-class':
        return this.parseVendorClass();
      case 'pkt':
        return this.parsePkt();
      case 'pkt4':
        return this.parsePkt4();
      case 'member':
        return this.parseMember();
      case 'known':
      case 'unknown': {
        // Kea: shorthands for member('KNOWN') and not member('KNOWN').
        this.members.push('KNOWN');
        const known = t.text === 'known';
        return { t: 'bool', f: (p) => p.classes.has('KNOWN') === known };
      }
      case 'substring':
        return this.parseSubstring();
      case 'split':
        return this.parseSplit();
      case 'concat':
        return this.parseConcat();
      case 'ifelse':
      case 'sifelse':
        return this.parseIfelse();
      case 'hexstring':
        return this.parseHexstring();
      case 'lcase':
      case 'ucase': {
        const inner = this.call1Node();
        const a = inner.f;
        const upper = t.text === 'ucase';
        return {
          t: 'str',
          f: (p) => asciiCase(a(p), upper),
          emptyWithout: inner.emptyWithout,
          caseOf: { inner, upper },
        };
      }
      case 'addrtotext': {
        const a = this.call1();
        return { t: 'str', f: (p) => addrToText(a(p)) };
      }
      case 'int8totext':
      case 'int16totext':
      case 'int32totext':
      case 'uint8totext':
      case 'uint16totext':
      case 'uint32totext': {
        const signed = !t.text.startsWith('u');
        const size = Number(/\d+/.exec(t.text)![0]) / 8;
        const a = this.call1();
        return { t: 'str', f: (p) => intToText(a(p), size, signed) };
      }
      case 'pkt6':
      case 'relay6':
        return this.fail('is DHCPv6 only', t);
      case 'match':
        return this.fail('regular expressions (match) are not supported', t);
      default:
        return this.fail('unexpected token', t);
    }
  }
}

/** A text literal's UTF-8 bytes as a binary string (what Kea's std::string holds). */
function utf8Binary(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}

/** Kea's TokenHexString: an odd digit count gets a leading 0. */
function hexLiteral(text: string): string {
  let digits = text.slice(2);
  if (digits.length % 2 !== 0) digits = `0${digits}`;
  return Buffer.from(digits, 'hex').toString('latin1');
}

/** A header or datagram address: 4 bytes, or empty when it does not parse. */
function address(dotted: (p: EvalPacket) => string): StrNode {
  const uint: UintFn = (p) => parseIp(dotted(p));
  return {
    t: 'str',
    f: (p) => {
      const n = uint(p);
      return n < 0 ? EMPTY : uint32Binary(n);
    },
    uint,
  };
}

/**
 * A header field or count, always 4 bytes in network order (Kea's fromUint32). `uint` gives it as an
 * unsigned 32-bit number itself (`>>> 0`), so that comparing it is one call.
 */
function uint32Field(uint: UintFn): StrNode {
  return { t: 'str', f: (p) => uint32Binary(uint(p)), uint };
}

/** Where `substringRange` leaves its result (read right after the call). */
const range = { from: 0, len: 0 };

/**
 * Kea's TokenSubstring on a value of n bytes: sets `range`, or returns false for the empty result.
 * Negative start counts from the end, negative length takes the bytes before.
 */
function substringRange(n: number, start: number, length: number | undefined): boolean {
  if (n === 0 || start < -n || start >= n) return false;
  let from = start < 0 ? n + start : start;
  let len = length ?? n;
  if (len < 0) {
    len = -len;
    if (len <= from) from -= len;
    else {
      len = from;
      from = 0;
    }
  }
  range.from = from;
  range.len = Math.min(len, n - from);
  return true;
}

export function substring(s: string, start: number, length: number | undefined): string {
  return substringRange(s.length, start, length) ? s.substr(range.from, range.len) : EMPTY;
}

/** Kea's TokenSplit: fields 1-based, any delimiter character splits, out of range gives ''. */
export function split(s: string, delims: string, field: number): string {
  if (s === EMPTY) return EMPTY;
  if (delims === EMPTY) return s;
  const fields: string[] = [];
  let cur = 0;
  for (let i = 0; i < s.length; i++) {
    if (delims.includes(s[i]!)) {
      fields.push(s.slice(cur, i));
      cur = i + 1;
    }
  }
  fields.push(s.slice(cur));
  return field >= 1 && field <= fields.length ? fields[field - 1]! : EMPTY;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Kea's TokenToHexString: lower-case digits, `sep` between bytes. */
function hexstring(s: string, sep: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0) out += sep;
    out += HEX[s.charCodeAt(i) & 255]!;
  }
  return out;
}

function asciiCase(s: string, upper: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (upper && c >= 97 && c <= 122) out += String.fromCharCode(c - 32);
    else if (!upper && c >= 65 && c <= 90) out += String.fromCharCode(c + 32);
    else out += s[i];
  }
  return out;
}

/** Kea's TokenIpAddressToText: '' stays '', 4 bytes give dotted text, anything else is an error. */
function addrToText(s: string): string {
  if (s === EMPTY) return EMPTY;
  if (s.length === 4)
    return intToIp(
      ((s.charCodeAt(0) << 24) | (s.charCodeAt(1) << 16) | (s.charCodeAt(2) << 8) | s.charCodeAt(3)) >>> 0,
    );
  if (s.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((s.charCodeAt(i) << 8) | s.charCodeAt(i + 1)).toString(16));
    return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
  }
  throw new EvaluationError(`addrtotext: ${s.length} byte(s) is not an address`);
}

/** Kea's Token[U]IntNToText: '' stays '', exactly `size` bytes in network order, else an error. */
function intToText(s: string, size: number, signed: boolean): string {
  if (s === EMPTY) return EMPTY;
  if (s.length !== size)
    throw new EvaluationError(`${signed ? '' : 'u'}int${size * 8}totext: ${s.length} byte(s)`);
  let n = 0;
  for (let i = 0; i < size; i++) n = n * 256 + s.charCodeAt(i);
  if (signed && n >= 2 ** (size * 8 - 1)) n -= 2 ** (size * 8);
  return String(n);
}

/** Parses a boolean expression (a class `test`). Throws ExpressionError naming the offending token. */
export function compileBoolExpression(source: string, env: ExpressionEnv = {}): CompiledBool {
  const parser = new Parser(tokenize(source), env);
  const node = parser.parseOr();
  parser.atEnd();
  if (node.t !== 'bool')
    throw new ExpressionError('a test must be a boolean expression (e.g. a comparison with ==)', 0, '');
  return {
    source,
    evaluate: node.f,
    members: parser.members,
    needs: node.needs ?? [],
    needsAnyOf: node.anyOf ?? [],
  };
}

/** Parses a string expression (Kea's TOPLEVEL_STRING, e.g. for computed option values). */
export function compileStringExpression(source: string, env: ExpressionEnv = {}): CompiledString {
  const parser = new Parser(tokenize(source), env);
  const node = parser.parseOr();
  parser.atEnd();
  if (node.t !== 'str') throw new ExpressionError('expected a string expression', 0, '');
  return { source, evaluate: node.f, members: parser.members };
}
