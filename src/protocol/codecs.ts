/** The value codecs the option table is built from, one module per family; see docs/protocol.md. */
export type { CodecValue, ValueCodec } from './codecs/codec.ts';
export {
  bool,
  bytes,
  bytesOf,
  flag,
  i32,
  ip,
  ipList,
  ipPairs,
  ips,
  ipsOrNone,
  text,
  u16,
  u16List,
  u32,
  u8,
  u8List,
  uint,
} from './codecs/scalar.ts';
export {
  clientFqdn,
  fqdn,
  fqdnList,
  FQDN_FLAG_E,
  FQDN_FLAG_N,
  FQDN_FLAG_O,
  FQDN_FLAG_S,
} from './codecs/names.ts';
export type { ClientFqdn } from './codecs/names.ts';
export { dnrInstances } from './codecs/dnr.ts';
export type { DnrInstance, DnrParams } from './codecs/dnr.ts';
export { routes } from './codecs/routes.ts';
export type { ClasslessRoute } from './codecs/routes.ts';
export {
  decodeTlvs,
  encodeTlvs,
  RELAY_SUBOPTION_NAMES,
  RELAY_SUBOPTIONS,
  subOptions,
  userClasses,
  vendorClasses,
  vendorOptions,
} from './codecs/tlv.ts';
export type { SubOption, VendorClass, VendorOptions } from './codecs/tlv.ts';
