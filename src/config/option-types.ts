/** The value types of Kea's `option-def` that leasekeeper encodes (DHCPv4 ones; no IPv6 types). */
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
  'fqdn',
  'psid',
  'string',
  'record',
  'tuple',
] as const;
export type OptionType = (typeof OPTION_TYPES)[number];
