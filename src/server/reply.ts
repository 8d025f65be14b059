import type { CompiledSubnet, OptionSet } from '../config/types.ts';
import { intToIpv4 } from '../config/ipv4.ts';
import {
  BOOTREPLY,
  BROADCAST_FLAG,
  DEFAULT_MAX_MESSAGE_SIZE,
  MessageType,
  DhcpOptions,
  createMessage,
  parseIp,
  type ClientFqdn,
  type DhcpMessage,
} from '../protocol/index.ts';
import type { LeaseTimes } from './lifetimes.ts';
import { definitionNamed } from '../protocol/option-table.ts';

/** Options read from every request, looked up in the table once. */
const MAX_SIZE_OPT = definitionNamed('dhcp-max-message-size');

const ZERO = '0.0.0.0';
const SUBNET_MASK = 1;
const HOST_NAME = 12;
const LEASE_TIME = 51;
const MESSAGE_TYPE = 53;
const SERVER_ID = 54;
const PARAMETER_REQUEST_LIST = 55;
const RENEWAL_TIME = 58;
const REBINDING_TIME = 59;
const RAPID_COMMIT = 80;
/** Sent whenever configured, requested or not (Kea does the same): routers, DNS servers, domain name. */
const ALWAYS_IF_CONFIGURED = [3, 6, 15];
/** Written by the engine only; never copied from config layers. */
const ENGINE_OWNED = new Set([50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 61, 80, 82]);

export interface ReplyPlan {
  readonly type: number;
  readonly serverId: string;
  readonly yiaddr: string;
  /** Table 3 of RFC 2131 §4.3.1: a DHCPACK carries the request's ciaddr, others zero. */
  readonly ciaddr: string;
  /** Lease, T1 and T2; absent for DHCPINFORM answers (§4.3.5) and DHCPNAK. */
  readonly times: LeaseTimes | undefined;
  /** Option layers, highest precedence first: reservation, pool, subnet, global (Kea's order). */
  readonly layers: readonly OptionSet[];
  readonly subnet: CompiledSubnet | undefined;
  readonly hostname: string | undefined;
  readonly nextServer: number | undefined;
  readonly bootFileName: string | undefined;
  readonly serverHostname?: string | undefined;
  readonly nakMessage?: string;
  /** RFC 4039 §4: a DHCPACK answering a rapid-commit DISCOVER carries option 80. */
  readonly rapidCommit?: boolean;
  /** Kea's `echo-client-id` (default true). */
  readonly echoClientId?: boolean;
  /** RFC 4702 §4: the server's client FQDN option, answering the client's. */
  readonly fqdn?: ClientFqdn | undefined;
}

/**
 * What a list of option layers sends, resolved once per list: the bytes of each code from the first layer
 * that has it (none when that layer says never-send, or the engine owns the code), and the always-send
 * codes in layer order.
 */
interface Resolved {
  readonly data: readonly (Uint8Array | undefined)[];
  readonly alwaysSend: readonly number[];
}

/** Layer lists come from `optionLayers`, which hands out the same frozen list for the same layers. */
const resolvedByLayers = new WeakMap<readonly OptionSet[], Resolved>();

function resolve(layers: readonly OptionSet[]): Resolved {
  let r = resolvedByLayers.get(layers);
  if (r !== undefined) return r;
  const data = new Array<Uint8Array | undefined>(256).fill(undefined);
  const seen = new Set<number>();
  const alwaysSend: number[] = [];
  for (const l of layers) {
    for (const [code, o] of l) {
      if (!seen.has(code)) {
        seen.add(code);
        if (code >= 1 && code <= 254 && !o.neverSend && !ENGINE_OWNED.has(code)) data[code] = o.data;
      }
    }
  }
  for (const l of layers) for (const o of l.values()) if (o.alwaysSend) alwaysSend.push(o.code);
  r = { data, alwaysSend };
  resolvedByLayers.set(layers, r);
  return r;
}

/** The first layer's value of `code`, for codes outside 1..254 (which no table row holds, and setRaw refuses). */
function lookup(layers: readonly OptionSet[], code: number): Uint8Array | undefined {
  for (const l of layers) {
    const o = l.get(code);
    if (o) return o.neverSend ? undefined : o.data;
  }
  return undefined;
}

/**
 * Encoded values shared by every reply (stored option bytes are never mutated): message types, and the
 * server identifiers and 32-bit values (lease times, masks) seen lately.
 */
const TYPE_BYTES: readonly Uint8Array[] = Array.from({ length: 256 }, (_, i) => Uint8Array.of(i));
const EMPTY = new Uint8Array(0);
const CACHE_LIMIT = 1024;
const ipBytes = new Map<string, Uint8Array>();
const u32Bytes = new Map<number, Uint8Array>();

function cachedU32(n: number): Uint8Array {
  let b = u32Bytes.get(n);
  if (b === undefined) {
    if (u32Bytes.size >= CACHE_LIMIT) u32Bytes.clear();
    b = Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
    u32Bytes.set(n, b);
  }
  return b;
}

function isU32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

function setU32(
  o: DhcpOptions,
  code: number,
  name: 'dhcp-lease-time' | 'dhcp-renewal-time' | 'dhcp-rebinding-time',
  n: number,
): void {
  if (isU32(n)) o.putShared(code, cachedU32(n));
  else o.set(name, n); // throws the codec's error
}

function setServerId(o: DhcpOptions, serverId: string): void {
  let b = ipBytes.get(serverId);
  if (b === undefined) {
    const n = typeof serverId === 'string' ? parseIp(serverId) : -1;
    if (n < 0) {
      o.set('dhcp-server-identifier', serverId); // throws the codec's error
      return;
    }
    if (ipBytes.size >= CACHE_LIMIT) ipBytes.clear();
    b = Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
    ipBytes.set(serverId, b);
  }
  o.putShared(SERVER_ID, b);
}

