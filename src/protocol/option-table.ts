/**
 * The option table: every option leasekeeper knows, keyed by Kea's names (src/lib/dhcp/std_option_defs.h),
 * each with the value codec that drives decode, encode and JSON. Add an option by adding one line.
 */
import {
  bool,
  bytes,
  bytesOf,
  clientFqdn,
  dnrInstances,
  flag,
  fqdn,
  fqdnList,
  i32,
  ip,
  ipPairs,
  ips,
  ipsOrNone,
  routes,
  subOptions,
  text,
  u16,
  u16List,
  u32,
  u8,
  u8List,
  uint,
  userClasses,
  vendorClasses,
  vendorOptions,
  type CodecValue,
  type ValueCodec,
} from './codecs.ts';

export interface OptionDefinition<N extends string = string, T = unknown> {
  readonly code: number;
  readonly name: N;
  /** The codec's wire type: 'ip', 'ips', 'u8', 'string', 'fqdn-list', 'routes', ... */
  readonly type: string;
  /** Where the option is defined. */
  readonly rfc: string;
  readonly codec: ValueCodec<T>;
}

function opt<N extends string, T>(
  code: number,
  name: N,
  codec: ValueCodec<T>,
  rfc = 'RFC 2132',
): OptionDefinition<N, T> {
  return { code, name, type: codec.kind, rfc, codec };
}

