import { channel } from 'node:diagnostics_channel';
import type pg from 'pg';
import { pgDriver } from './pg-driver.ts';
import { resyncChangedSince, SNAPSHOT, type LocalWrites } from './postgres-resync.ts';
import { NOTIFY_CHANNEL } from './postgres-schema.ts';
import { rowToLease } from './row.ts';
import type { Lease } from './lease.ts';
import type { LeaseChange } from './store.ts';

/** Published with `{ error }` when the LISTEN connection fails or a notification cannot be read. */
export const pgListenErrorChannel = channel('leasekeeper:leases:pg-listen-error');

/** Told when one listener's connection fails (each failed reconnection too) and when it is back. */
export interface ListenWatcher {
  failed(error: unknown): void;
  /** Back, and what it re-read of the changes made while it was down. */
  reconnected(resync: ListenResync): void;
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

interface PendingCheckpoint {
  readonly mark: number;
  /** The statement's snapshot, once it answered. */
  snapshot: string | null;
  /** The marker came back before the snapshot did. */
  arrived: boolean;
  readonly moved: Promise<boolean>;
  readonly settle: (moved: boolean) => void;
}

/** What a reconnection re-read: the rows other servers changed while the connection was down. */
export interface ListenResync {
  readonly rows: number;
  readonly ms: number;
}

/**
 * A dedicated connection LISTENing on the lease channel, so this server's allocator learns what the others
 * leased. Reconnects (every `retryMs`) after losing the connection until stopped. Notifications sent while it was
 * disconnected are lost, so each reconnection first re-reads, on the new connection, every lease changed by a
 * transaction the last checkpoint snapshot did not see (`resyncChangedSince`), and delivers those as if
 * announced; it counts as back only then. The checkpoint is a snapshot taken on the listening connection right
 * after LISTEN, moved forward every `checkpointMs` while connected (see `checkpoint`), so a re-read covers the
 * outage, not the connection's whole life.
 */
export class PgListener {
  readonly #config: pg.ClientConfig;
  readonly #ownSender: string;
  readonly #deliver: (change: LeaseChange) => void;
  readonly #onReconnect: () => void;
  readonly #retryMs: number;
  readonly #checkpointMs: number;
  readonly #localWrites: LocalWrites | undefined;
  readonly #watchers = new Set<ListenWatcher>();
  #client: pg.Client | null = null;
  #stopped = false;
  #retry: NodeJS.Timeout | null = null;
  #checkpointTimer: NodeJS.Timeout | null = null;
  /** Every change committed by a transaction this snapshot does not see was delivered or will be re-read. */
  #since: string | null = null;
  /** A newer snapshot, adopted as `#since` once its marker notification comes back. */
  #pending: PendingCheckpoint | null = null;
  #marks = 0;

  constructor(options: {
    config: pg.ClientConfig;
    ownSender: string;
    deliver: (change: LeaseChange) => void;
    onReconnect?: () => void;
    retryMs?: number;
    checkpointMs?: number;
    /** The store's own writes, so a re-read cannot undo one made while it runs. */
    localWrites?: LocalWrites;
  }) {
    this.#config = options.config;
    this.#ownSender = options.ownSender;
    this.#deliver = options.deliver;
    this.#onReconnect = options.onReconnect ?? (() => undefined);
    this.#retryMs = options.retryMs ?? 1000;
    this.#checkpointMs = options.checkpointMs ?? 30_000;
    this.#localWrites = options.localWrites;
  }

  /** Adds a watcher; returns its removal. */
  watch(watcher: ListenWatcher): () => void {
    this.#watchers.add(watcher);
    return () => this.#watchers.delete(watcher);
  }

  /** Connects and LISTENs; rejects if the first connection fails. */
  async start(): Promise<void> {
    await this.#connect();
    this.#checkpointTimer = setInterval(() => void this.checkpoint(), this.#checkpointMs);
    this.#checkpointTimer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    if (this.#checkpointTimer !== null) clearInterval(this.#checkpointTimer);
    this.#drop(this.#pending);
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => undefined);
  }

