import { readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * Kea's configuration dialect of JSON, read the way Kea's lexer reads it (dhcp4_lexer.ll): `#`, `//` and
 * `/* *\/` comments; a comma before `}` or `]`; numbers such as `.5`, `5.` or `+5`; `<?include "file"?>`
 * anywhere a token may stand, the file's tokens read in its place; a key given twice in one map refused
 * (Kea's "duplicate X entries"). Nesting, include depth and the total text read are bounded.
 */
export interface KeaJsonOptions {
  /** Deepest nesting of objects and arrays accepted. */
  readonly maxDepth: number;
  /** The file the text came from: names it in errors and anchors `<?include?>`. Without it, includes are refused. */
  readonly file?: string;
  /** Reads an included file; default `fs.readFileSync` as UTF-8. */
  readonly readFile?: (path: string) => string;
  /** Resolves a path to its real location (symbolic links followed); default `fs.realpathSync`. */
  readonly realpath?: (path: string) => string;
}

/** Kea refuses more than 10 nested includes ("Too many nested include."). */
export const MAX_INCLUDE_DEPTH = 10;
/** Everything read for one configuration, the main file and its includes together. */
export const MAX_CONFIG_TEXT = 64 * 1024 * 1024;

/** Bad Kea JSON: the message names the file (when there is one) and the line. */
export class KeaJsonError extends SyntaxError {
  override name = 'KeaJsonError';
}

interface Source {
  readonly text: string;
  readonly file: string | undefined;
  /** The real path, for include loops. */
  readonly real: string | undefined;
  pos: number;
  line: number;
}

type Token =
  | { readonly kind: '{' | '}' | '[' | ']' | ':' | ','; readonly at: string }
  | { readonly kind: 'string'; readonly value: string; readonly at: string }
  | { readonly kind: 'value'; readonly value: number | boolean | null; readonly at: string }
  | { readonly kind: 'end'; readonly at: string };

const NUMBER = /[-+]?[0-9]*\.?[0-9]*(?:[eE][-+]?[0-9]+)?/y;
const WORD = /[A-Za-z_]+/y;
const DIRECTIVE = /<\?\s*include\s*"([^"\n]+)"\s*\?>/y;

class Lexer {
  private readonly stack: Source[] = [];
  private readonly root: string | undefined;
  private total = 0;
  private readonly options: KeaJsonOptions;

  constructor(text: string, options: KeaJsonOptions) {
    this.options = options;
    const real = options.file === undefined ? undefined : this.realpath(options.file);
    this.root = real === undefined ? undefined : dirname(real);
    this.push({ text, file: options.file, real, pos: 0, line: 1 });
  }

  private realpath(path: string): string {
    try {
      return (this.options.realpath ?? realpathSync)(path);
    } catch {
      return resolve(path);
    }
  }

  private push(source: Source): void {
    this.total += source.text.length;
    if (this.total > MAX_CONFIG_TEXT)
      throw new KeaJsonError(`the configuration and its includes exceed ${MAX_CONFIG_TEXT} characters`);
    this.stack.push(source);
  }

  private get top(): Source {
    return this.stack[this.stack.length - 1] as Source;
  }

  where(): string {
    const s = this.top;
    return s.file === undefined ? `line ${s.line}` : `${s.file} line ${s.line}`;
  }

  fail(message: string, at: string = this.where()): never {
    throw new KeaJsonError(`${message} (${at})`);
  }

  next(): Token {
    for (;;) {
      const s = this.top;
      if (!this.skipBlank(s)) continue; // an include was pushed: read from it
      if (s.pos < s.text.length) return this.token(s);
      if (this.stack.length === 1) return { kind: 'end', at: this.where() };
      this.stack.pop();
    }
  }

  /** Skips blanks and comments; false when it met an include (now on top of the stack). */
  private skipBlank(s: Source): boolean {
    const t = s.text;
    while (s.pos < t.length) {
      const c = t[s.pos];
      if (c === '\n') {
        s.line++;
        s.pos++;
      } else if (c === ' ' || c === '\t' || c === '\r') s.pos++;
      else if (c === '#' || (c === '/' && t[s.pos + 1] === '/')) {
        const end = t.indexOf('\n', s.pos);
        s.pos = end < 0 ? t.length : end;
      } else if (c === '/' && t[s.pos + 1] === '*') {
        const end = t.indexOf('*/', s.pos + 2);
        if (end < 0) this.fail('comment not closed: /* without */');
        for (let i = s.pos; i < end; i++) if (t[i] === '\n') s.line++;
        s.pos = end + 2;
      } else if (c === '<' && t[s.pos + 1] === '?') {
        this.include(s);
        return false;
      } else return true;
    }
    return true;
  }

