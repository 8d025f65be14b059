/**
 * udhcpc's table of the options it names (common.c `dhcp_optflags` and `dhcp_option_strings`), as built
 * into Debian 12's busybox 1.35 (RFC 3397 and 802.1Q support on; names read from the binary). The order
 * is udhcpc's, which is also the order of the script's variables.
 */
export type UdhcpcKind =
  | 'ip'
  | 'ip-pair'
  | 'string'
  | 'string-host'
  | 'u8'
  | 'u16'
  | 'u32'
  | 's32'
  | 'static-routes'
  | 'dns-string'
  | 'sip-servers'
  | '6rd';

export const UDHCPC_OPTIONS: readonly (readonly [code: number, name: string, kind: UdhcpcKind])[] = [
  [1, 'subnet', 'ip'],
  [2, 'timezone', 's32'],
  [3, 'router', 'ip'],
  [6, 'dns', 'ip'],
  [9, 'lprsrv', 'ip'],
  [12, 'hostname', 'string-host'],
  [13, 'bootsize', 'u16'],
  [15, 'domain', 'string-host'],
  [16, 'swapsrv', 'ip'],
  [17, 'rootpath', 'string'],
  [23, 'ipttl', 'u8'],
  [26, 'mtu', 'u16'],
  [28, 'broadcast', 'ip'],
  [33, 'routes', 'ip-pair'],
  [40, 'nisdomain', 'string-host'],
  [41, 'nissrv', 'ip'],
  [42, 'ntpsrv', 'ip'],
  [44, 'wins', 'ip'],
  [51, 'lease', 'u32'],
  [54, 'serverid', 'ip'],
  [56, 'message', 'string'],
  [60, 'vendor', 'string'],
  [66, 'tftp', 'string-host'],
  [67, 'bootfile', 'string'],
  [100, 'tzstr', 'string'],
  [101, 'tzdbstr', 'string'],
  [119, 'search', 'dns-string'],
  [120, 'sipsrv', 'sip-servers'],
  [121, 'staticroutes', 'static-routes'],
  [132, 'vlanid', 'u16'],
  [133, 'vlanpriority', 'u8'],
  [209, 'pxeconffile', 'string'],
  [210, 'pxepathprefix', 'string'],
  [211, 'reboottime', 'u32'],
  [212, 'ip6rd', '6rd'],
  [249, 'msstaticroutes', 'static-routes'],
  [252, 'wpad', 'string'],
];
