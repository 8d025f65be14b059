import { parseConfig } from './compile.ts';
import { nestingMessage, readKeaJson } from './kea-json.ts';
import { ConfigError, type ParseResult } from './types.ts';

export { nestingMessage };

/**
 * Removes the comments Kea allows in its configuration files (`// ...`, `# ...`, `/* ... *\/`), leaving
 * strings untouched and line breaks in place (so JSON.parse positions still match the file's lines).
 */
export function stripKeaComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      const start = i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      out += text.slice(start, ++i);
    } else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function closesNext(text: string, from: number): boolean {
  let j = from;
  while (j < text.length && /\s/.test(text[j] as string)) j++;
  return text[j] === '}' || text[j] === ']';
}

/** Kea's parser also accepts a trailing comma before `}` or `]` (its stock kea-dhcp4.conf has one). */
export function dropTrailingCommas(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"') {
      const start = i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      out += text.slice(start, i + 1);
    } else if (c === ',' && closesNext(text, i + 1)) {
      out += ' ';
    } else out += c;
  }
  return out;
}

/**
 * How deeply objects and arrays may nest in any JSON leasekeeper reads (configuration files, control
 * commands, WebSocket messages). A real configuration nests about 8 levels; the bound keeps a hostile
 * `user-context` thousands of levels deep from making every later recursive walk (config-get, config-write,
 * hashing) overflow the stack.
 */
export const DEFAULT_MAX_JSON_DEPTH = 100;

/**
 * Checks the nesting of `{`/`[` outside strings in JSON text before it is parsed; returns a message when
 * it is deeper than `max`, undefined otherwise. Linear, no recursion, no allocation.
 */
export function jsonDepthError(text: string, max: number = DEFAULT_MAX_JSON_DEPTH): string | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return nestingMessage(max);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}

/** Where Kea configuration text came from, for `<?include?>` and error messages. */
export interface KeaTextSource {
  /** The file the text was read from; includes are resolved against it and confined to its directory. */
  readonly file?: string;
  readonly maxDepth?: number;
}

/**
 * Kea's configuration text to JSON (src/config/kea-json.ts: comments, trailing commas, `.5`, includes,
 * duplicate keys refused), its nesting bounded; throws a SyntaxError or RangeError with the reason.
 */
export function parseKeaJson(
  text: string,
  maxDepth: number = DEFAULT_MAX_JSON_DEPTH,
  source: KeaTextSource = {},
): unknown {
  return readKeaJson(text, {
    maxDepth: source.maxDepth ?? maxDepth,
    ...(source.file === undefined ? {} : { file: source.file }),
  });
}

/** Parses a Kea configuration file's text as Kea's lexer does, then validates it like `parseConfig`. */
export function parseConfigText(text: string, source: KeaTextSource = {}): ParseResult {
  let json: unknown;
  try {
    json = parseKeaJson(text, DEFAULT_MAX_JSON_DEPTH, source);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const prefix = err instanceof RangeError ? '' : 'not JSON: ';
    return { ok: false, error: new ConfigError([{ path: '(file)', message: `${prefix}${message}` }]) };
  }
  return parseConfig(json);
}
