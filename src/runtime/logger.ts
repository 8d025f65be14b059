import { pino, type Logger, type LevelWithSilent } from 'pino';
import { LogRecord, openOutput, type LogFormat, type LogOutput, type OutputContext } from './log-outputs.ts';
import type { LogOutputSpec } from './log-settings.ts';
import type { UnixDatagramSender } from './unix-datagram.ts';
import { escapeControls } from '../server/index.ts';

export type { LogFormat } from './log-outputs.ts';

export interface LoggerOptions {
  readonly format?: LogFormat;
  readonly level?: LevelWithSilent;
  /** File descriptor to write to when `outputs` is not given: 1 (stdout, the default) or 2 (stderr). */
  readonly fd?: number;
  /** Kea `loggers` outputs (log-settings.ts); default stdout (or `fd`). */
  readonly outputs?: readonly LogOutputSpec[];
  /** Where `syslog` outputs send (default /dev/log), and how (default the native addon): tests. */
  readonly syslogSocket?: string;
  readonly sendDatagram?: UnixDatagramSender;
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
 * The fan-out behind the server's logger: every record is parsed once and written to each output (stdout,
 * stderr, syslog, rotated files). `configure` swaps the outputs (a reloaded `loggers` section), `reopen`
 * re-opens files after an outside rotation.
 */
export class LogSink {
  #outputs: LogOutput[];
  readonly #ctx: OutputContext;

  constructor(specs: readonly LogOutputSpec[], ctx: OutputContext) {
    this.#ctx = ctx;
    this.#outputs = specs.map((s) => openOutput(s, ctx));
  }

  write(json: string): void {
    const record = new LogRecord(json);
    for (const o of this.#outputs) o.write(record);
  }

  configure(specs: readonly LogOutputSpec[]): void {
    const next = specs.map((s) => openOutput(s, this.#ctx));
    for (const o of this.#outputs) o.close();
    this.#outputs = next;
  }

  reopen(): void {
    for (const o of this.#outputs) o.reopen();
  }

  close(): void {
    for (const o of this.#outputs) o.close();
  }
}

/**
 * The server's logger: pino, either as JSON lines (`json`) or as one readable line per record (`text`):
 * `12:00:01.123 DHCPDISCOVER from aa:bb:.. via eth0 -> DHCPOFFER 198.18.0.10`; levels other than info are
 * named, other fields follow as `key=value`. Returns the sink too, for reloads.
 */
export function createLoggerWithSink(options: LoggerOptions = {}): { logger: Logger; sink: LogSink } {
  const format = options.format ?? 'text';
  const specs = options.outputs ?? [{ kind: options.fd === 2 ? 'stderr' : 'stdout' } as const];
  const sink = new LogSink(specs, {
    format,
    render: renderRecord,
    ...(options.syslogSocket === undefined ? {} : { syslogSocket: options.syslogSocket }),
    ...(options.sendDatagram === undefined ? {} : { sendDatagram: options.sendDatagram }),
  });
  const level = options.level ?? 'info';
  const stream = { write: (line: string): void => sink.write(line) };
  const logger = pino({ level, base: format === 'json' ? { pid: process.pid } : undefined }, stream);
  return { logger, sink };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return createLoggerWithSink(options).logger;
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
  return renderRecord(rec, 'clock');
}

/**
 * One parsed record as a text line; `time` is the time of day (`clock`, stdout), the full ISO date and
 * time (`iso`, files) or left out (`none`: syslog and the journal stamp records themselves).
 */
export function renderRecord(rec: Record<string, unknown>, time: 'clock' | 'iso' | 'none'): string {
  const stamp = typeof rec['time'] === 'number' ? new Date(rec['time']).toISOString() : '';
  const level = LEVEL_NAMES[typeof rec['level'] === 'number' ? rec['level'] : 30] ?? '';
  const parts: string[] = [];
  if (time === 'clock' && stamp !== '') parts.push(stamp.slice(11, 23));
  if (time === 'iso' && stamp !== '') parts.push(stamp);
  if (level !== '') parts.push(level);
  // Messages carry client text (escaped where it is built); this is the last line of defence: no record
  // may end its line early or carry terminal escapes, whatever reached it.
  parts.push(typeof rec['msg'] === 'string' ? escapeControls(rec['msg']) : '');
  let line = parts.join(' ');
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