  private include(s: Source): void {
    DIRECTIVE.lastIndex = s.pos;
    const m = DIRECTIVE.exec(s.text);
    if (m === null) this.fail('expected <?include "file"?>');
    s.pos = DIRECTIVE.lastIndex;
    const name = m[1] as string;
    if (s.real === undefined || this.root === undefined)
      this.fail(`<?include "${name}"?> needs the configuration to be read from a file`);
    if (this.stack.length > MAX_INCLUDE_DEPTH) this.fail(`more than ${MAX_INCLUDE_DEPTH} nested includes`);
    const real = this.realpath(isAbsolute(name) ? name : resolve(dirname(s.real), name));
    const rel = relative(this.root, real);
    if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel))
      this.fail(`<?include "${name}"?>: ${real} is outside ${this.root}, the main file's directory`);
    if (this.stack.some((o) => o.real === real)) this.fail(`<?include "${name}"?> includes itself (a loop)`);
    let text: string;
    try {
      text = (this.options.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(real);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      return this.fail(`<?include "${name}"?>: cannot read ${real}: ${code}`);
    }
    this.push({ text, file: name, real, pos: 0, line: 1 });
  }

  private token(s: Source): Token {
    const at = this.where();
    const c = s.text[s.pos] as string;
    if ('{}[]:,'.includes(c)) {
      s.pos++;
      return { kind: c as '{', at };
    }
    if (c === '"') return { kind: 'string', value: this.string(s), at };
    NUMBER.lastIndex = s.pos;
    const n = NUMBER.exec(s.text)?.[0] ?? '';
    if (/[0-9]/.test(n)) {
      s.pos += n.length;
      const value = Number(n);
      if (!Number.isFinite(value)) this.fail(`number ${n} is out of range`);
      return { kind: 'value', value, at };
    }
    WORD.lastIndex = s.pos;
    const w = WORD.exec(s.text)?.[0];
    if (w === 'true' || w === 'false' || w === 'null') {
      s.pos += w.length;
      return { kind: 'value', value: w === 'null' ? null : w === 'true', at };
    }
    return this.fail(`unexpected ${JSON.stringify(s.text.slice(s.pos, s.pos + 12))}`);
  }

  private string(s: Source): string {
    const t = s.text;
    let i = s.pos + 1;
    while (i < t.length && t[i] !== '"') {
      if (t.charCodeAt(i) < 0x20) this.fail('a string holds a control character or a line break');
      i += t[i] === '\\' ? 2 : 1;
    }
    if (i >= t.length) this.fail('string not closed');
    const raw = t.slice(s.pos, i + 1);
    s.pos = i + 1;
    try {
      return JSON.parse(raw) as string;
    } catch {
      return this.fail(`bad escape in string ${raw.slice(0, 40)}`);
    }
  }
}

/**
 * Reads Kea configuration text into plain JSON values. Throws `KeaJsonError` (syntax, duplicate keys,
 * includes) or `RangeError` (nesting deeper than `maxDepth`).
 */
export function readKeaJson(text: string, options: KeaJsonOptions): unknown {
  const lexer = new Lexer(text, options);
  let token = lexer.next();
  const advance = (): Token => {
    const t = token;
    token = lexer.next();
    return t;
  };
  const expect = (kind: Token['kind'], what: string): Token => {
    if (token.kind !== kind) lexer.fail(`expected ${what}`, token.at);
    return advance();
  };
  const value = (depth: number): unknown => {
    const t = advance();
    if (t.kind === 'string' || t.kind === 'value') return t.value;
    if (t.kind !== '{' && t.kind !== '[') return lexer.fail('expected a value', t.at);
    if (depth >= options.maxDepth) throw new RangeError(nestingMessage(options.maxDepth));
    return t.kind === '{' ? object(depth + 1) : array(depth + 1);
  };
  const object = (depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const seen = new Map<string, string>();
    while (token.kind !== '}') {
      const key = expect('string', 'a "key" or }');
      if (key.kind !== 'string') break;
      const first = seen.get(key.value);
      if (first !== undefined)
        lexer.fail(`duplicate "${key.value}" entries in one map (first at ${first})`, key.at);
      seen.set(key.value, key.at);
      expect(':', ':');
      Object.defineProperty(out, key.value, {
        value: value(depth),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      if (token.kind !== ',') break;
      advance(); // Kea: a trailing comma before } is allowed
    }
    expect('}', ', or }');
    return out;
  };
  const array = (depth: number): unknown[] => {
    const out: unknown[] = [];
    while (token.kind !== ']') {
      out.push(value(depth));
      if (token.kind !== ',') break;
      advance();
    }
    expect(']', ', or ]');
    return out;
  };
  const result = value(0);
  if (token.kind !== 'end') lexer.fail('text after the end of the configuration', token.at);
  return result;
}

/** The error text for JSON nested deeper than `max`, the same wherever the JSON came from. */
export function nestingMessage(max: number): string {
  return `JSON nested too deeply: more than ${max} levels of objects and arrays`;
}
