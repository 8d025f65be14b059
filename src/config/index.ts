export {
  parseConfig,
  compileConfig,
  toKeaJson,
  parsePool,
  normalizeHwAddress,
  normalizeClientId,
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
export { deriveConfigFromInterface, type InterfaceInfo, type DerivedConfig } from './derive.ts';
export { encodeOptionData } from './option-data.ts';
export { rootSchema, type KeaConfigJson, type Dhcp4Json, type SubnetJson } from './schema.ts';
export * from './types.ts';
export * from './high-availability.ts';
