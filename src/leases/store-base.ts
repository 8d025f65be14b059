import * as args from './arguments.ts';
import type { CheckedCommit } from './arguments.ts';
import type { ChangeHub } from './changes.ts';
import { LeaseStoreClosedError } from './errors.ts';
import type { Lease } from './lease.ts';
import type {
  CommitOptions,
  CommitResult,
  LeaseChangeListener,
  ReclaimOptions,
  TimeOptions,
} from './store.ts';

/**
 * What every `LeaseStore` backend does alike, so that each keeps only its storage: the change listeners, the
 * clock for calls without `now`, the closed-state guard, and the argument checks of the writes (`commit`,
 * `markDeclined`, `reclaim`), which reach the backend already checked and keyed by address number.
 */
export abstract class LeaseStoreBase {
  protected readonly changes: ChangeHub;
  protected readonly clock: () => number;
  #closed = false;

  protected constructor(changes: ChangeHub, clock: () => number) {
    this.changes = changes;
    this.clock = clock;
  }

  async commit(input: Lease, options: CommitOptions = {}): Promise<CommitResult> {
    this.assertOpen();
    return this.commitChecked(args.commit(input, options, this.clock));
  }

  async markDeclined(
    address: string,
    probationSeconds: number,
    options: TimeOptions = {},
  ): Promise<Lease | null> {
    this.assertOpen();
    const { key, now } = args.decline(address, probationSeconds, options, this.clock);
    return this.declineAt(key, probationSeconds, now);
  }

  async reclaim(address: string, options: ReclaimOptions): Promise<Lease | null> {
    this.assertOpen();
    const { key, now } = args.reclaim(address, options, this.clock);
    return this.reclaimAt(key, options.remove, now);
  }

  onChange(listener: LeaseChangeListener): () => void {
    return this.changes.subscribe(listener);
  }

  /** Closes once: later calls resolve at once, every other method then rejects with `LeaseStoreClosedError`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.release();
  }

  protected assertOpen(): void {
    if (this.#closed) throw new LeaseStoreClosedError();
  }

  /** `commit`, its arguments checked. Resolves once durable, having announced the change. */
  protected abstract commitChecked(commit: CheckedCommit): Promise<CommitResult>;
  /** `markDeclined` of the lease at `key` (an address as a number), its arguments checked. */
  protected abstract declineAt(key: number, probationSeconds: number, now: number): Promise<Lease | null>;
  /** `reclaim` of the lease at `key`, only if still expired at `now` and not already reclaimed. */
  protected abstract reclaimAt(key: number, remove: boolean, now: number): Promise<Lease | null>;
  /** Flushes pending writes and releases the backend's resources; called once, by `close`. */
  protected abstract release(): Promise<void>;
}
