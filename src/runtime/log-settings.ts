import type { LevelWithSilent } from 'pino';
import { RuntimeError } from './errors.ts';

/** Where log records go: Kea's `output` values. */
export type LogOutputSpec =
  | { readonly kind: 'stdout' }
  | { readonly kind: 'stderr' }
  | { readonly kind: 'syslog'; readonly facility: SyslogFacility }
  | { readonly kind: 'file'; readonly path: string; readonly maxSize: number; readonly maxVersions: number };

export interface LogSettings {
  readonly level: LevelWithSilent;
  readonly outputs: readonly LogOutputSpec[];
  /** Entries that were accepted but not acted on (e.g. other loggers than the server's), for the log. */
  readonly notes: readonly string[];
}

/** syslog(3) facilities by name, with their codes (RFC 5424 §6.2.1). */
export const SYSLOG_FACILITIES = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type SyslogFacility = keyof typeof SYSLOG_FACILITIES;

/** Kea's defaults: `maxsize` 10240000 bytes (0: never rotate), `maxver` 1 rotated file kept. */
export const DEFAULT_MAX_SIZE = 10_240_000;
export const DEFAULT_MAX_VERSIONS = 1;
/** Kea's default facility for `output: "syslog"`. */
export const DEFAULT_FACILITY: SyslogFacility = 'local0';

/** The logger names that configure this server (Kea's root logger of kea-dhcp4, or our own name). */
const ROOT_NAMES = new Set(['kea-dhcp4', 'leasekeeper']);

/** What applies when `loggers` is absent: stdout at info, as Kea does. */
export const DEFAULT_LOG_SETTINGS: LogSettings = { level: 'info', outputs: [{ kind: 'stdout' }], notes: [] };

/**
 * Reads Kea's `Dhcp4.loggers`: the entry named `kea-dhcp4` (or `leasekeeper`) sets the severity and the
 * outputs of the whole server; Kea's child loggers (`kea-dhcp4.leases`, ...) have no counterpart here and are
 * noted, not refused, so a Kea file loads unchanged. Severity `DEBUG` maps to pino's debug for `debuglevel`
 * 0-49 and to trace for 50-99 (Kea's packet dumps sit at 50 and above). Throws a RuntimeError naming the
 * JSON path of a bad entry.
 */
export function readLogSettings(loggers: unknown): LogSettings {
  if (loggers === undefined) return DEFAULT_LOG_SETTINGS;
  if (!Array.isArray(loggers)) throw bad('Dhcp4.loggers', 'must be a list');
  const notes: string[] = [];
  let chosen: LogSettings | undefined;
  loggers.forEach((entry: unknown, i) => {
    const at = `Dhcp4.loggers[${i}]`;
    if (!isObject(entry)) throw bad(at, 'must be an object');
    const name = entry['name'];
    if (typeof name !== 'string') throw bad(`${at}.name`, 'a string is required');
    const settings = readLogger(entry, at);
    if (!ROOT_NAMES.has(name)) {
      notes.push(
        `${at}: logger ${JSON.stringify(name)} has no counterpart here; only "kea-dhcp4" is applied`,
      );
      return;
    }
    if (chosen !== undefined) throw bad(`${at}.name`, `logger ${JSON.stringify(name)} is configured twice`);
    chosen = settings;
  });
  return chosen === undefined
    ? { ...DEFAULT_LOG_SETTINGS, notes }
    : { ...chosen, notes: [...chosen.notes, ...notes] };
}

function readLogger(entry: Record<string, unknown>, at: string): LogSettings {
  const severity = entry['severity'] ?? 'INFO';
  if (typeof severity !== 'string') throw bad(`${at}.severity`, 'must be a string');
  const debugLevel = entry['debuglevel'] ?? 0;
  if (typeof debugLevel !== 'number' || !Number.isInteger(debugLevel) || debugLevel < 0 || debugLevel > 99)
    throw bad(`${at}.debuglevel`, 'must be an integer 0-99');
  const level = levelOf(severity.toUpperCase(), debugLevel, `${at}.severity`);
  // Kea accepts both spellings (output_options is the older one).
  const key = entry['output-options'] !== undefined ? 'output-options' : 'output_options';
  const list = entry[key] ?? [{ output: 'stdout' }];
  if (!Array.isArray(list) || list.length === 0) throw bad(`${at}.${key}`, 'must be a non-empty list');
  const outputs = list.map((o: unknown, j) => readOutput(o, `${at}.${key}[${j}]`));
  const notes = list.flatMap((o: Record<string, unknown>, j) =>
    o['pattern'] === undefined
      ? []
      : [`${at}.${key}[${j}].pattern: not applied (leasekeeper's own line format)`],
  );
  return { level, outputs, notes };
}

function levelOf(severity: string, debugLevel: number, at: string): LevelWithSilent {
  switch (severity) {
    case 'FATAL':
      return 'fatal';
    case 'ERROR':
      return 'error';
    case 'WARN':
      return 'warn';
    case 'INFO':
      return 'info';
    case 'DEBUG':
      return debugLevel >= 50 ? 'trace' : 'debug';
    case 'NONE':
      return 'silent';
    default:
      throw bad(at, `unknown severity ${JSON.stringify(severity)} (FATAL, ERROR, WARN, INFO, DEBUG, NONE)`);
  }
}

function readOutput(o: unknown, at: string): LogOutputSpec {
  if (!isObject(o)) throw bad(at, 'must be an object');
  const output = o['output'];
  if (typeof output !== 'string' || output === '')
    throw bad(`${at}.output`, 'a non-empty string is required');
  if (output === 'stdout' || output === 'stderr') return { kind: output };
  if (output === 'syslog' || output.startsWith('syslog:')) {
    const name = output === 'syslog' ? DEFAULT_FACILITY : output.slice('syslog:'.length).toLowerCase();
    if (!(name in SYSLOG_FACILITIES))
      throw bad(
        `${at}.output`,
        `unknown syslog facility ${JSON.stringify(name)} (e.g. daemon, local0-local7)`,
      );
    return { kind: 'syslog', facility: name as SyslogFacility };
  }
  if (!output.startsWith('/'))
    throw bad(`${at}.output`, 'stdout, stderr, syslog, syslog:FACILITY or an absolute file path');
  const maxSize = o['maxsize'] ?? DEFAULT_MAX_SIZE;
  if (typeof maxSize !== 'number' || !Number.isSafeInteger(maxSize) || maxSize < 0)
    throw bad(`${at}.maxsize`, 'must be a number of bytes, 0 or more (0: never rotate)');
  const maxVersions = o['maxver'] ?? DEFAULT_MAX_VERSIONS;
  if (
    typeof maxVersions !== 'number' ||
    !Number.isInteger(maxVersions) ||
    maxVersions < 0 ||
    maxVersions > 100
  )
    throw bad(`${at}.maxver`, 'must be an integer 0-100');
  return { kind: 'file', path: output, maxSize, maxVersions };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(path: string, message: string): RuntimeError {
  return new RuntimeError('ERR_SERVER_LOGGERS', message, { path });
}
