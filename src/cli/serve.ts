import { readFileSync } from 'node:fs';
import type { LevelWithSilent, Logger } from 'pino';
import { parseCommandLine, UsageError, type CliCommand } from './command.ts';
import { readReceiveTuning } from './serve-tuning.ts';
import { deriveConfigFromInterface, parseConfigFiles } from '../config/index.ts';
import { ConfigError, type CompiledConfig } from '../config/index.ts';
import { ControlError } from '../control/index.ts';
import { LeaseStoreError } from '../leases/index.ts';
import { HostDatabaseError } from '../hosts/index.ts';
import { RuntimeError } from '../runtime/index.ts';
import { checkConfigOffline } from '../runtime/index.ts';
import { readLogSettings, type LogSettings } from '../runtime/index.ts';
import { createLoggerWithSink, LOG_LEVELS, type LogFormat, type LogSink } from '../runtime/index.ts';
import { reloadOnHangUp, serviceStatus } from '../runtime/index.ts';
import { SystemdNotifier } from '../runtime/index.ts';
import { startServer } from '../runtime/index.ts';
import { TransportError } from '../transport/index.ts';
import { listInterfaces } from '../transport/index.ts';
import { LeasekeeperError } from '../errors.ts';

const HELP = `Usage: leasekeeper serve (--config FILE | --interface IF) [options]

Runs the DHCPv4 server until SIGTERM or SIGINT (then it stops receiving, flushes the leases and exits 0).
SIGHUP re-reads the --config file and the --ddns-config file (a bad file keeps the running configuration)
and re-opens log files.
Under systemd (Type=notify) it reports READY=1 once serving and STOPPING=1 when stopping.

  --config FILE           a Kea Dhcp4 configuration ({"Dhcp4": {...}}, JSON)
  --ddns-config FILE      Kea D2's file (kea-dhcp-ddns.conf, {"DhcpDdns": {...}}): where DNS updates go
                          and their TSIG keys; instead of a DhcpDdns object beside Dhcp4 (docs/ddns.md)
  -t, --test              check the configuration (syntax, meaning, file paths, interfaces) without
                          opening sockets or databases; exit 0 if it would start, 1 if not
  --interface IF          zero-config: serve the subnet of IF's IPv4 address (the choices are logged)
  --lease-file PATH       keep leases in this SQLite file (overrides lease-database)
  --control-socket PATH   UNIX control socket (replaces control-socket(s) of the config)
  --control-http H:PORT   HTTP control listener, Kea Control Agent style (e.g. 127.0.0.1:8000)
  --insecure-control      allow an HTTP control listener on a non-loopback address without
                          authentication (refused otherwise; logged as a warning; docs/security.md)
  --log-format text|json  one readable line per exchange (default), or JSON lines
  --log-level LEVEL       fatal, error, warn, info (default), debug, trace, silent (overrides the
                          severity of the configuration's loggers section)
  --port N                serve this UDP port instead of 67 (tests)
  --max-discover-delay MS drop DISCOVERs that waited longer than MS in the receive queue (overload;
                          default 500, 0: never); counted in pkt4-receive-drop, logged at warn
  --hosts-refresh S       check the hosts-databases for changes every S seconds (default 10, 1-3600):
                          how long a host another server adds takes to be served here
  --max-request-delay MS  drop any request but a RELEASE or DECLINE that waited longer than MS in the
                          receive queue (its client has retransmitted; default 4000, 0: never)
  --receive-queue N       hold at most N received datagrams not yet handled (default 8192); past it
                          the oldest DISCOVER is dropped, or the arriving datagram if none is queued
  --handle-per-turn N     handle at most N datagrams before reading the sockets again (default 16):
                          under overload the backlog then builds where DISCOVERs are dropped first
  --receive-path P        how the packet sockets read: adaptive (default: recvmmsg while the server is
                          not busy, the TPACKET_V3 ring once its CPU is), ring (always; up to 1 ms more
                          delay per request) or recvmmsg (never the ring)
  --ring-above N          adaptive by frame rate instead of by load: onto the ring at N frames a second
                          or more (default 4000 when any --ring-* flag is given)
  --ring-below N          adaptive by frame rate: back to recvmmsg below N frames a second (default 2500,
                          at most --ring-above)
  --ring-window MS        adaptive by frame rate: the rate is measured over MS-long windows (default 200)
  --max-commit-wait MS    SQLite: a batch of lease writes starts at most MS after its oldest write
                          (default 1; 0-1000): lower favours ACK latency, higher fewer fsyncs
  --udp-gso on|off|auto   relayed replies to one relay leave as one UDP GSO send. auto (default): on a
                          network device (a NIC), not on a software one (veth, bridge, tap), where a
                          relay on this host that reads through a packet socket would see a run as
                          one datagram

Flags are read once, at start: SIGHUP and config-reload re-read the configuration file, not the command
line (restart to change a flag).

Without lease-database and --lease-file, leases go to /var/lib/leasekeeper/leases4.sqlite.

Examples:
  leasekeeper serve --interface eth0 --lease-file /tmp/leases.sqlite
  leasekeeper serve --config /etc/leasekeeper/dhcp4.json --control-socket /run/leasekeeper/ctl.sock
  leasekeeper serve --config /etc/leasekeeper/dhcp4.json --test`;

