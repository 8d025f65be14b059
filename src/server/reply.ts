import type { CompiledSubnet, OptionSet } from '../config/types.ts';
import { intToIpv4 } from '../config/ipv4.ts';
import {
  BOOTREPLY,
  BROADCAST_FLAG,
  DEFAULT_MAX_MESSAGE_SIZE,
  MessageType,
  createMessage,
  type DhcpMessage,
} from '../protocol/index.ts';
import type { LeaseTimes } from './lifetimes.ts';

const ZERO = '0.0.0.0';
const SUBNET_MASK = 1;
const HOST_NAME = 12;
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
}

function lookup(layers: readonly OptionSet[], code: number): Uint8Array | undefined {
  for (const l of layers) {
    const o = l.get(code);
    if (o) return o.neverSend ? undefined : o.data;
  }
  return undefined;
}

/** The client's maximum DHCP message size (option 57), never below RFC 2132 §9.10's 576. */
export function maxMessageSize(req: DhcpMessage): number {
  return Math.max(DEFAULT_MAX_MESSAGE_SIZE, req.options.get('dhcp-max-message-size') ?? 0);
}

/** Builds a reply from the request first (xid, chaddr, flags, giaddr, option 61/82), then the plan. */
export function buildReply(req: DhcpMessage, plan: ReplyPlan): DhcpMessage {
  const nak = plan.type === MessageType.NAK;
  const relayed = req.giaddr !== ZERO;
  const msg = createMessage({
    op: BOOTREPLY,
    htype: req.htype,
    hlen: req.hlen,
    xid: req.xid,
    // §4.3.2: a DHCPNAK through a relay has the broadcast bit set so the relay broadcasts it to the client.
    flags: nak && relayed ? req.flags | BROADCAST_FLAG : req.flags,
    ciaddr: plan.ciaddr,
    yiaddr: plan.yiaddr,
    siaddr: nak || plan.nextServer === undefined ? ZERO : intToIpv4(plan.nextServer),
    giaddr: req.giaddr,
    chaddr: req.chaddr.slice(),
    file: nak ? '' : (plan.bootFileName ?? ''),
    sname: nak ? '' : (plan.serverHostname ?? ''),
  });
  const o = msg.options;
  o.set('dhcp-message-type', plan.type);
  // §4.3.1 Table 3: the server identifier MUST be in every OFFER, ACK and NAK.
  o.set('dhcp-server-identifier', plan.serverId);
  if (nak) {
    if (plan.nakMessage) o.set('dhcp-message', plan.nakMessage);
  } else {
    if (plan.times) {
      o.set('dhcp-lease-time', plan.times.valid);
      if (plan.times.t1 !== undefined) o.set('dhcp-renewal-time', plan.times.t1);
      if (plan.times.t2 !== undefined) o.set('dhcp-rebinding-time', plan.times.t2);
    }
    if (plan.rapidCommit) o.set('rapid-commit', true);
    addConfigured(o, req, plan);
  }
  // RFC 6842 §3: the server MUST echo the client identifier in every reply.
  const clientId = req.options.getRaw(61);
  if (clientId && plan.echoClientId !== false) o.setRaw(61, clientId);
  // RFC 3046 §2.2: option 82 goes back to the relay that added it, and only there (a client never sees it).
  const agent = req.options.getRaw(82);
  if (agent && relayed) o.setRaw(82, agent);
  return msg;
}

function addConfigured(o: DhcpMessage['options'], req: DhcpMessage, plan: ReplyPlan): void {
  const put = (code: number): void => {
    if (o.has(code) || ENGINE_OWNED.has(code)) return;
    const data = lookup(plan.layers, code);
    if (data) o.setRaw(code, data);
  };
  if (plan.subnet) {
    const mask = lookup(plan.layers, SUBNET_MASK);
    if (mask) o.setRaw(SUBNET_MASK, mask);
    else o.set('subnet-mask', intToIpv4(plan.subnet.mask));
  }
  for (const code of ALWAYS_IF_CONFIGURED) put(code);
  const prl = req.options.get('dhcp-parameter-request-list') ?? [];
  for (const code of prl) put(code);
  if (plan.hostname && (prl.includes(HOST_NAME) || req.options.has(HOST_NAME)) && !o.has(HOST_NAME))
    o.set('host-name', plan.hostname);
  for (const layer of plan.layers) for (const opt of layer.values()) if (opt.alwaysSend) put(opt.code);
}
