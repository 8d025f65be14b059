import type { DdnsQueueStorage, StoredEntry } from './queue-storage.ts';

/** Deletions remembered while the database is unreachable; past this a finished change may be replayed once. */
const MAX_PENDING_DELETES = 70_000;
const RETRY_MS = 1000;

/**
 * Mirrors the in-memory queue into its storage without ever making a caller wait: additions and deletions of one
 * event-loop turn go in one transaction, one transaction at a time; a change that is queued and finished before
 * its turn is never written. A failed write is kept and retried (the caller logs it).
 */
export class QueueWriter {
  readonly #storage: DdnsQueueStorage;
  readonly #onError: (error: Error) => void;
  readonly #toAdd = new Map<string, StoredEntry>();
  readonly #toDelete = new Set<string>();
  #scheduled: NodeJS.Immediate | NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;

  constructor(storage: DdnsQueueStorage, onError: (error: Error) => void) {
    this.#storage = storage;
    this.#onError = onError;
  }

  added(entry: StoredEntry): void {
    this.#toAdd.set(entry.key, entry);
    this.#schedule();
  }

  done(key: string): void {
    if (!this.#toAdd.delete(key)) {
      this.#toDelete.add(key);
      if (this.#toDelete.size > MAX_PENDING_DELETES)
        this.#toDelete.delete(this.#toDelete.values().next().value!);
    }
    this.#schedule();
  }

  /** Waits for the write in flight and writes what is left once (at stop). */
  async flush(): Promise<void> {
    this.#cancel();
    while (this.#writing !== undefined) await this.#writing;
    this.#cancel();
    if (this.#toAdd.size > 0 || this.#toDelete.size > 0) await this.#write();
    this.#cancel();
  }

  #cancel(): void {
    clearImmediate(this.#scheduled as NodeJS.Immediate);
    clearTimeout(this.#scheduled as NodeJS.Timeout);
    this.#scheduled = undefined;
  }

  #schedule(delayMs = 0): void {
    if (this.#scheduled !== undefined || this.#writing !== undefined) return;
    const run = (): void => {
      this.#scheduled = undefined;
      void this.#write();
    };
    if (delayMs === 0) {
      this.#scheduled = setImmediate(run);
    } else {
      this.#scheduled = setTimeout(run, delayMs);
      this.#scheduled.unref();
    }
  }

  #write(): Promise<void> {
    const added = [...this.#toAdd.values()];
    const done = [...this.#toDelete];
    this.#toAdd.clear();
    this.#toDelete.clear();
    const writing = this.#storage.write(added, done).then(
      () => {
        this.#writing = undefined;
        if (this.#toAdd.size > 0 || this.#toDelete.size > 0) this.#schedule();
      },
      (error: unknown) => {
        this.#writing = undefined;
        // One transaction: nothing of it was written. A change finished meanwhile needs neither row.
        for (const e of added) if (!this.#toDelete.delete(e.key)) this.#toAdd.set(e.key, e);
        for (const k of done) this.#toDelete.add(k);
        this.#onError(error instanceof Error ? error : new Error(String(error)));
        this.#schedule(RETRY_MS);
      },
    );
    this.#writing = writing;
    return writing;
  }
}
