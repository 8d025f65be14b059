import type { Logger } from 'pino';
import type { ConfigOutcome } from '../control/index.ts';
import type { SystemdNotifier } from './sd-notify.ts';
import type { ServerRuntime } from './server.ts';

export interface HangUpOptions {
  /** The configuration file, or undefined (zero-config: only the logs are re-opened). */
  readonly file: string | undefined;
  /** Re-reads and applies the file: the `config-reload` command's code. */
  readonly reload: () => Promise<ConfigOutcome>;
  readonly reopenLogs: () => void;
  /** The STATUS= line for systemd after the reload. */
  readonly status: () => string;
  readonly logger: Logger;
  readonly notifier: SystemdNotifier | undefined;
}

/**
 * The SIGHUP handler, as Kea and dnsmasq take the signal: re-read the configuration file the way the
 * `config-reload` command does (a file that does not parse or compile leaves the running configuration
 * serving, and the log says why), and re-open log files (after logrotate). Signals that arrive during a
 * reload are folded into one more reload after it; a reload never takes the server down.
 */
export function reloadOnHangUp(o: HangUpOptions): () => void {
  const { file, logger, notifier } = o;
  let running: Promise<void> | undefined;
  let again = false;
  const reload = async (): Promise<void> => {
    notifier?.reloading();
    o.reopenLogs();
    if (file === undefined) {
      logger.info('SIGHUP: log files re-opened (no --config file to reload)');
    } else {
      const outcome = await o.reload();
      if (outcome.ok) logger.info(`SIGHUP: configuration reloaded from ${file}`);
      else
        logger.error(
          `SIGHUP: ${file} not applied, the previous configuration keeps serving: ${outcome.error}`,
        );
    }
    notifier?.ready(o.status());
  };
  return () => {
    if (running !== undefined) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await reload();
        } catch (err) {
          logger.error({ err }, 'SIGHUP: reload failed, the previous configuration keeps serving');
          notifier?.ready(o.status());
        }
      } while (again);
      running = undefined;
    })();
  };
}

/** `serving 3 subnets on eth0, eth1`: systemd's STATUS= line. */
export function serviceStatus(server: Pick<ServerRuntime, 'config' | 'interfaces'>): string {
  const subnets = server.config.subnets.length;
  const where = server.interfaces.map((i) => i.name).join(', ') || 'no interface';
  return `serving ${subnets} subnet${subnets === 1 ? '' : 's'} on ${where}`;
}