/** Errors the operator can fix: printed as one message, never as a stack trace. */
class ServeConfigError extends LeasekeeperError {
  override name = 'ServeConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SERVE_CONFIG', message, options);
  }
}

export const serveCommand: CliCommand = {
  name: 'serve',
  help: HELP,
  async run(argv) {
    const values = parse(argv);
    const format = values['log-format'] ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError('--log-format must be text or json');
    const cliLevel = values['log-level'] as LevelWithSilent | undefined;
    if (cliLevel !== undefined && !LOG_LEVELS.includes(cliLevel))
      throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
    if ((values.config === undefined) === (values.interface === undefined)) {
      throw new UsageError('give exactly one of --config FILE or --interface IF');
    }
    const ddnsFile = values['ddns-config'];
    if (ddnsFile !== undefined && values.config === undefined)
      throw new UsageError('--ddns-config needs --config FILE');
    const port = values.port === undefined ? 67 : Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('--port must be 1-65535');
    const maxDelay = delayFlag(values['max-discover-delay'], '--max-discover-delay');
    const maxRequestDelay = delayFlag(values['max-request-delay'], '--max-request-delay');
    const maxReceiveQueue = countFlag(values['receive-queue'], '--receive-queue', 1_000_000);
    const handledPerTurn = countFlag(values['handle-per-turn'], '--handle-per-turn', 4096);
    const tuning = readReceiveTuning(values);
    const hostsRefresh = values['hosts-refresh'] === undefined ? undefined : Number(values['hosts-refresh']);
    if (
      hostsRefresh !== undefined &&
      !(Number.isInteger(hostsRefresh) && hostsRefresh >= 1 && hostsRefresh <= 3600)
    )
      throw new UsageError('--hosts-refresh must be a number of seconds from 1 to 3600');
    const control = {
      ...(values['control-socket'] === undefined ? {} : { controlSocket: values['control-socket'] }),
      ...(values['control-http'] === undefined ? {} : { controlHttp: values['control-http'] }),
      ...(values['insecure-control'] === true ? { insecureControl: true } : {}),
    };
    const leaseFile = values['lease-file'];
    if (values.test === true)
      return testConfig(values.config, ddnsFile, values.interface, leaseFile, control);
    let logging: { logger: Logger; sink: LogSink } | undefined;
    try {
      const fileConfig = values.config === undefined ? undefined : loadConfig(values.config, ddnsFile);
      const settings = loggingOf(fileConfig, cliLevel);
      logging = createLoggerWithSink({
        format: format as LogFormat,
        level: settings.level,
        outputs: settings.outputs,
      });
      const { logger, sink } = logging;
      for (const note of settings.notes) logger.warn(note);
      for (const line of fileConfig?.warnings ?? []) logger.warn(line);
      const config = fileConfig ?? zeroConfig(values.interface ?? '', logger);
      const notifier = SystemdNotifier.fromEnvironment(process.env, logger);
      let exit = 0;
      const server = await startServer({
        config,
        ...(values.config === undefined ? {} : { configFile: values.config }),
        ...(ddnsFile === undefined ? {} : { ddnsConfigFile: ddnsFile }),
        ...(leaseFile === undefined ? {} : { leaseFile }),
        port,
        logger,
        warmUp: true,
        ...(maxDelay === undefined ? {} : { maxDiscoverQueueDelayMs: maxDelay }),
        ...(hostsRefresh === undefined ? {} : { hostsRefreshMs: hostsRefresh * 1000 }),
        ...(maxRequestDelay === undefined ? {} : { maxRequestQueueDelayMs: maxRequestDelay }),
        ...(maxReceiveQueue === undefined ? {} : { maxReceiveQueue }),
        ...(handledPerTurn === undefined ? {} : { handledPerTurn }),
        ...tuning,
        control,
        onConfigApplied: (next) => applyLogging(next, cliLevel, logger, sink),
        onShutdown: (code) => {
          exit = code;
          notifier?.stopping('shutdown command');
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
        notifier?.stopping(`${sig}: stopping`);
        void server.stop();
      };
      const onHangUp = reloadOnHangUp({
        file: values.config,
        reload: () => server.target.config.reload(),
        reopenLogs: () => sink.reopen(),
        status: () => serviceStatus(server),
        logger,
        notifier,
      });
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      process.on('SIGHUP', onHangUp);
      logger.info(`leasekeeper serving (pid ${process.pid})`);
      notifier?.ready(serviceStatus(server));
      // A daemon lives until it is told to stop, even with nothing open (no interfaces and no control
      // listener: waiting for a SIGHUP with a better file), rather than leaving with an empty event loop.
      const alive = setInterval(() => undefined, 2 ** 30);
      await server.stopped;
      clearInterval(alive);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('SIGHUP', onHangUp);
      sink.close();
      return exit;
    } catch (err) {
      const message = describe(err);
      if (message === undefined) throw err;
      console.error(`leasekeeper serve: ${message}`);
      logging?.sink.close();
      return 1;
    }
  },
};

/** `serve --test`: the configuration is read and checked as serve would, without opening anything. */
function testConfig(
  file: string | undefined,
  ddnsFile: string | undefined,
  ifname: string | undefined,
  leaseFile: string | undefined,
  control: { controlSocket?: string; controlHttp?: string },
): number {
  let config: CompiledConfig;
  try {
    config = file !== undefined ? loadConfig(file, ddnsFile) : zeroConfigQuiet(ifname ?? '');
  } catch (err) {
    const message = describe(err);
    if (message === undefined) throw err;
    console.error(`leasekeeper serve --test: ${message}`);
    return 1;
  }
  const check = checkConfigOffline(config, {
    ...(leaseFile === undefined ? {} : { leaseFile }),
    control,
  });
  for (const w of check.warnings) console.error(`warning: ${w}`);
  for (const e of check.errors) console.error(`error: ${e}`);
  const what = file ?? `--interface ${ifname ?? ''}`;
  if (check.errors.length > 0) {
    console.error(`leasekeeper serve --test: ${what}: ${check.errors.length} error(s)`);
    return 1;
  }
  const subnets = config.subnets.length;
  console.log(
    `${what}: configuration OK (${subnets} subnet${subnets === 1 ? '' : 's'}, ${check.warnings.length} warning(s))`,
  );
  return 0;
}

/** The configuration's `loggers` section, with `--log-level` taking precedence over its severity. */
function loggingOf(config: CompiledConfig | undefined, cliLevel: LevelWithSilent | undefined): LogSettings {
  const settings = readLogSettings(config?.source['loggers']);
  return cliLevel === undefined ? settings : { ...settings, level: cliLevel };
}

/** A reloaded or `config-set` configuration brings its own `loggers` section: applied here. */
function applyLogging(
  config: CompiledConfig,
  cliLevel: LevelWithSilent | undefined,
  logger: Logger,
  sink: LogSink,
): void {
  try {
    const settings = loggingOf(config, cliLevel);
    sink.configure(settings.outputs);
    logger.level = settings.level;
    for (const note of settings.notes) logger.warn(note);
  } catch (err) {
    logger.error(`loggers not changed: ${describe(err) ?? String(err)}`);
  }
}

/** A count flag: a whole number from 1 to `max`. */
function countFlag(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1 && n <= max))
    throw new UsageError(`${flag} must be a whole number from 1 to ${max}`);
  return n;
}

