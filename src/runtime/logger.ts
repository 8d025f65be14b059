import { pino, type Logger, type LevelWithSilent } from 'pino';
import { escapeControls } from '../server/log-text.ts';

export type LogFormat = 'text' | 'json';

export interface LoggerOptions {
  readonly format?: LogFormat;
  readonly level?: LevelWithSilent;
  /** File descriptor to write to; default 1 (stdout). */
  readonly fd?: number;
}

export const LOG_LEVELS: readonly LevelWithSilent[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/** Keys pino adds or the text line already shows; the rest is appended as `key=value`. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'exchange']);

/**
 * The server's logger: pino, either as JSON lines (`json`) or as one readable line per record (`text`):
 * `12:00:01.123 DHCPDISCOVER from aa:bb:.. via eth0 -> DHCPOFFER 198.18.0.10`; levels other than info are
 * named, other fields follow as `key=value`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const dest = pino.destination({ dest: options.fd ?? 1, sync: true });
  const level = options.level ?? 'info';
  if ((options.format ?? 'text') === 'json') return pino({ level, base: { pid: process.pid } }, dest);
  const stream = { write: (line: string): void => void dest.write(formatText(line)) };
  return pino({ level, base: undefined }, stream);
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: '',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** One pino JSON record as a text line. */
export function formatText(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof rec['time'] === 'number' ? new Date(rec['time']).toISOString().slice(11, 23) : '';
  const level = LEVEL_NAMES[typeof rec['level'] === 'number' ? rec['level'] : 30] ?? '';
  let line = time;
  if (level !== '') line += ` ${level}`;
  // Messages carry client text (escaped where it is built); this is the last line of defence: no record
  // may end its line early or carry terminal escapes, whatever reached it.
  line += ` ${typeof rec['msg'] === 'string' ? escapeControls(rec['msg']) : ''}`;
  // Info lines say it all in words; the fields are for JSON. Other levels keep their context.
  if (level === '') return `${line}\n`;
  for (const [k, v] of Object.entries(rec)) {
    if (HIDDEN.has(k) || v === undefined) continue;
    line += ` ${k}=${render(v)}`;
  }
  return `${line}\n`;
}

function render(v: unknown): string {
  if (typeof v === 'string') return NEEDS_QUOTES.test(v) ? escapeControls(JSON.stringify(v)) : v;
  if (v !== null && typeof v === 'object' && 'message' in v && typeof v.message === 'string') {
    return escapeControls(JSON.stringify(v.message));
  }
  // JSON.stringify leaves DEL, C1 controls and U+2028/9 raw.
  return escapeControls(JSON.stringify(v) ?? 'undefined');
}

/** Whitespace, quotes, backslashes and control characters: the value is written as a JSON string. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NEEDS_QUOTES = /[\s"\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
