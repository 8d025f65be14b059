export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const BROADCAST_FLAG = 0x8000;
export const SERVER_PORT = 67;
export const CLIENT_PORT = 68;

/** RFC 2131 §3: the first four octets of the options field. */
export const MAGIC_COOKIE = 0x63825363;
/** op .. file: the fixed BOOTP header, RFC 2131 §2. */
export const HEADER_SIZE = 236;
/** The header plus the magic cookie: where the options start. */
export const OPTIONS_OFFSET = 240;
/** RFC 1542 §2.1: BOOTP messages are at least 300 bytes; encoders pad to it. */
export const BOOTP_MIN_SIZE = 300;
/** RFC 2131 §2: every client must accept a 576-byte IP datagram. */
export const DEFAULT_MAX_MESSAGE_SIZE = 576;
/** IPv4 (20) + UDP (8) headers, counted by option 57 (RFC 2132 §9.10) but not part of the DHCP message. */
export const IP_UDP_OVERHEAD = 28;

export const SNAME_OFFSET = 44;
export const SNAME_SIZE = 64;
export const FILE_OFFSET = 108;
export const FILE_SIZE = 128;

export const OPTION_PAD = 0;
export const OPTION_END = 255;

export const MessageType = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
  FORCERENEW: 9,
  LEASEQUERY: 10,
  LEASEUNASSIGNED: 11,
  LEASEUNKNOWN: 12,
  LEASEACTIVE: 13,
  BULKLEASEQUERY: 14,
  LEASEQUERYDONE: 15,
  ACTIVELEASEQUERY: 16,
  LEASEQUERYSTATUS: 17,
  TLS: 18,
} as const;

/** The highest message type IANA has assigned (RFC 7724); higher values are rejected on decode. */
export const MAX_MESSAGE_TYPE = 18;

const MESSAGE_TYPE_NAMES: readonly string[] = Object.entries(MessageType).reduce<string[]>(
  (names, [name, n]) => {
    names[n] = `DHCP${name}`;
    return names;
  },
  [],
);

/** 'DHCPDISCOVER', 'DHCPACK', ...; 'DHCP-UNKNOWN-<n>' for unassigned numbers. */
export function messageTypeName(n: number): string {
  return MESSAGE_TYPE_NAMES[n] ?? `DHCP-UNKNOWN-${n}`;
}