/** A queue-delay flag: milliseconds, 0 or more (0: never drop). */
function delayFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!(Number.isFinite(ms) && ms >= 0))
    throw new UsageError(`${flag} must be a number of milliseconds, 0 or more`);
  return ms;
}

function parse(argv: readonly string[]) {
  return parseCommandLine({
    args: [...argv],
    options: {
      config: { type: 'string' },
      'ddns-config': { type: 'string' },
      test: { type: 'boolean', short: 't' },
      interface: { type: 'string' },
      'lease-file': { type: 'string' },
      'control-socket': { type: 'string' },
      'control-http': { type: 'string' },
      'insecure-control': { type: 'boolean' },
      'log-format': { type: 'string' },
      'log-level': { type: 'string' },
      port: { type: 'string' },
      'max-discover-delay': { type: 'string' },
      'max-request-delay': { type: 'string' },
      'receive-queue': { type: 'string' },
      'handle-per-turn': { type: 'string' },
      'hosts-refresh': { type: 'string' },
      'receive-path': { type: 'string' },
      'udp-gso': { type: 'string' },
      'ring-above': { type: 'string' },
      'ring-below': { type: 'string' },
      'ring-window': { type: 'string' },
      'max-commit-wait': { type: 'string' },
    },
    allowPositionals: false,
    strict: true,
  }).values;
}

