import { channel } from 'node:diagnostics_channel';
import pg from 'pg';
import { NOTIFY_CHANNEL } from './postgres-schema.ts';
import { rowToLease } from './row.ts';
import type { LeaseChange } from './store.ts';

/** Published with `{ error }` when the LISTEN connection fails or a notification cannot be read. */
export const pgListenErrorChannel = channel('leasekeeper:leases:pg-listen-error');

interface Announcement {
  readonly op: 'INSERT' | 'UPDATE' | 'DELETE';
  readonly sender: string;
  readonly new: unknown;
  readonly old: unknown;
}

/** The change another server made, from a lease4 trigger notification; null for our own or unreadable ones. */
export function changeFromNotification(payload: string, ownSender: string): LeaseChange | null {
  const note = JSON.parse(payload) as Announcement;
  if (note.sender === ownSender) return null;
  switch (note.op) {
    case 'INSERT':
      return { kind: 'added', lease: rowToLease(note.new), previous: null, origin: 'remote' };
    case 'UPDATE':
      return {
        kind: 'updated',
        lease: rowToLease(note.new),
        previous: rowToLease(note.old),
        origin: 'remote',
      };
    case 'DELETE': {
      const lease = rowToLease(note.old);
      return { kind: 'removed', lease, previous: lease, origin: 'remote' };
    }
    default:
      return null;
  }
}

/**
 * A dedicated connection LISTENing on the lease channel, so this server's allocator learns what the others
 * leased. Reconnects (every `retryMs`) after losing the connection until stopped. Notifications sent while it was
 * disconnected are lost: the runtime should reload (`getAll`) after `onReconnect`.
 */
export class PgListener {
  readonly #config: pg.ClientConfig;
  readonly #ownSender: string;
  readonly #deliver: (change: LeaseChange) => void;
  readonly #onReconnect: () => void;
  readonly #retryMs: number;
  #client: pg.Client | null = null;
  #stopped = false;
  #retry: NodeJS.Timeout | null = null;

  constructor(options: {
    config: pg.ClientConfig;
    ownSender: string;
    deliver: (change: LeaseChange) => void;
    onReconnect?: () => void;
    retryMs?: number;
  }) {
    this.#config = options.config;
    this.#ownSender = options.ownSender;
    this.#deliver = options.deliver;
    this.#onReconnect = options.onReconnect ?? (() => undefined);
    this.#retryMs = options.retryMs ?? 1000;
  }

  /** Connects and LISTENs; rejects if the first connection fails. */
  async start(): Promise<void> {
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const client = new pg.Client(this.#config);
    client.on('notification', (message) => {
      if (message.channel !== NOTIFY_CHANNEL || message.payload === undefined) return;
      let change: LeaseChange | null;
      try {
        change = changeFromNotification(message.payload, this.#ownSender);
      } catch (error) {
        pgListenErrorChannel.publish({ error });
        return;
      }
      if (change !== null) this.#deliver(change);
    });
    client.on('error', (error) => {
      pgListenErrorChannel.publish({ error });
      this.#lost(client);
    });
    client.on('end', () => this.#lost(client));
    await client.connect();
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    if (this.#stopped) {
      await client.end();
      return;
    }
    this.#client = client;
  }

  #lost(client: pg.Client): void {
    if (this.#stopped || this.#client !== client) return;
    this.#client = null;
    client.end().catch(() => undefined);
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#stopped || this.#retry !== null) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#connect().then(this.#onReconnect, (error: unknown) => {
        pgListenErrorChannel.publish({ error });
        this.#scheduleRetry();
      });
    }, this.#retryMs);
    this.#retry.unref();
  }
}