export const OPTION_DEFINITIONS = [
  opt(1, 'subnet-mask', ip),
  opt(2, 'time-offset', i32),
  opt(3, 'routers', ips),
  opt(4, 'time-servers', ips),
  opt(5, 'name-servers', ips),
  opt(6, 'domain-name-servers', ips),
  opt(7, 'log-servers', ips),
  opt(8, 'cookie-servers', ips),
  opt(9, 'lpr-servers', ips),
  opt(10, 'impress-servers', ips),
  opt(11, 'resource-location-servers', ips),
  opt(12, 'host-name', text),
  opt(13, 'boot-size', u16),
  opt(14, 'merit-dump', text),
  opt(15, 'domain-name', text),
  opt(16, 'swap-server', ip),
  opt(17, 'root-path', text),
  opt(18, 'extensions-path', text),
  opt(19, 'ip-forwarding', bool),
  opt(20, 'non-local-source-routing', bool),
  opt(21, 'policy-filter', ipPairs),
  opt(22, 'max-dgram-reassembly', u16),
  opt(23, 'default-ip-ttl', u8),
  opt(24, 'path-mtu-aging-timeout', u32),
  opt(25, 'path-mtu-plateau-table', u16List),
  opt(26, 'interface-mtu', u16),
  opt(27, 'all-subnets-local', bool),
  opt(28, 'broadcast-address', ip),
  opt(29, 'perform-mask-discovery', bool),
  opt(30, 'mask-supplier', bool),
  opt(31, 'router-discovery', bool),
  opt(32, 'router-solicitation-address', ip),
  opt(33, 'static-routes', ipPairs),
  opt(34, 'trailer-encapsulation', bool),
  opt(35, 'arp-cache-timeout', u32),
  opt(36, 'ieee802-3-encapsulation', bool),
  opt(37, 'default-tcp-ttl', u8),
  opt(38, 'tcp-keepalive-interval', u32),
  opt(39, 'tcp-keepalive-garbage', bool),
  opt(40, 'nis-domain', text),
  opt(41, 'nis-servers', ips),
  opt(42, 'ntp-servers', ips),
  opt(43, 'vendor-encapsulated-options', bytesOf(1)),
  opt(44, 'netbios-name-servers', ips),
  opt(45, 'netbios-dd-server', ips),
  opt(46, 'netbios-node-type', u8),
  opt(47, 'netbios-scope', text),
  opt(48, 'font-servers', ips),
  opt(49, 'x-display-manager', ips),
  opt(50, 'dhcp-requested-address', ip),
  opt(51, 'dhcp-lease-time', u32),
  opt(52, 'dhcp-option-overload', uint(1, 1, 3)),
  // 0 is no message type. The decoder also refuses types above 18 (RFC 7724, the last IANA assigned);
  // set() still takes them so that tests can build the packets a peer must refuse.
  opt(53, 'dhcp-message-type', uint(1, 1, 255)),
  opt(54, 'dhcp-server-identifier', ip),
  opt(55, 'dhcp-parameter-request-list', u8List),
  opt(56, 'dhcp-message', text),
  // RFC 2132 §9.10: the minimum legal value is 576; a smaller one is kept raw with a warning.
  opt(57, 'dhcp-max-message-size', uint(2, 576)),
  opt(58, 'dhcp-renewal-time', u32),
  opt(59, 'dhcp-rebinding-time', u32),
  opt(60, 'vendor-class-identifier', text),
  opt(61, 'dhcp-client-identifier', bytesOf(2)),
  opt(62, 'nwip-domain-name', text, 'RFC 2242'),
  opt(63, 'nwip-suboptions', bytes, 'RFC 2242'),
  opt(64, 'nisplus-domain-name', text),
  opt(65, 'nisplus-servers', ips),
  opt(66, 'tftp-server-name', text),
  opt(67, 'boot-file-name', text),
  opt(68, 'mobile-ip-home-agent', ipsOrNone),
  opt(69, 'smtp-server', ips),
  opt(70, 'pop-server', ips),
  opt(71, 'nntp-server', ips),
  opt(72, 'www-server', ips),
  opt(73, 'finger-server', ips),
  opt(74, 'irc-server', ips),
  opt(75, 'streettalk-server', ips),
  opt(76, 'streettalk-directory-assistance-server', ips),
  opt(77, 'user-class', userClasses, 'RFC 3004'),
  opt(78, 'slp-directory-agent', bytesOf(1), 'RFC 2610'),
  opt(79, 'slp-service-scope', bytesOf(1), 'RFC 2610'),
  opt(80, 'rapid-commit', flag, 'RFC 4039'),
  opt(81, 'fqdn', clientFqdn, 'RFC 4702'),
  opt(82, 'dhcp-agent-options', subOptions, 'RFC 3046'),
  opt(85, 'nds-servers', ips, 'RFC 2241'),
  opt(86, 'nds-tree-name', text, 'RFC 2241'),
  opt(87, 'nds-context', text, 'RFC 2241'),
  opt(88, 'bcms-controller-names', fqdnList(false), 'RFC 4280'),
  opt(89, 'bcms-controller-address', ips, 'RFC 4280'),
  opt(90, 'authenticate', bytes, 'RFC 3118'),
  opt(91, 'client-last-transaction-time', u32, 'RFC 4388'),
  opt(92, 'associated-ip', ips, 'RFC 4388'),
  opt(93, 'client-system', u16List, 'RFC 4578'),
  opt(94, 'client-ndi', bytesOf(3), 'RFC 4578'),
  opt(97, 'uuid-guid', bytesOf(1), 'RFC 4578'),
  opt(98, 'uap-servers', text, 'RFC 2485'),
  opt(99, 'geoconf-civic', bytesOf(3), 'RFC 4776'),
  opt(100, 'pcode', text, 'RFC 4833'),
  opt(101, 'tcode', text, 'RFC 4833'),
  opt(108, 'v6-only-preferred', u32, 'RFC 8925'),
  opt(112, 'netinfo-server-address', ips, 'RFC 3679'),
  opt(113, 'netinfo-server-tag', text, 'RFC 3679'),
  opt(114, 'v4-captive-portal', text, 'RFC 8910'),
  opt(116, 'auto-config', u8, 'RFC 2563'),
  opt(117, 'name-service-search', u16List, 'RFC 2937'),
  opt(118, 'subnet-selection', ip, 'RFC 3011'),
  opt(119, 'domain-search', fqdnList(true), 'RFC 3397'),
  opt(121, 'classless-static-route', routes, 'RFC 3442'),
  opt(124, 'vivco-suboptions', vendorClasses, 'RFC 3925'),
  opt(125, 'vivso-suboptions', vendorOptions, 'RFC 3925'),
  opt(136, 'pana-agent', ips, 'RFC 5192'),
  opt(137, 'v4-lost', fqdn, 'RFC 5223'),
  opt(138, 'capwap-ac-v4', ips, 'RFC 5417'),
  opt(141, 'sip-ua-cs-domains', fqdnList(true), 'RFC 6011'),
  // Records in Kea's table; their text form is read by src/config (Kea's record definitions).
  opt(143, 'v4-sztp-redirect', bytesOf(2), 'RFC 8572'),
  opt(146, 'rdnss-selection', bytesOf(10), 'RFC 6731'),
  opt(159, 'v4-portparams', bytesOf(4), 'RFC 7618'),
  opt(162, 'v4-dnr', dnrInstances, 'RFC 9463'),
  opt(212, 'option-6rd', bytesOf(22), 'RFC 5969'),
  opt(213, 'v4-access-domain', fqdn, 'RFC 5986'),
  // Not in Kea's table: Microsoft's pre-standard twin of 121, same wire format (RFC 3442 §3 notes it).
  opt(249, 'ms-classless-static-route', routes, 'Microsoft'),
] as const;