function loadConfig(file: string, ddnsFile: string | undefined): CompiledConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ServeConfigError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  // Kea's files may carry comments (#, //, /* */) and trailing commas: parseConfigText accepts them.
  const r = parseConfigFiles(text, { file, ddnsConfigFile: ddnsFile });
  if (!r.ok && r.error.issues.length === 1 && r.error.issues[0]?.path === '(file)')
    throw new ServeConfigError(
      `${file} is not JSON: ${r.error.issues[0].message.replace(/^not JSON:? ?/, '')}`,
    );
  if (!r.ok)
    throw new ServeConfigError(
      `${file}${ddnsFile === undefined ? '' : ` with --ddns-config ${ddnsFile}`}: invalid configuration\n  ${r.error.message.split('\n').join('\n  ')}`,
    );
  return r.config;
}

function zeroConfig(ifname: string, logger: Logger): CompiledConfig {
  const derived = deriveZeroConfig(ifname);
  for (const line of derived.explanation) logger.info(`zero-config: ${line}`);
  return derived.config;
}

function zeroConfigQuiet(ifname: string): CompiledConfig {
  return deriveZeroConfig(ifname).config;
}

function deriveZeroConfig(ifname: string): ReturnType<typeof deriveConfigFromInterface> {
  const info = listInterfaces().find((i) => i.name === ifname);
  if (info === undefined) throw new ServeConfigError(`--interface: no interface "${ifname}" on this host`);
  const addr = info.addresses[0];
  if (addr === undefined)
    throw new ServeConfigError(`--interface: ${ifname} has no IPv4 address to derive a subnet from`);
  return deriveConfigFromInterface({ ifname, address: addr.ip, prefix: addr.prefix });
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
  if (err instanceof HostDatabaseError) return err.message;
  return undefined;
}