/** The client's maximum DHCP message size (option 57), never below RFC 2132 §9.10's 576. */
export function maxMessageSize(req: DhcpMessage): number {
  return Math.max(DEFAULT_MAX_MESSAGE_SIZE, req.options.getBy(MAX_SIZE_OPT) ?? 0);
}

/** Builds a reply from the request first (xid, chaddr, flags, giaddr, option 61/82), then the plan. */
export function buildReply(req: DhcpMessage, plan: ReplyPlan): DhcpMessage {
  const nak = plan.type === MessageType.NAK;
  const relayed = req.giaddr !== ZERO;
  const msg = replyMessage(req, plan, nak, relayed);
  const o = msg.options;
  const type = plan.type;
  if (Number.isInteger(type) && type >= 1 && type <= 255)
    o.putShared(MESSAGE_TYPE, TYPE_BYTES[type] as Uint8Array);
  else o.set('dhcp-message-type', type); // throws the codec's error
  // §4.3.1 Table 3: the server identifier MUST be in every OFFER, ACK and NAK.
  setServerId(o, plan.serverId);
  if (nak) {
    if (plan.nakMessage) o.set('dhcp-message', plan.nakMessage);
  } else {
    const times = plan.times;
    if (times) {
      setU32(o, LEASE_TIME, 'dhcp-lease-time', times.valid);
      if (times.t1 !== undefined) setU32(o, RENEWAL_TIME, 'dhcp-renewal-time', times.t1);
      if (times.t2 !== undefined) setU32(o, REBINDING_TIME, 'dhcp-rebinding-time', times.t2);
    }
    if (plan.rapidCommit) o.putShared(RAPID_COMMIT, EMPTY);
    if (plan.fqdn) o.set('fqdn', plan.fqdn);
    addConfigured(o, req, plan);
  }
  // RFC 6842 §3: the server MUST echo the client identifier in every reply.
  const clientId = req.options.getRaw(61);
  if (clientId && plan.echoClientId !== false) o.setRaw(61, clientId);
  // RFC 3046 §2.2: option 82 goes back to the relay that added it, and only there (a client never sees it).
  if (relayed) {
    const agent = req.options.getRaw(82);
    if (agent) o.setRaw(82, agent);
  }
  return msg;
}

/** `createMessage` with the reply's header fields, without its defaults and checks where none can apply. */
function replyMessage(req: DhcpMessage, plan: ReplyPlan, nak: boolean, relayed: boolean): DhcpMessage {
  const src = req.chaddr;
  if (!(src instanceof Uint8Array) || src.length > 16) {
    // createMessage's error for a chaddr it cannot take.
    return createMessage({ chaddr: src.slice() });
  }
  const chaddr = new Uint8Array(16);
  chaddr.set(src);
  return {
    op: BOOTREPLY,
    htype: req.htype,
    hlen: req.hlen,
    hops: 0,
    xid: req.xid,
    secs: 0,
    // §4.3.2: a DHCPNAK through a relay has the broadcast bit set so the relay broadcasts it to the client.
    flags: nak && relayed ? req.flags | BROADCAST_FLAG : req.flags,
    ciaddr: plan.ciaddr,
    yiaddr: plan.yiaddr,
    siaddr: nak || plan.nextServer === undefined ? ZERO : intToIpv4(plan.nextServer),
    giaddr: req.giaddr,
    chaddr,
    sname: nak ? '' : (plan.serverHostname ?? ''),
    file: nak ? '' : (plan.bootFileName ?? ''),
    options: new DhcpOptions(),
  };
}

/** Sets `code` from the configured layers unless the reply already has it. */
function putConfigured(o: DhcpOptions, r: Resolved, layers: readonly OptionSet[], code: number): void {
  if (code >= 1 && code <= 254) {
    const data = r.data[code];
    if (data !== undefined && !o.hasCode(code)) o.putShared(code, data);
  } else if (!o.has(code) && !ENGINE_OWNED.has(code)) {
    const data = lookup(layers, code);
    if (data) o.setRaw(code, data);
  }
}

function addConfigured(o: DhcpOptions, req: DhcpMessage, plan: ReplyPlan): void {
  const layers = plan.layers;
  const r = resolve(layers);
  if (plan.subnet) {
    const mask = r.data[SUBNET_MASK];
    if (mask) o.putShared(SUBNET_MASK, mask);
    else if (isU32(plan.subnet.mask)) o.putShared(SUBNET_MASK, cachedU32(plan.subnet.mask));
    else o.set('subnet-mask', intToIpv4(plan.subnet.mask));
  }
  for (let i = 0; i < ALWAYS_IF_CONFIGURED.length; i++)
    putConfigured(o, r, layers, ALWAYS_IF_CONFIGURED[i] as number);
  // Option 55 read in place: an empty one (not a valid list) asks for nothing, as before.
  const ro = req.options;
  const prl = ro.positionOf(PARAMETER_REQUEST_LIST);
  let wantsHostname = false;
  if (prl >= 0) {
    const n = ro.lengthAt(prl);
    for (let k = 0; k < n; k++) {
      const code = ro.byteAt(prl, k);
      if (code === HOST_NAME) wantsHostname = true;
      putConfigured(o, r, layers, code);
    }
  }
  if (plan.hostname && (wantsHostname || req.options.hasCode(HOST_NAME)) && !o.hasCode(HOST_NAME))
    o.set('host-name', plan.hostname);
  const always = r.alwaysSend;
  for (let i = 0; i < always.length; i++) putConfigured(o, r, layers, always[i] as number);
}
