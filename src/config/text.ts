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

/** Parses a Kea configuration file's text (comments and trailing commas allowed), then validates it like `parseConfig`. */
export function parseConfigText(text: string): ParseResult {
  const clean = dropTrailingCommas(stripKeaComments(text));
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
