import { messageTypeName } from '../protocol/index.ts';
import type { ClientIdentity } from './identity.ts';
import { escapeLogText } from './log-text.ts';
import type { ExchangeEvent } from './types.ts';

export interface ExchangeFacts {
  readonly requestType: number;
  readonly requested: string | null;
  readonly id: ClientIdentity;
  readonly hostname: string | null;
  readonly interface: string;
  readonly giaddr: string;
  readonly subnetId: number | null;
  readonly replyType: number | null;
  readonly address: string | null;
  readonly leaseTime: number | null;
  readonly reason: string | null;
  readonly destination: string | null;
  /** The request's classes (their order and log text); null when the configuration has none. */
  readonly classes?: { readonly ordered: readonly string[]; readonly text: string } | null;
}

/**
 * `DHCPREQUEST for 198.18.0.10 from aa:bb:.. (host) via eth0 -> DHCPACK 198.18.0.10 lease 3600s`. With
 * `describe` false (nobody reads the line: no listener, a log level that does not write it) the event has
 * every field but `text`, which stays '': building it is most of what an event costs.
 */
export function exchangeEvent(f: ExchangeFacts, describe = true): ExchangeEvent {
  // A BOOTREQUEST (no option 53) answered by the bootp hook gets a BOOTREPLY (RFC 951).
  const bootp = f.requestType === 0;
  const request = bootp ? 'BOOTREQUEST' : messageTypeName(f.requestType);
  const reply = f.replyType === null ? null : bootp ? 'BOOTREPLY' : messageTypeName(f.replyType);
  const classes = f.classes ?? null;
  return {
    type: 'exchange',
    text: describe ? exchangeText(f, request, reply) : '',
    request,
    reply,
    address: f.address,
    hwAddress: f.id.hwAddress,
    clientId: f.id.clientId,
    hostname: f.hostname,
    interface: f.interface,
    subnetId: f.subnetId,
    reason: f.reason,
    destination: f.destination,
    classes: classes === null ? null : classes.ordered,
  };
}

function exchangeText(f: ExchangeFacts, request: string, reply: string | null): string {
  let text = request;
  if (f.requested) text += ` for ${f.requested}`;
  text += ` from ${f.id.hwAddress}`;
  if (f.id.clientId) text += ` [id ${f.id.clientId}]`;
  // The host name (options 12 and 81) is the client's own text: escaped, never raw (log injection).
  if (f.hostname) text += ` (${escapeLogText(f.hostname)})`;
  text += ` via ${f.interface}`;
  if (f.giaddr !== '0.0.0.0') text += ` relay ${f.giaddr}`;
  if (f.classes) text += ` classes [${f.classes.text}]`;
  if (reply === null) text += ` -> no reply${f.reason ? `: ${f.reason}` : ''}`;
  else {
    text += ` -> ${reply}`;
    if (f.address) text += ` ${f.address}`;
    if (f.leaseTime !== null) text += ` lease ${f.leaseTime}s`;
    if (f.reason) text += ` (${f.reason})`;
  }
  return text;
}
