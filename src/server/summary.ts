import { messageTypeName } from '../protocol/index.ts';
import type { ClientIdentity } from './identity.ts';
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
  /** The request's classes in precedence order; null when the configuration has none. */
  readonly classes?: readonly string[] | null;
}

/** `DHCPREQUEST for 198.18.0.10 from aa:bb:.. (host) via eth0 -> DHCPACK 198.18.0.10 lease 3600s`. */
export function exchangeEvent(f: ExchangeFacts): ExchangeEvent {
  const request = messageTypeName(f.requestType);
  let text = request;
  if (f.requested) text += ` for ${f.requested}`;
  text += ` from ${f.id.hwAddress}`;
  if (f.id.clientId) text += ` [id ${f.id.clientId}]`;
  if (f.hostname) text += ` (${f.hostname})`;
  text += ` via ${f.interface}`;
  if (f.giaddr !== '0.0.0.0') text += ` relay ${f.giaddr}`;
  const classes = f.classes ?? null;
  if (classes !== null) text += ` classes [${classList(classes)}]`;
  const reply = f.replyType === null ? null : messageTypeName(f.replyType);
  if (reply === null) text += ` -> no reply${f.reason ? `: ${f.reason}` : ''}`;
  else {
    text += ` -> ${reply}`;
    if (f.address) text += ` ${f.address}`;
    if (f.leaseTime !== null) text += ` lease ${f.leaseTime}s`;
    if (f.reason) text += ` (${f.reason})`;
  }
  return {
    type: 'exchange',
    text,
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
    classes,
  };
}

function classList(classes: readonly string[]): string {
  let out = '';
  for (const c of classes) {
    if (c === 'ALL') continue;
    out += out === '' ? printableClass(c) : `, ${printableClass(c)}`;
  }
  return out;
}

const printable = new Map<string, string>();

/**
 * A class name as a log shows it: VENDOR_CLASS_ carries the client's option 60, escaped and cut short.
 * Names repeat from packet to packet, so each is escaped once (a bounded cache: clients choose them).
 */
function printableClass(name: string): string {
  let p = printable.get(name);
  if (p === undefined) {
    const cut = name.length > 64 ? `${name.slice(0, 64)}...` : name;
    p = cut.replace(/[^\x21-\x7e]|\\/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    if (printable.size >= 1024) printable.clear();
    printable.set(name, p);
  }
  return p;
}
