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

/** Keys remembered by {@link RepeatLimiter}; past this many the oldest are forgotten (keys are codes and reasons). */
const MAX_REPEAT_KEYS = 64;

/**
 * Lets one line per key through per interval and counts the rest, so that a server flooding bogus
 * packets or an error repeating at each renewal cannot flood the log.
 */
export class RepeatLimiter {
  readonly #intervalMs: number;
  readonly #seen = new Map<string, { at: number; suppressed: number }>();

  constructor(intervalMs = 10_000) {
    this.#intervalMs = intervalMs;
  }

  /** null: drop this line; otherwise how many lines of this key were dropped since the last one shown. */
  admit(key: string, now: number): number | null {
    const e = this.#seen.get(key);
    if (e !== undefined && now - e.at < this.#intervalMs) {
      e.suppressed++;
      return null;
    }
    this.#seen.delete(key);
    if (this.#seen.size >= MAX_REPEAT_KEYS) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    this.#seen.set(key, { at: now, suppressed: 0 });
    return e?.suppressed ?? 0;
  }
}

/** The key under which an event's log lines are limited, or null for events that are always logged. */
export function repeatKey(e: TimedEvent): string | null {
  if (e.type === 'error') return `error ${e.code}`;
  if (e.type === 'ignored') return `ignored ${e.reason}`;
  return null;
}
