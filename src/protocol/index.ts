/** The public surface of src/protocol; see CONTRACT.md. */
export {
  BOOTREQUEST,
  BOOTREPLY,
  BROADCAST_FLAG,
  SERVER_PORT,
  CLIENT_PORT,
  MAGIC_COOKIE,
  BOOTP_MIN_SIZE,
  DEFAULT_MAX_MESSAGE_SIZE,
  MessageType,
  messageTypeName,
} from './constants.ts';
export { DhcpDecodeError, DhcpEncodeError } from './errors.ts';
export type { DecodeErrorCode, EncodeErrorCode, DecodeWarning } from './errors.ts';
export {
  ipToInt,
  intToIp,
  isValidIp,
  parseIp,
  prefixToMask,
  maskToPrefix,
  readIp,
  readIpList,
  readU16,
  readU32,
  writeU32,
  u32Bytes,
  ipToBytes,
  parseCidr,
  type AddressPrefix,
} from './ip.ts';
export {
  macToString,
  parseMac,
  toHex,
  fromHex,
  bytesEqual,
  parseHexIdentifier,
  type HexIdentifierSyntax,
} from './bytes.ts';
export { createMessage, messageTypeOf, messageToJSON, messageFromJSON } from './message.ts';
export type { DhcpMessage } from './message.ts';
export { decodeMessage } from './decode.ts';
export { encodeMessage } from './encode.ts';
export type { EncodeOptions } from './encode.ts';
export { DhcpOptions } from './options.ts';
export { OPTION_DEFINITIONS, optionDefinition, optionCode, optionName } from './option-table.ts';
export type { OptionDefinition, OptionName, OptionValues } from './option-table.ts';
export { FQDN_FLAG_S, FQDN_FLAG_O, FQDN_FLAG_E, FQDN_FLAG_N, RELAY_SUBOPTION_NAMES } from './codecs.ts';
export type {
  ClasslessRoute,
  ClientFqdn,
  DnrInstance,
  DnrParams,
  SubOption,
  SubOption as RelayAgentSubOption,
  VendorClass,
  VendorOptions,
  ValueCodec,
} from './codecs.ts';
export { relayAgentInfo, relayAgentSubOptions } from './relay-agent.ts';
export type { RelayAgentInfo } from './relay-agent.ts';
export { parseClientIdentifier, clientIdToString, makeDuidClientId } from './client-id.ts';
export type { ClientIdentifier } from './client-id.ts';
export { fqdn } from './codecs.ts';
export { decodeNameList } from './dns-name.ts';
export { definitionByCode, definitionNamed } from './option-table.ts';
export { decodeName, encodeName, nameLabels } from './dns-name.ts';