  /** Connects, LISTENs and, after an outage, re-reads what it missed; resolves to that re-read. */
  async #connect(): Promise<ListenResync | null> {
    const client = new (pgDriver().Client)(this.#config);
    let broken: unknown = null;
    client.on('notification', (message) => {
      if (message.channel === this.#ownSender) return this.#marked(message.payload);
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
      if (this.#client === client) this.#lost(client, error);
      else broken ??= error;
    });
    client.on('end', () => {
      const error = new Error('the LISTEN connection was closed');
      if (this.#client === client) this.#lost(client, error);
      else broken ??= error;
    });
    try {
      await client.connect();
      const snapshot = await this.#listenAndSnapshot(client, '');
      let resync: ListenResync | null = null;
      if (this.#since !== null && !this.#stopped) {
        const began = Date.now();
        const rows = await resyncChangedSince({
          client,
          since: this.#since,
          deliver: this.#deliver,
          onBadRow: (error) => pgListenErrorChannel.publish({ error }),
          cancelled: () => this.#stopped,
          ...(this.#localWrites === undefined ? {} : { localWrites: this.#localWrites }),
        });
        resync = { rows, ms: Date.now() - began };
      }
      if (broken !== null) throw broken;
      if (this.#stopped) {
        await client.end();
        return null;
      }
      this.#since = snapshot;
      this.#client = client;
      return resync;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  /**
   * LISTENs (again: a no-op on a listening connection, and it keeps the statement recognisable as the LISTEN
   * connection's) and takes a snapshot after it; `extra` adds columns to that SELECT.
   */
  async #listenAndSnapshot(client: pg.Client, extra: string): Promise<string> {
    const results = (await client.query(
      `LISTEN ${NOTIFY_CHANNEL}; LISTEN ${quoteIdent(this.#ownSender)}; ${SNAPSHOT}${extra}`,
    )) as unknown as pg.QueryResult<{ snapshot: string }>[];
    const snapshot = results[results.length - 1]?.rows[0]?.snapshot;
    if (typeof snapshot !== 'string') throw new Error('PostgreSQL returned no snapshot');
    return snapshot;
  }

  /**
   * Moves the checkpoint forward: takes a snapshot and, in the same statement, notifies our own channel. A
   * transaction that snapshot sees queued its notifications before ours, and PostgreSQL delivers them in queue
   * order, so once our marker arrives every change the snapshot sees has been delivered. Resolves to whether
   * the checkpoint moved (not when the connection is down or is lost meanwhile).
   */
  checkpoint(): Promise<boolean> {
    const client = this.#client;
    if (client === null) return Promise.resolve(false);
    if (this.#pending !== null) return this.#pending.moved;
    let settle!: (moved: boolean) => void;
    const moved = new Promise<boolean>((resolve) => (settle = resolve));
    const pending: PendingCheckpoint = { mark: ++this.#marks, snapshot: null, arrived: false, moved, settle };
    this.#pending = pending;
    this.#listenAndSnapshot(client, `, pg_notify(${quoteLiteral(this.#ownSender)}, '${pending.mark}')`).then(
      (snapshot) => {
        pending.snapshot = snapshot;
        // The marker may come in before the statement's own answer.
        if (pending.arrived) this.#adopt(pending);
      },
      // A lost connection is reported by its events; the next reconnection re-reads from the old checkpoint.
      () => this.#drop(pending),
    );
    return moved;
  }

  #marked(payload: string | undefined): void {
    const pending = this.#pending;
    if (pending === null || payload !== String(pending.mark)) return;
    if (pending.snapshot === null) pending.arrived = true;
    else this.#adopt(pending);
  }

  #adopt(pending: PendingCheckpoint): void {
    if (this.#pending !== pending || pending.snapshot === null) return;
    this.#since = pending.snapshot;
    this.#pending = null;
    pending.settle(true);
  }

  #drop(pending: PendingCheckpoint | null): void {
    if (pending === null || this.#pending !== pending) return;
    this.#pending = null;
    pending.settle(false);
  }

  #lost(client: pg.Client, error: unknown): void {
    if (this.#stopped || this.#client !== client) return;
    this.#client = null;
    this.#drop(this.#pending);
    for (const w of this.#watchers) w.failed(error);
    client.end().catch(() => undefined);
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#stopped || this.#retry !== null) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#connect().then(
        (resync) => {
          if (this.#stopped) return;
          const reread = resync ?? { rows: 0, ms: 0 };
          for (const w of this.#watchers) w.reconnected(reread);
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

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