type Definition = (typeof OPTION_DEFINITIONS)[number];

/** The typed value of every known option, by Kea name. */
export type OptionValues = { [D in Definition as D['name']]: CodecValue<D['codec']> };
export type OptionName = keyof OptionValues;

const BY_CODE: (OptionDefinition | undefined)[] = new Array<OptionDefinition | undefined>(256).fill(
  undefined,
);
const BY_NAME = new Map<string, OptionDefinition>();
for (const d of OPTION_DEFINITIONS as readonly OptionDefinition[]) {
  BY_CODE[d.code] = d;
  BY_NAME.set(d.name, d);
}

/** A table entry looked up once by name, for code that reads the same option from every packet. */
export type NamedDefinition<N extends OptionName> = OptionDefinition<N, OptionValues[N]>;

/** The entry for a Kea name known to the table (the type says so). */
export function definitionNamed<N extends OptionName>(name: N): NamedDefinition<N> {
  return BY_NAME.get(name) as NamedDefinition<N>;
}

export function definitionByCode(code: number): OptionDefinition | undefined {
  return BY_CODE[code];
}

export function definitionByName(name: string): OptionDefinition | undefined {
  return BY_NAME.get(name);
}

/** The table entry for a Kea name, a code, or 'option-<code>' (how unknown options appear in JSON). */
export function optionDefinition(nameOrCode: string | number): OptionDefinition | undefined {
  return typeof nameOrCode === 'number' ? BY_CODE[nameOrCode] : BY_NAME.get(nameOrCode);
}

/** The code for a Kea name or 'option-<n>', or the number itself; undefined when there is none. */
export function optionCode(nameOrCode: string | number): number | undefined {
  if (typeof nameOrCode === 'number') {
    return Number.isInteger(nameOrCode) && nameOrCode >= 1 && nameOrCode <= 254 ? nameOrCode : undefined;
  }
  const d = BY_NAME.get(nameOrCode);
  if (d) return d.code;
  if (nameOrCode.startsWith('option-')) {
    const n = Number(nameOrCode.slice(7));
    if (Number.isInteger(n) && n >= 1 && n <= 254 && String(n) === nameOrCode.slice(7)) return n;
  }
  return undefined;
}

/** The JSON key of a code: its Kea name, or 'option-<code>'. */
export function optionName(code: number): string {
  return BY_CODE[code]?.name ?? `option-${code}`;
}
