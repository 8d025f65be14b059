export {
  parseConfig,
  compileConfig,
  toKeaJson,
  parsePool,
  compileHostReservation,
  normalizeHwAddress,
  normalizeClientId,
  normalizeOpaqueId,
  DEFAULTS,
} from './compile.ts';
export {
  DEFAULT_MAX_JSON_DEPTH,
  dropTrailingCommas,
  jsonDepthError,
  nestingMessage,
  parseConfigText,
  parseKeaJson,
  stripKeaComments,
} from './text.ts';
export { parseConfigFiles, readD2File, withD2Section } from './d2-file.ts';
export { deriveConfigFromInterface, type InterfaceInfo, type DerivedConfig } from './derive.ts';
export { encodeOptionData } from './option-data.ts';
export {
  HOST_IDENTIFIERS,
  rootSchema,
  type KeaConfigJson,
  type Dhcp4Json,
  type HostIdentifierType,
  type SubnetJson,
} from './schema.ts';
export * from './types.ts';
export * from './high-availability.ts';
export { describeOptions } from './describe-options.ts';
export { cidrContains, intToIpv4, ipv4ToInt, isIpv4, maskOf } from './ipv4.ts';
export type { RateLimit } from './limits.ts';
export type { OptionDefs } from './option-defs.ts';
export { ConfigError } from './types.ts';
export type {
  ClassGate,
  CompiledClientClass,
  CompiledConfig,
  CompiledPool,
  CompiledReservation,
  CompiledSubnet,
  HostsDatabaseConfig,
  LeaseDatabaseConfig,
  Lifetimes,
  OptionSet,
} from './types.ts';
export { encodeCsvOption } from './hooks.ts';
export type { FlexOptionAction, RunScriptSettings } from './hooks.ts';
export { ddnsNotes, matchDomain } from './ddns.ts';
export type { CompiledDdns, DdnsBehaviour, DnsServer } from './ddns.ts';
export type { LeaseChecks } from './schema-sections.ts';
