/** The value types of Kea's `option-def` that leasekeeper encodes (of the IPv6 ones, only the address). */
export const OPTION_TYPES = [
  'empty',
  'binary',
  'boolean',
  'int8',
  'int16',
  'int32',
  'uint8',
  'uint16',
  'uint32',
  'ipv4-address',
  'ipv6-address',
  'fqdn',
  'psid',
  'string',
  'record',
  'tuple',
] as const;
export type OptionType = (typeof OPTION_TYPES)[number];
