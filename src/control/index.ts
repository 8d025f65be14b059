/** The control channel: Kea's command API over a UNIX socket and an HTTP listener shaped like Kea's agent. */
export { RESULT, answer, success, failure, empty, type Answer, type ResultCode } from './answer.ts';
export {
  ControlError,
  CommandArgumentError,
  ControlConfigError,
  ControlListenError,
  ControlClientError,
  ControlConflictError,
} from './errors.ts';
export type { JsonValue, JsonObject } from './json.ts';
export {
  CommandRegistry,
  AGENT_COMMANDS,
  commandChannel,
  type CommandHandler,
  type CommandContext,
  type ControlLogger,
  type RegistryOptions,
} from './registry.ts';
export { createCommandRegistry } from './commands/index.ts';
export { parseLease } from './commands/lease-input.ts';
export type * from './target.ts';
export { leaseToKea } from './lease-json.ts';
export { keaTimestamp } from './kea-time.ts';
export { UnixControlServer, type UnixControlOptions } from './unix-server.ts';
export {
  UnixJsonEndpoint,
  UnixJsonServer,
  type JsonRequestHandler,
  type UnixJsonServerOptions,
} from './unix-json-server.ts';
export {
  HttpControlServer,
  type HttpControlOptions,
  type TlsSettings,
  type GetRoute,
  type UpgradeHook,
  DEFAULT_MAX_CONNECTIONS,
} from './http-server.ts';
export type { BasicAuthSettings } from './auth.ts';
export type { AuthThrottleSettings } from './throttle.ts';
export { HostPolicy } from './host-policy.ts';
export { ConfigFilePolicy, ConfigFileRefusedError, writeConfigFile } from './config-file.ts';
export { redactSecrets, REDACTED } from './redact.ts';
export {
  controlListenerSettings,
  parseHostPort,
  type ControlListenerSettings,
  type HttpListenerSettings,
  type ControlOverrides,
} from './settings.ts';
export { startControlListeners, type ControlListeners, type StartOptions } from './listeners.ts';
export { sendUnix, sendHttp, allSucceeded, type ControlRequest, type HttpClientOptions } from './client.ts';
export { StatisticsManager, type StatisticsManagerOptions } from './statistics.ts';
export { trackLeaseStatistics } from './lease-statistics.ts';
export {
  parseSharedNetworkStatName,
  sharedNetworkStatName,
  withSharedNetworkSums,
  type SharedNetworkMembers,
} from './shared-network-statistics.ts';
export { isJsonObject } from './json.ts';
export { metricsRoute, renderMetrics } from './metrics.ts';
export type {
  ConfigOutcome,
  ControlTarget,
  DhcpSwitch,
  HostSelector,
  OperationTarget,
  ReservationQuery,
  ReservationAccess,
  ReservationJson,
  ServerStatus,
  InterfaceReceive,
  StatSample,
  StatisticsAccess,
  StoredReservation,
  SubnetAccess,
  SubnetInfo,
  SubnetListing,
  VersionInfo,
} from './target.ts';
