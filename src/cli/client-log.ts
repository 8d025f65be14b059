import type { TimedEvent } from '../runtime/client/index.ts';

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
      return `received DHCP NAK${e.text === null ? '' : `: ${e.text}`}${e.serverId === null ? '' : ` from ${e.serverId}`}`;
    case 'decline':
      return `${e.address} is in use: declined to ${e.serverId}`;
    case 'leasefail':
      return 'no lease, trying again later';
    case 'link':
      return `link ${e.present ? (e.up && e.carrier ? 'up' : e.up ? 'without carrier' : 'down') : 'gone'}`;
    case 'error':
      return `error ${e.code}: ${e.message}`;
    case 'state':
      return `state ${e.from} -> ${e.to}`;
    case 'ignored':
      return `ignored a packet (${e.reason}): ${e.detail}`;
    default:
      return null;
  }
}
