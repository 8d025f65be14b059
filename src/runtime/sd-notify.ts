import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { nativeUnixDatagramSender, type UnixDatagramSender } from './unix-datagram.ts';

/** What the notifier needs of a logger. */
export interface NotifyLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

/**
 * systemd's readiness protocol (sd_notify(3)) for `Type=notify` units: `READY=1` once DHCP is served,
 * `RELOADING=1` / `READY=1` around a SIGHUP reload, `STOPPING=1` at shutdown, `STATUS=` lines for
 * `systemctl status`, and `WATCHDOG=1` at half of `WatchdogSec=` when systemd asks for it.
 *
 * node:dgram cannot send to an AF_UNIX datagram socket, so the datagram goes through the native addon's
 * `sendUnixDatagram` (the sender is this process, so the unit's default `NotifyAccess=main` accepts it).
 * Without the addon it falls back to spawning `systemd-notify --pid=<our pid>`: that message comes from a
 * child process, which systemd only accepts with `NotifyAccess=all`; this is said once in the log.
 */
export class SystemdNotifier {
  readonly #socket: string;
  readonly #logger: NotifyLogger;
  readonly #send: UnixDatagramSender | null;
  readonly #watchdogMs: number | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #warned = false;

  private constructor(
    socket: string,
    logger: NotifyLogger,
    send: UnixDatagramSender | null,
    watchdogMs?: number,
  ) {
    this.#socket = socket;
    this.#logger = logger;
    this.#send = send;
    this.#watchdogMs = watchdogMs;
  }

  /**
   * A notifier when `NOTIFY_SOCKET` is set (the service runs under systemd with `Type=notify`), else
   * undefined. `send` replaces the native addon (tests); null: as if it were absent.
   */
  static fromEnvironment(
    env: NodeJS.ProcessEnv,
    logger: NotifyLogger,
    send: UnixDatagramSender | null = nativeUnixDatagramSender() ?? null,
  ): SystemdNotifier | undefined {
    const socket = env['NOTIFY_SOCKET'];
    if (socket === undefined || socket === '') return undefined;
    if (!socket.startsWith('/') && !socket.startsWith('@')) {
      logger.warn(
        `NOTIFY_SOCKET=${JSON.stringify(socket)} is neither a path nor an abstract name: not notifying systemd`,
      );
      return undefined;
    }
    if (send === null)
      logger.warn(
        'the native addon is absent: systemd is notified through systemd-notify, which needs NotifyAccess=all in the unit',
      );
    return new SystemdNotifier(socket, logger, send, watchdogInterval(env));
  }

  /** READY=1 with a status line; starts the watchdog pings if systemd asked for them. */
  ready(status: string): void {
    this.notify(`READY=1\nSTATUS=${oneLine(status)}`);
    if (this.#watchdogMs !== undefined && this.#watchdog === undefined) {
      this.#watchdog = setInterval(() => this.notify('WATCHDOG=1'), this.#watchdogMs);
      this.#watchdog.unref();
    }
  }

  /** RELOADING=1 with the CLOCK_MONOTONIC time systemd (253+) wants alongside it. */
  reloading(): void {
    this.notify(`RELOADING=1\nMONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`);
  }

  stopping(status: string): void {
    clearInterval(this.#watchdog);
    this.notify(`STOPPING=1\nSTATUS=${oneLine(status)}`);
  }

  status(status: string): void {
    this.notify(`STATUS=${oneLine(status)}`);
  }

  /** Sends one notification (newline-separated assignments); a failure is logged once, never thrown. */
  notify(state: string): void {
    if (this.#send === null) {
      const child = spawn('systemd-notify', [`--pid=${process.pid}`, ...state.split('\n')], {
        stdio: 'ignore',
        env: { ...process.env, NOTIFY_SOCKET: this.#socket },
      });
      child.on('error', (err) => this.#failed(`systemd-notify: ${err.message}`));
      return;
    }
    const n = this.#send(this.#socket, Buffer.from(state));
    if (n < 0) this.#failed(`cannot notify systemd at ${this.#socket}: ${errnoName(-n)}`);
  }

  #failed(message: string): void {
    if (this.#warned) return;
    this.#warned = true;
    this.#logger.warn(`${message} (further failures are not logged)`);
  }
}

/** `WATCHDOG_USEC` for this process (`WATCHDOG_PID`, when set, must be ours): ping at half of it. */
function watchdogInterval(env: NodeJS.ProcessEnv): number | undefined {
  const usec = Number(env['WATCHDOG_USEC']);
  if (!Number.isSafeInteger(usec) || usec <= 0) return undefined;
  const pid = env['WATCHDOG_PID'];
  if (pid !== undefined && pid !== String(process.pid)) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/** A STATUS= value must stay on one line: the protocol separates assignments by newlines. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

function errnoName(errno: number): string {
  const entry = Object.entries(constants.errno).find(([, v]) => v === errno);
  return entry === undefined ? `errno ${errno}` : entry[0];
}
