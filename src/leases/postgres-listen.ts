import { channel } from 'node:diagnostics_channel';
import type pg from 'pg';
import { pgDriver } from './pg-driver.ts';
import { NOTIFY_CHANNEL } from './postgres-schema.ts';
import { rowToLease } from './row.ts';
import type { Lease } from './lease.ts';
import type { LeaseChange } from './store.ts';

/** Published with `{ error }` when the LISTEN connection fails or a notification cannot be read. */
export const pgListenErrorChannel = channel('leasekeeper:leases:pg-listen-error');

/** Told when one listener's connection fails (each failed reconnection too) and when it is back. */
export interface ListenWatcher {
  failed(error: unknown): void;
  reconnected(): void;
}

interface RowChange {
  readonly op: 'INSERT' | 'UPDATE' | 'DELETE';
  readonly new: unknown;
  readonly old: unknown;
}

/** One row's change (`RowChange & { sender }`), or several from one commit batch (`{ sender, changes }`). */
type Announcement = { readonly sender: string } & (RowChange | { readonly changes: readonly RowChange[] });

/**
 * The changes another server made, from a lease4 notification; empty for our own. A change whose row cannot be
 * read is passed to `onBadRow` and skipped; the others are still returned. Throws only on a payload that is not
 * JSON.
 */
export function changesFromNotification(
  payload: string,
  ownSender: string,
  onBadRow: (error: unknown) => void = () => undefined,
): LeaseChange[] {
  const note = JSON.parse(payload) as Announcement;
  if (note.sender === ownSender) return [];
  const rows = 'changes' in note ? note.changes : [note];
  const changes: LeaseChange[] = [];
  for (const row of rows) {
    try {
      const change = rowChange(row);
      if (change !== null) changes.push(change);
    } catch (error) {
      onBadRow(error);
    }
  }
  return changes;
}

function rowChange(row: RowChange): LeaseChange | null {
  switch (row.op) {
    case 'INSERT':
      return { kind: 'added', lease: announced(row.new), previous: null, origin: 'remote' };
    case 'UPDATE':
      return { kind: 'updated', lease: announced(row.new), previous: announced(row.old), origin: 'remote' };
    case 'DELETE': {
      const lease = announced(row.old);
      return { kind: 'removed', lease, previous: lease, origin: 'remote' };
    }
    default:
      return null;
  }
}

/** An announced row; one whose oversized user context was left out of the payload gets a null one. */
function announced(row: unknown): Lease {
  if (typeof row === 'object' && row !== null && !('user_context' in row))
    return rowToLease({ ...row, user_context: null });
  return rowToLease(row);
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
  readonly #watchers = new Set<ListenWatcher>();
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

  /** Adds a watcher; returns its removal. */
  watch(watcher: ListenWatcher): () => void {
    this.#watchers.add(watcher);
    return () => this.#watchers.delete(watcher);
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
    const client = new (pgDriver().Client)(this.#config);
    client.on('notification', (message) => {
      if (message.channel !== NOTIFY_CHANNEL || message.payload === undefined) return;
      let changes: LeaseChange[];
      try {
        changes = changesFromNotification(message.payload, this.#ownSender, (error) =>
          pgListenErrorChannel.publish({ error }),
        );
      } catch (error) {
        pgListenErrorChannel.publish({ error });
        return;
      }
      for (const change of changes) this.#deliver(change);
    });
    client.on('error', (error) => {
      pgListenErrorChannel.publish({ error });
      this.#lost(client, error);
    });
    client.on('end', () => this.#lost(client, new Error('the LISTEN connection was closed')));
    await client.connect();
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    if (this.#stopped) {
      await client.end();
      return;
    }
    this.#client = client;
  }

  #lost(client: pg.Client, error: unknown): void {
    if (this.#stopped || this.#client !== client) return;
    this.#client = null;
    for (const w of this.#watchers) w.failed(error);
    client.end().catch(() => undefined);
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#stopped || this.#retry !== null) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#connect().then(
        () => {
          if (this.#stopped) return;
          for (const w of this.#watchers) w.reconnected();
          this.#onReconnect();
        },
        (error: unknown) => {
          if (!this.#stopped) this.#failed(error);
          this.#scheduleRetry();
        },
      );
    }, this.#retryMs);
    this.#retry.unref();
  }

  /** A reconnection failed (also published on `pgListenErrorChannel`). */
  #failed(error: unknown): void {
    pgListenErrorChannel.publish({ error });
    for (const w of this.#watchers) w.failed(error);
  }
}
