import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHUNK = 64 * 1024;

/** A small tmpfs (root only) that tests fill up to make the disk full, and free a little at a time. */
export interface SmallDisk {
  readonly dir: string;
  /** Writes filler files until the file system is full; returns how many fitted. */
  fill(): number;
  /** Removes filler files worth at least `bytes`. */
  free(bytes: number): void;
  unmount(): void;
}

export function mountSmallDisk(size = '2m'): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'leasekeeper-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  let next = 0;
  return {
    dir,
    fill() {
      let fitted = 0;
      // 64 KiB files, then 4 KiB ones for the rest: tmpfs allocates pages, so nothing is left over.
      // Bounded: a 2 MiB disk holds 32 + 16 files; the bound only guards against a mount that did not happen.
      for (const size of [CHUNK, 4096]) {
        const chunk = Buffer.alloc(size, 0x55);
        for (let n = 0; n < 10_000; n++, fitted++) {
          const file = join(dir, `filler-${next++}`);
          try {
            writeFileSync(file, chunk);
          } catch {
            rmSync(file, { force: true });
            break;
          }
        }
      }
      return fitted;
    },
    free(bytes) {
      const fillers = readdirSync(dir).filter((f) => f.startsWith('filler-'));
      for (let freed = 0; freed < bytes && fillers.length > 0;) {
        const file = join(dir, fillers.pop()!);
        freed += statSync(file).size;
        unlinkSync(file);
      }
    },
    unmount() {
      try {
        // Lazy: a test that failed with the store still open must not leave the mount behind.
        execFileSync('umount', ['-l', dir]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
