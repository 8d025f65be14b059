import { controlCommand } from './command.ts';

/** `status-get`'s `lease-store` (src/control/commands/server.ts). */
interface LeaseStoreStatus {
  readonly state: 'ok' | 'failing';
  readonly 'failing-since'?: string;
  readonly 'failed-writes'?: number;
  readonly 'last-error'?: string;
  readonly 'last-outage'?: { readonly from: string; readonly to: string; readonly 'failed-writes': number };
  /** PostgreSQL's LISTEN connection (other servers' changes); absent until it first failed. */
  readonly listen?: ListenStatus;
  /** Conditions that failed no write (the SQLite checkpoint thread stalled); absent until the first. */
  readonly warnings?: { readonly count: number; readonly last: string; readonly 'last-at': string };
}

interface ListenStatus {
  readonly state: 'ok' | 'reconnecting';
  readonly failures: number;
  readonly 'last-error': string;
  readonly 'last-error-at': string;
}

/**
 * The lease store's health from `status-get` every `periodMs`: a warning while writes fail (full disk,
 * database down: no lease is granted meanwhile), and when the last outage ended; with PostgreSQL, whether this
 * server hears the other servers' lease changes. Text only (`textContent`).
 */
export class StoreHealthView {
  private readonly host: HTMLElement;
  constructor(host: HTMLElement, periodMs = 5000) {
    this.host = host;
    void this.#poll();
    setInterval(() => void this.#poll(), periodMs);
  }

  async #poll(): Promise<void> {
    let health: LeaseStoreStatus | undefined;
    try {
      health = (await controlCommand<{ 'lease-store'?: LeaseStoreStatus }>('status-get'))['lease-store'];
    } catch {
      return; // The statistics line already says when the control channel is unreachable.
    }
    const state = health?.state ?? 'ok';
    this.host.dataset['state'] =
      state === 'ok' && health?.listen?.state === 'reconnecting' ? 'listen' : state;
    this.host.textContent = [
      describe(health),
      describeListen(health?.listen),
      describeWarnings(health?.warnings),
    ]
      .filter((t) => t !== '')
      .join(' ');
  }
}

const time = (iso: string): string => new Date(iso).toLocaleString();

function describe(h: LeaseStoreStatus | undefined): string {
  if (h?.state === 'failing') {
    return (
      `Lease store failing since ${time(h['failing-since'] ?? '')} (${h['failed-writes'] ?? 0} writes failed): ` +
      `${h['last-error'] ?? 'unknown error'}. No lease is granted or renewed until it recovers.`
    );
  }
  const last = h?.['last-outage'];
  if (last === undefined) return '';
  return `Lease store recovered at ${time(last.to)}; it failed from ${time(last.from)} (${last['failed-writes']} writes failed).`;
}

function describeListen(l: ListenStatus | undefined): string {
  if (l === undefined) return '';
  const last = `${l.failures} failure(s), last at ${time(l['last-error-at'])}: ${l['last-error']}`;
  if (l.state === 'reconnecting')
    return `Lease change notifications lost (${last}); other servers' lease changes are not seen until they reconnect.`;
  return `Lease change notifications back (${last}); the changes missed meanwhile were re-read.`;
}

function describeWarnings(w: LeaseStoreStatus['warnings']): string {
  if (w === undefined) return '';
  return `Lease store warnings: ${w.count} since start, the last at ${time(w['last-at'])}: ${w.last}`;
}
