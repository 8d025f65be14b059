import { MessageType } from '../protocol/index.ts';

/**
 * What an overloaded server sheds, decided before decoding: from how long a datagram waited in the kernel's
 * receive queue and, only when that matters, its message type read straight from the bytes.
 *
 * The order: a DHCPREQUEST finishes an exchange the server already paid for (an OFFER, an address held), so
 * it is kept the longest; a DHCPDISCOVER starts a new one and is shed first, once it waited `discoverMs`.
 * A request that waited `staleMs` is dropped: by then the client has retransmitted (RFC 2131 §4.1, about 4 s)
 * with the same xid, so its fresh copy is behind this one in the queue and a reply to the old copy would only
 * delay the replies to fresh requests. DHCPRELEASE and DHCPDECLINE are kept however long they waited: they
 * expect no reply, are never retransmitted (RFC 2131 §4.4.4, §4.4.6), and dropping one would leave its
 * address bound or in use until the lease expires.
 */
export type Admission = 'serve' | 'shed-discover' | 'stale';

export interface QueueDelayLimits {
  /** A DISCOVER that waited longer than this is shed (Infinity: never). */
  readonly discoverMs: number;
  /** A request (not a RELEASE or DECLINE) that waited longer than this gets no reply (Infinity: never). */
  readonly staleMs: number;
}

/**
 * The decision for a datagram of message `type` (`peekMessageType`, undefined: none readable) that waited
 * `waitedMs` since the kernel received it (receive-queue.ts applies it at the head of its queue).
 */
export function admit(type: number | undefined, waitedMs: number, limits: QueueDelayLimits): Admission {
  if (type === MessageType.RELEASE || type === MessageType.DECLINE) return 'serve';
  if (waitedMs > limits.staleMs) return 'stale';
  return type === MessageType.DISCOVER && waitedMs > limits.discoverMs ? 'shed-discover' : 'serve';
}

const OPTIONS = 240;
const PAD = 0;
const END = 255;
const MESSAGE_TYPE = 53;

/**
 * The DHCP message type (option 53) from the options field, without decoding the message; undefined when the
 * packet is too short, has no magic cookie, or carries no option 53 there (one in an overloaded sname/file is
 * not looked for: such a packet is served and the decoder decides). Reads each option header once.
 */
export function peekMessageType(bytes: Uint8Array): number | undefined {
  const len = bytes.length;
  if (len <= OPTIONS) return undefined;
  if (bytes[236] !== 99 || bytes[237] !== 130 || bytes[238] !== 83 || bytes[239] !== 99) return undefined;
  let i = OPTIONS;
  while (i < len) {
    const code = bytes[i]!;
    if (code === END) return undefined;
    if (code === PAD) {
      i++;
      continue;
    }
    if (i + 1 >= len) return undefined;
    const optionLength = bytes[i + 1]!;
    if (code === MESSAGE_TYPE) return optionLength >= 1 && i + 2 < len ? bytes[i + 2] : undefined;
    i += 2 + optionLength;
  }
  return undefined;
}
