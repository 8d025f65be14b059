/** The composition root: a running DHCPv4 server made of the engine, a lease store, transports and control. */
export { startServer, type ServerOptions, type ServerRuntime } from './server.ts';
export { RuntimeError, type RuntimeErrorCode } from './errors.ts';
export { resolveInterfaces, type ServedInterface } from './interfaces.ts';
export { chooseLeaseStore, DEFAULT_LEASE_FILE, type LeaseStoreChoice } from './lease-database.ts';
export {
  createLogger,
  createLoggerWithSink,
  formatText,
  LogSink,
  LOG_LEVELS,
  type LogFormat,
  type LoggerOptions,
} from './logger.ts';
export { readLogSettings, type LogOutputSpec, type LogSettings } from './log-settings.ts';
export { checkConfigOffline, type ConfigCheck, type ConfigCheckOptions } from './config-check.ts';
export { rawSocketPermission } from './capabilities.ts';
export { SystemdNotifier } from './sd-notify.ts';
export { outbound } from './destination.ts';
export { EngineStatistics } from './statistics.ts';
export { reloadOnHangUp, serviceStatus } from './hangup.ts';
export { IntervalTally, TALLY_INTERVAL_MS } from './interval-tally.ts';
export { RECEIVE_PATHS, RING_DEFAULTS, type ReceivePath, type RingThresholds } from './transports.ts';
