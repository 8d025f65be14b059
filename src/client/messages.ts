import { BOOTREQUEST, BROADCAST_FLAG, MessageType, createMessage } from '../protocol/index.ts';
import type { DhcpMessage } from '../protocol/index.ts';
import type { ResolvedClientConfig } from './config.ts';

/** Builders of the messages a client sends, one per row of RFC 2131 §4.4.1 Table 5. Pure. */

interface Common {
  readonly xid: number;
  /** Seconds since the client began acquisition or renewal (RFC 2131 §2 `secs`). */
  readonly secs: number;
}

function base(cfg: ResolvedClientConfig, type: number, c: Common, ciaddr = '0.0.0.0'): DhcpMessage {
  const chaddr = new Uint8Array(16);
  chaddr.set(cfg.hwAddress.subarray(0, 16));
  const msg = createMessage({
    op: BOOTREQUEST,
    htype: cfg.htype,
    hlen: cfg.hwAddress.length,
    xid: c.xid >>> 0,
    secs: Math.min(0xffff, Math.max(0, Math.floor(c.secs))),
    // The BROADCAST flag is only for a client that cannot yet receive unicast (RFC 2131 §4.1).
    flags: cfg.broadcastFlag && ciaddr === '0.0.0.0' ? BROADCAST_FLAG : 0,
    ciaddr,
    chaddr,
  });
  msg.options.set('dhcp-message-type', type);
  // RFC 2131 §4.3.2: a client that uses a client identifier MUST use it in all subsequent messages.
  if (cfg.clientId !== null) msg.options.set('dhcp-client-identifier', cfg.clientId);
  return msg;
}

/** Parameter request list, max message size, host name, vendor class, then the -x extras. */
function addClientOptions(cfg: ResolvedClientConfig, msg: DhcpMessage): void {
  if (cfg.parameterRequestList.length > 0) {
    msg.options.set('dhcp-parameter-request-list', [...cfg.parameterRequestList]);
  }
  msg.options.set('dhcp-max-message-size', cfg.maxMessageSize);
  if (cfg.hostname !== null) msg.options.set('host-name', cfg.hostname);
  if (cfg.vendorClass !== null) msg.options.setRaw(60, new TextEncoder().encode(cfg.vendorClass));
  for (const o of cfg.extraOptions) msg.options.setRaw(o.code, o.data);
}

export function buildDiscover(
  cfg: ResolvedClientConfig,
  c: Common & { requestedAddress: string | null },
): DhcpMessage {
  const msg = base(cfg, MessageType.DISCOVER, c);
  if (c.requestedAddress !== null) msg.options.set('dhcp-requested-address', c.requestedAddress);
  addClientOptions(cfg, msg);
  return msg;
}

/**
 * DHCPREQUEST in each of its four uses (RFC 2131 §4.3.2):
 * - selecting: option 50 and 54 from the chosen OFFER, ciaddr 0;
 * - rebooting (INIT-REBOOT): option 50 = the remembered address, no 54, ciaddr 0;
 * - renewing / rebinding: ciaddr = our address, neither 50 nor 54.
 */
export type RequestKind =
  | { readonly kind: 'selecting'; readonly address: string; readonly serverId: string }
  | { readonly kind: 'rebooting'; readonly address: string }
  | { readonly kind: 'renewing' | 'rebinding'; readonly address: string };

export function buildRequest(cfg: ResolvedClientConfig, c: Common & { request: RequestKind }): DhcpMessage {
  const r = c.request;
  const renewing = r.kind === 'renewing' || r.kind === 'rebinding';
  const msg = base(cfg, MessageType.REQUEST, c, renewing ? r.address : '0.0.0.0');
  if (r.kind === 'selecting' || r.kind === 'rebooting') {
    // RFC 2131 §4.3.2: 'requested IP address' MUST be filled in SELECTING and INIT-REBOOT.
    msg.options.set('dhcp-requested-address', r.address);
  }
  if (r.kind === 'selecting') {
    // RFC 2131 §4.3.2: in SELECTING the client MUST include the chosen server's identifier.
    msg.options.set('dhcp-server-identifier', r.serverId);
  }
  addClientOptions(cfg, msg);
  return msg;
}

/** RFC 2131 §4.4.1 Table 5: DHCPDECLINE carries 50 and 54, ciaddr 0, and no parameter request list. */
export function buildDecline(
  cfg: ResolvedClientConfig,
  c: { xid: number; address: string; serverId: string; message?: string },
): DhcpMessage {
  const msg = base(cfg, MessageType.DECLINE, { xid: c.xid, secs: 0 });
  msg.options.set('dhcp-requested-address', c.address);
  msg.options.set('dhcp-server-identifier', c.serverId);
  if (c.message !== undefined) msg.options.setRaw(56, new TextEncoder().encode(c.message));
  return msg;
}

/** RFC 2131 §4.4.6 and Table 5: DHCPRELEASE has ciaddr set, option 54, and no 50 or 55. */
export function buildRelease(
  cfg: ResolvedClientConfig,
  c: { xid: number; address: string; serverId: string },
): DhcpMessage {
  const msg = base(cfg, MessageType.RELEASE, { xid: c.xid, secs: 0 }, c.address);
  msg.options.set('dhcp-server-identifier', c.serverId);
  return msg;
}

/** RFC 2131 §4.4.3: DHCPINFORM has ciaddr set and no 50 or 54. */
export function buildInform(cfg: ResolvedClientConfig, c: Common & { address: string }): DhcpMessage {
  const msg = base(cfg, MessageType.INFORM, c, c.address);
  addClientOptions(cfg, msg);
  return msg;
}
