import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import { UsageError, type CliCommand } from './command.ts';
import { deriveConfigFromInterface, parseConfigText } from '../config/index.ts';
import { ConfigError, type CompiledConfig } from '../config/types.ts';
import { ControlError } from '../control/errors.ts';
import { LeaseStoreError } from '../leases/errors.ts';
import { RuntimeError } from '../runtime/errors.ts';
import { createLogger, LOG_LEVELS, type LogFormat } from '../runtime/logger.ts';
import { startServer } from '../runtime/server.ts';
import { TransportError } from '../transport/errors.ts';
import { listInterfaces } from '../transport/linux/interfaces.ts';

const HELP = `Usage: leasekeeper serve (--config FILE | --interface IF) [options]

Runs the DHCPv4 server until SIGTERM or SIGINT (then it stops receiving, flushes the leases and exits 0).

  --config FILE           a Kea Dhcp4 configuration ({"Dhcp4": {...}}, JSON)
  --interface IF          zero-config: serve the subnet of IF's IPv4 address (the choices are logged)
  --lease-file PATH       keep leases in this SQLite file (overrides lease-database)
  --control-socket PATH   UNIX control socket (replaces control-socket(s) of the config)
  --control-http H:PORT   HTTP control listener, Kea Control Agent style (e.g. 127.0.0.1:8000)
  --log-format text|json  one readable line per exchange (default), or JSON lines
  --log-level LEVEL       fatal, error, warn, info (default), debug, trace, silent
  --port N                serve this UDP port instead of 67 (tests)
  --max-discover-delay MS drop DISCOVERs that waited longer than MS in the receive queue (overload;
                          default 500, 0: never); counted in pkt4-receive-drop, logged at warn

Without lease-database and --lease-file, leases go to /var/lib/leasekeeper/leases4.sqlite.

Examples:
  leasekeeper serve --interface eth0 --lease-file /tmp/leases.sqlite
  leasekeeper serve --config /etc/leasekeeper/dhcp4.json --control-socket /run/leasekeeper/ctl.sock`;

/** Errors the operator can fix: printed as one message, never as a stack trace. */
class ServeConfigError extends Error {
  readonly code = 'ERR_SERVE_CONFIG';
  override name = 'ServeConfigError';
}

export const serveCommand: CliCommand = {
  name: 'serve',
  help: HELP,
  async run(argv) {
    const values = parse(argv);
    const format = values['log-format'] ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError('--log-format must be text or json');
    const level = (values['log-level'] ?? 'info') as LevelWithSilent;
    if (!LOG_LEVELS.includes(level))
      throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
    if ((values.config === undefined) === (values.interface === undefined)) {
      throw new UsageError('give exactly one of --config FILE or --interface IF');
    }
    const port = values.port === undefined ? 67 : Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('--port must be 1-65535');
    const maxDelay =
      values['max-discover-delay'] === undefined ? undefined : Number(values['max-discover-delay']);
    if (maxDelay !== undefined && !(Number.isFinite(maxDelay) && maxDelay >= 0))
      throw new UsageError('--max-discover-delay must be a number of milliseconds, 0 or more');
    const logger = createLogger({ format: format as LogFormat, level });
    try {
      const config =
        values.config !== undefined ? loadConfig(values.config) : zeroConfig(values.interface ?? '', logger);
      let exit = 0;
      const server = await startServer({
        config,
        ...(values.config === undefined ? {} : { configFile: values.config }),
        ...(values['lease-file'] === undefined ? {} : { leaseFile: values['lease-file'] }),
        port,
        logger,
        warmUp: true,
        ...(maxDelay === undefined ? {} : { maxDiscoverQueueDelayMs: maxDelay }),
        control: {
          ...(values['control-socket'] === undefined ? {} : { controlSocket: values['control-socket'] }),
          ...(values['control-http'] === undefined ? {} : { controlHttp: values['control-http'] }),
        },
        onShutdown: (code) => {
          exit = code;
          void server.stop();
        },
      });
      let signalled = false;
      const onSignal = (sig: NodeJS.Signals): void => {
        if (signalled) {
          logger.warn(`${sig} again: exiting without waiting`);
          process.exit(1);
        }
        signalled = true;
        logger.info(`${sig}: stopping`);
        void server.stop();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      logger.info(`leasekeeper serving (pid ${process.pid})`);
      await server.stopped;
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      return exit;
    } catch (err) {
      const message = describe(err);
      if (message === undefined) throw err;
      console.error(`leasekeeper serve: ${message}`);
      return 1;
    }
  },
};

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        interface: { type: 'string' },
        'lease-file': { type: 'string' },
        'control-socket': { type: 'string' },
        'control-http': { type: 'string' },
        'log-format': { type: 'string' },
        'log-level': { type: 'string' },
        port: { type: 'string' },
        'max-discover-delay': { type: 'string' },
      },
      allowPositionals: false,
      strict: true,
    }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

function loadConfig(file: string): CompiledConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ServeConfigError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  // Kea's files may carry comments (#, //, /* */) and trailing commas: parseConfigText accepts them.
  const r = parseConfigText(text);
  if (!r.ok && r.error.issues.length === 1 && r.error.issues[0]?.path === '(file)')
    throw new ServeConfigError(
      `${file} is not JSON: ${r.error.issues[0].message.replace(/^not JSON:? ?/, '')}`,
    );
  if (!r.ok)
    throw new ServeConfigError(
      `${file}: invalid configuration\n  ${r.error.message.split('\n').join('\n  ')}`,
    );
  return r.config;
}

function zeroConfig(ifname: string, logger: ReturnType<typeof createLogger>): CompiledConfig {
  const info = listInterfaces().find((i) => i.name === ifname);
  if (info === undefined) throw new ServeConfigError(`--interface: no interface "${ifname}" on this host`);
  const addr = info.addresses[0];
  if (addr === undefined)
    throw new ServeConfigError(`--interface: ${ifname} has no IPv4 address to derive a subnet from`);
  const derived = deriveConfigFromInterface({ ifname, address: addr.ip, prefix: addr.prefix });
  for (const line of derived.explanation) logger.info(`zero-config: ${line}`);
  return derived.config;
}

/** One-line (or few-line) text for errors an operator can act on; undefined for bugs. */
function describe(err: unknown): string | undefined {
  if (err instanceof ServeConfigError) return err.message;
  if (err instanceof ConfigError) return `invalid configuration\n  ${err.message.split('\n').join('\n  ')}`;
  if (err instanceof RuntimeError)
    return err.path === undefined ? err.message : `${err.path}: ${err.message}`;
  if (err instanceof ControlError) return `control channel: ${err.message}`;
  if (err instanceof LeaseStoreError) return `lease store: ${err.message}`;
  if (err instanceof TransportError) return `DHCP sockets: ${err.message}`;
  return undefined;
}
