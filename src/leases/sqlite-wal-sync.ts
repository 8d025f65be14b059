import { closeSync, fdatasyncSync, fstatSync, openSync, statSync } from 'node:fs';
import { LeaseStoreIoError } from './errors.ts';

/** The file calls `WalSync` makes, apart so that tests can inject failures and a replaced file. */
export interface WalFiles {
  open(path: string): number;
  /** The file's identity, or null if there is none at `path`. */
  identity(path: string): string | null;
  identityOf(fd: number): string;
  fdatasync(fd: number): void;
  close(fd: number): void;
}

/** How often, at most, the WAL's path is looked up to follow a replaced file. */
export const WAL_IDENTITY_CHECK_MS = 1000;

export const nodeWalFiles: WalFiles = {
  open: (path) => openSync(path, 'r'),
  identity: (path) => {
    const s = statSync(path, { throwIfNoEntry: false });
    return s === undefined ? null : `${s.dev}:${s.ino}`;
  },
  identityOf: (fd) => {
    const s = fstatSync(fd);
    return `${s.dev}:${s.ino}`;
  },
  fdatasync: (fd) => fdatasyncSync(fd),
  close: (fd) => closeSync(fd),
};

/**
 * Makes a write connection's commits durable with `fdatasync` on its `-wal` file, the connection running with
 * `synchronous=NORMAL`. SQLite documents that in WAL mode NORMAL syncs the WAL before each checkpoint and the
 * database after it (https://www.sqlite.org/pragma.html#pragma_synchronous), so what was checkpointed stays
 * durable, but that a commit is not synced: this does it. After COMMIT returned, every frame of the
 * transaction, its commit frame and (after a restart) the WAL's new header included, has been written to the
 * file; one `fdatasync` of the file makes all of them durable. A crash before it returns loses at most that
 * transaction, whose writes nobody was told about.
 *
 * Why not SQLite's own sync (`synchronous=FULL`): its Unix build calls `fsync`, which also writes the inode
 * whenever a write changed its mtime, and on a journalled ext4 that is a journal commit (waiting behind other
 * metadata) on about every other commit; `fdatasync` skips the inode when no block was allocated, as when the
 * WAL is overwritten from its start after each checkpoint (`bench/wal-sync.ts`).
 *
 * The descriptor is its own (sync acts on the file, not the descriptor). Should the file at the path change
 * (SQLite recreates the WAL after its last connection closed it), the new one is opened before the sync. The
 * path is looked up at most once a second and after every failure, not at every commit: SQLite keeps the
 * WAL open, and so does not replace it, while the writer's connection is open.
 */
export class WalSync {
  readonly #path: string;
  readonly #files: WalFiles;
  readonly #now: () => number;
  #fd: number | null = null;
  #identity: string | null = null;
  #checkedAt = 0;
  #failures = 0;

  constructor(walPath: string, files: WalFiles = nodeWalFiles, now: () => number = () => performance.now()) {
    this.#path = walPath;
    this.#files = files;
    this.#now = now;
  }

  /** How many syncs failed since this was made. */
  get failures(): number {
    return this.#failures;
  }

  /** Makes what was written to the WAL durable. Throws `LeaseStoreIoError` (the data is then NOT durable). */
  sync(): void {
    try {
      this.#follow();
      this.#files.fdatasync(this.#fd!);
    } catch (error) {
      this.#failures++;
      // The next sync looks the path up again.
      this.#checkedAt = -Infinity;
      const code = (error as { code?: unknown } | null)?.code;
      const detail = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
      throw new LeaseStoreIoError(
        `lease database ${this.#path}: the commit could not be made durable (fdatasync: ${detail}; ` +
          `${this.#failures} sync failure(s) since open)`,
        { cause: error },
      );
    }
  }

  /** Closes the descriptor. */
  close(): void {
    if (this.#fd === null) return;
    const fd = this.#fd;
    this.#fd = null;
    this.#identity = null;
    this.#files.close(fd);
  }

  /** Opens the file at the path if there is none open yet or, looked up again, the path names another file. */
  #follow(): void {
    const at = this.#now();
    if (this.#fd !== null && at - this.#checkedAt < WAL_IDENTITY_CHECK_MS) return;
    const now = this.#files.identity(this.#path);
    if (now === null) throw Object.assign(new Error('the WAL file is missing'), { code: 'ENOENT' });
    this.#checkedAt = at;
    if (this.#fd !== null && now === this.#identity) return;
    this.close();
    const fd = this.#files.open(this.#path);
    this.#fd = fd;
    this.#identity = this.#files.identityOf(fd);
  }
}
