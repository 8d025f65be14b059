import type { TimedEvent } from '../runtime/client/index.ts';

/** A server's text made safe for a log line: control characters and backslashes escaped, length bounded. */
function printable(s: string, max = 200): string {
  const cut = s.length > max ? `${s.slice(0, max)}...` : s;
  let out = '';
  for (const c of cut) {
    const code = c.charCodeAt(0);
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f) || c === '\\';
    out += control ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}

/** One udhcpc-like log line per event worth telling an operator; null for the rest. */
export function logLine(e: TimedEvent): string | null {
  switch (e.type) {
    case 'sent':
      return `sending ${e.message.replace(/^DHCP/, '').toLowerCase()} to ${e.to}`;
    case 'offer':
      return e.selected
        ? `offer of ${e.address} from ${e.serverId}`
        : `offer of ${e.address} from ${e.serverId} (waiting for the requested address)`;
    case 'lease-acquired':
      return `lease of ${e.lease.address} obtained from ${e.lease.serverId}, lease time ${e.lease.leaseTime ?? 'infinite'}`;
    case 'lease-renewed':
      return `lease of ${e.lease.address} renewed from ${e.lease.serverId}, lease time ${e.lease.leaseTime ?? 'infinite'}`;
    case 'lease-expired':
      return `lease of ${e.lease.address} expired`;
    case 'lease-lost':
      return `lease of ${e.lease.address} lost (${e.reason})`;
    case 'nak':
      return `received DHCP NAK${e.text === null ? '' : `: ${printable(e.text)}`}${e.serverId === null ? '' : ` from ${e.serverId}`}`;
    case 'decline':
      return `${e.address} is in use: declined to ${e.serverId}`;
    case 'leasefail':
      return 'no lease, trying again later';
    case 'link':
      return `link ${e.present ? (e.up && e.carrier ? 'up' : e.up ? 'without carrier' : 'down') : 'gone'}`;
    case 'error':
      return `error ${e.code}: ${printable(e.message, 500)}`;
    case 'state':
      return `state ${e.from} -> ${e.to}`;
    case 'lease-adjusted':
      return `lease of ${e.address} from ${e.serverId ?? 'unknown server'}: ${e.notes.join(', ')}`;
    case 'ignored':
      return `ignored a packet (${e.reason}): ${printable(e.detail)}`;
    default:
      return null;
  }
}
