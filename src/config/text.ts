import { parseConfig } from './compile.ts';
import { ConfigError, type ParseResult } from './types.ts';

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

/** Kea's parser also accepts a trailing comma before `}` or `]` (its stock kea-dhcp4.conf has one). */
export function dropTrailingCommas(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"') {
      const start = i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      out += text.slice(start, i + 1);
    } else if (c === ',' && /^\s*[}\]]/.test(text.slice(i + 1, i + 200))) {
      out += ' ';
    } else out += c;
  }
  return out;
}

function lineOf(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return '';
  const line = text.slice(0, Number(m[1])).split('\n').length;
  return ` (line ${line})`;
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

/** The error text for JSON nested deeper than `max`, the same wherever the JSON came from. */
export function nestingMessage(max: number): string {
  return `JSON nested too deeply: more than ${max} levels of objects and arrays`;
}

/**
 * Kea's configuration text (comments and trailing commas allowed) to JSON, its nesting bounded; throws a
 * SyntaxError or RangeError with the reason.
 */
export function parseKeaJson(text: string, maxDepth: number = DEFAULT_MAX_JSON_DEPTH): unknown {
  const clean = dropTrailingCommas(stripKeaComments(text));
  const deep = jsonDepthError(clean, maxDepth);
  if (deep !== undefined) throw new RangeError(deep);
  return JSON.parse(clean);
}

/** Parses a Kea configuration file's text (comments and trailing commas allowed), then validates it like `parseConfig`. */
export function parseConfigText(text: string): ParseResult {
  const clean = dropTrailingCommas(stripKeaComments(text));
  const deep = jsonDepthError(clean);
  if (deep !== undefined) {
    return { ok: false, error: new ConfigError([{ path: '(file)', message: deep }]) };
  }
  let json: unknown;
  try {
    json = JSON.parse(clean);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      error: new ConfigError([{ path: '(file)', message: `not JSON${lineOf(clean, message)}: ${message}` }]),
    };
  }
  return parseConfig(json);
}
