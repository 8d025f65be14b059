import { closeSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';
import { pino } from 'pino';
import { SYSLOG_FACILITIES, type LogOutputSpec } from './log-settings.ts';
import { nativeUnixDatagramSender, type UnixDatagramSender } from './unix-datagram.ts';

/**
 * One pino record handed to every output. Parsed on first use, once: JSON lines to stdout need no parsing,
 * text, syslog and the journal do.
 */
export class LogRecord {
  readonly json: string;
  #fields: Record<string, unknown> | undefined | null = null;

  constructor(json: string) {
    this.json = json;
  }

  /** The record's fields, or undefined when the line is not JSON. */
  get fields(): Record<string, unknown> | undefined {
    if (this.#fields === null) {
      try {
        this.#fields = JSON.parse(this.json) as Record<string, unknown>;
      } catch {
        this.#fields = undefined;
      }
    }
    return this.#fields;
  }

  get level(): number {
    const v = this.fields?.['level'];
    return typeof v === 'number' ? v : 30;
  }

  get time(): number {
    const v = this.fields?.['time'];
    return typeof v === 'number' ? v : Date.now();
  }
}

export type LogFormat = 'text' | 'json';

/** How each output renders a record's text: `render(fields, timeStyle)` (see logger.ts). */
export type RecordRenderer = (fields: Record<string, unknown>, time: 'clock' | 'iso' | 'none') => string;

export interface LogOutput {
  write(record: LogRecord): void;
  /** Re-opens files (after an outside rotation, e.g. logrotate followed by SIGHUP). */
  reopen(): void;
  close(): void;
}

export interface OutputContext {
  readonly format: LogFormat;
  readonly render: RecordRenderer;
  /** Where syslog datagrams go; default /dev/log (journald listens there too). */
  readonly syslogSocket?: string;
  /** Sends one AF_UNIX datagram (bytes or -errno); default the native addon's. */
  readonly sendDatagram?: UnixDatagramSender;
  readonly env?: NodeJS.ProcessEnv;
  /** Reports a failing output (rate-limited by the caller); default stderr. */
  readonly complain?: (message: string) => void;
}

const SYSLOG_MAX_BYTES = 8192;
const COMPLAINT_INTERVAL_MS = 60_000;

export function openOutput(spec: LogOutputSpec, ctx: OutputContext): LogOutput {
  switch (spec.kind) {
    case 'stdout':
      return new FdOutput(1, ctx);
    case 'stderr':
      return new FdOutput(2, ctx);
    case 'file':
      return new FileOutput(spec.path, spec.maxSize, spec.maxVersions, ctx);
    case 'syslog':
      return new SyslogOutput(SYSLOG_FACILITIES[spec.facility], ctx);
  }
}

/** Syslog severities (RFC 5424 §6.2.1) of pino's levels. */
export function syslogSeverity(level: number): number {
  if (level >= 60) return 2;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}

function textOf(record: LogRecord, ctx: OutputContext, time: 'clock' | 'iso' | 'none'): string {
  if (ctx.format === 'json' || record.fields === undefined) return record.json;
  return ctx.render(record.fields, time);
}

/**
 * Failures of one output, reported at most once a minute with how many writes failed meanwhile, so a full
 * disk or a stopped syslog daemon does not flood stderr.
 */
class Complaints {
  #count = 0;
  #lastAt = 0;
  readonly what: string;
  readonly report: (message: string) => void;
  constructor(what: string, report: (message: string) => void) {
    this.what = what;
    this.report = report;
  }
  failed(reason: string): void {
    this.#count++;
    const now = Date.now();
    if (now - this.#lastAt < COMPLAINT_INTERVAL_MS) return;
    this.#lastAt = now;
    this.report(`leasekeeper: log output ${this.what}: ${reason} (${this.#count} records lost so far)\n`);
  }
}

const stderrComplaint = (message: string): void => {
  try {
    writeSync(2, message);
  } catch {
    // Nowhere left to say it.
  }
};

/**
 * stdout or stderr. When that descriptor is systemd's journal stream (JOURNAL_STREAM names its device and
 * inode, systemd.exec(5)), each line gets an `<N>` syslog priority prefix (sd-daemon(3)) so the journal
 * keeps the record's level; the journal adds its own time.
 */
class FdOutput implements LogOutput {
  readonly #journal: boolean;
  readonly #complaints: Complaints;
  readonly fd: number;
  readonly ctx: OutputContext;
  constructor(fd: number, ctx: OutputContext) {
    this.fd = fd;
    this.ctx = ctx;
    this.#journal = isJournalStream(fd, ctx.env ?? process.env);
    this.#complaints = new Complaints(fd === 1 ? 'stdout' : 'stderr', ctx.complain ?? stderrComplaint);
  }
  write(record: LogRecord): void {
    const line = this.#journal
      ? `<${syslogSeverity(record.level)}>${textOf(record, this.ctx, 'none')}`
      : textOf(record, this.ctx, 'clock');
    try {
      descriptor(this.fd).write(line);
    } catch (err) {
      this.#complaints.failed((err as NodeJS.ErrnoException).code ?? String(err));
    }
  }
  reopen(): void {}
  close(): void {}
}

/**
 * pino's synchronous writer per descriptor, shared by every output on it and never closed (it is the
 * process's stdout or stderr): unlike a bare writeSync it waits out EAGAIN on a non-blocking pipe.
 */
const descriptors = new Map<number, ReturnType<typeof pino.destination>>();
function descriptor(fd: number): ReturnType<typeof pino.destination> {
  let d = descriptors.get(fd);
  if (d === undefined) {
    d = pino.destination({ dest: fd, sync: true });
    descriptors.set(fd, d);
  }
  return d;
}

export function isJournalStream(fd: number, env: NodeJS.ProcessEnv): boolean {
  const stream = env['JOURNAL_STREAM'];
  if (stream === undefined) return false;
  try {
    const st = fstatSync(fd);
    return stream === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

/**
 * A log file, rotated by size as Kea does: before a write would make it larger than `maxSize`, `file.N-1`
 * becomes `file.N` ... `file` becomes `file.1`, keeping `maxVersions` old files (0: the file is simply
 * started again). Lines carry the full ISO date and time.
 */
class FileOutput implements LogOutput {
  #fd: number | undefined;
  #size = 0;
  readonly #complaints: Complaints;
  readonly path: string;
  readonly maxSize: number;
  readonly maxVersions: number;
  readonly ctx: OutputContext;
  constructor(path: string, maxSize: number, maxVersions: number, ctx: OutputContext) {
    this.path = path;
    this.maxSize = maxSize;
    this.maxVersions = maxVersions;
    this.ctx = ctx;
    this.#complaints = new Complaints(path, ctx.complain ?? stderrComplaint);
    this.#open();
  }

  write(record: LogRecord): void {
    const line = textOf(record, this.ctx, 'iso');
    const bytes = Buffer.byteLength(line);
    try {
      if (this.#fd === undefined) this.#open();
      if (this.#fd === undefined) return;
      if (this.maxSize > 0 && this.#size > 0 && this.#size + bytes > this.maxSize) this.#rotate();
      writeSync(this.#fd, line);
      this.#size += bytes;
    } catch (err) {
      this.#complaints.failed((err as NodeJS.ErrnoException).code ?? String(err));
    }
  }

  reopen(): void {
    this.close();
    this.#open();
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #open(): void {
    try {
      this.#fd = openSync(this.path, 'a', 0o640);
      this.#size = fstatSync(this.#fd).size;
    } catch (err) {
      this.#fd = undefined;
      this.#complaints.failed(`cannot open: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }

  #rotate(): void {
    this.close();
    for (let v = this.maxVersions - 1; v >= 1; v--)
      renameIfPresent(`${this.path}.${v}`, `${this.path}.${v + 1}`);
    if (this.maxVersions >= 1) renameIfPresent(this.path, `${this.path}.1`);
    this.#fd = openSync(this.path, this.maxVersions >= 1 ? 'a' : 'w', 0o640);
    this.#size = 0;
  }
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * syslog over the local datagram socket (/dev/log, where both rsyslog and systemd-journald listen), in the
 * RFC 3164 shape glibc's syslog(3) sends: `<PRI>Mmm dd hh:mm:ss leasekeeper[PID]: text`. node:dgram cannot
 * address AF_UNIX datagram sockets, so this needs the native addon; without it the records go to stderr,
 * said once.
 */
class SyslogOutput implements LogOutput {
  readonly #socket: string;
  readonly #send: UnixDatagramSender | undefined;
  readonly #complaints: Complaints;
  readonly #fallback: FdOutput | undefined;
  readonly facility: number;
  readonly ctx: OutputContext;
  constructor(facility: number, ctx: OutputContext) {
    this.facility = facility;
    this.ctx = ctx;
    this.#socket = ctx.syslogSocket ?? '/dev/log';
    this.#send = ctx.sendDatagram ?? nativeUnixDatagramSender();
    const complain = ctx.complain ?? stderrComplaint;
    this.#complaints = new Complaints(`syslog ${this.#socket}`, complain);
    if (this.#send === undefined) {
      complain('leasekeeper: syslog output needs the native addon (absent): logging to stderr instead\n');
      this.#fallback = new FdOutput(2, ctx);
    }
  }
  write(record: LogRecord): void {
    if (this.#fallback !== undefined) return this.#fallback.write(record);
    const text = escapeControls(textOf(record, this.ctx, 'none').replace(/\n$/, ''));
    const pri = this.facility * 8 + syslogSeverity(record.level);
    const head = `<${pri}>${rfc3164Time(new Date(record.time))} leasekeeper[${process.pid}]: `;
    let data = Buffer.from(head + text);
    if (data.length > SYSLOG_MAX_BYTES) data = data.subarray(0, SYSLOG_MAX_BYTES);
    const n = this.#send!(this.#socket, data);
    if (n < 0) this.#complaints.failed(`errno ${-n}`);
  }
  reopen(): void {}
  close(): void {}
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function rfc3164Time(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Control characters (a client's hostname may carry any byte) shown as `\xNN`, never sent raw. */
export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
