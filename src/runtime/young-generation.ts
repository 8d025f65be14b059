import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** The young generation's size before and after `releaseYoungGeneration`, in bytes. */
export interface YoungGenerationRelease {
  readonly before: number;
  readonly after: number;
}

type GcWithOptions = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * Gives back the young generation a large start-up load grew. V8 doubles its semi-spaces while many objects
 * outlive a scavenge (a million leases streaming through: from 1 to 64 MiB each, 128 MiB committed) and never
 * shrinks them while the process runs, idle or not, after an ordinary full GC or not: a quarter of `serve`'s
 * RSS with a million leases. Only a memory-reducing collection (what V8 does on a low-memory notification:
 * full GCs until nothing more is freed, then new space cut back to its initial size) gives it back; Node
 * reaches it only through the `gc` function, so this exposes that function in a throwaway context for one
 * call. It costs one full GC of the live heap (about 70 ms with a million leases loaded) and runs once, before
 * the server is ready. Returns null when this runtime offers no such collection.
 */
export function releaseYoungGeneration(): YoungGenerationRelease | null {
  const before = youngGenerationBytes();
  const gc = exposedGc();
  if (gc === null) return null;
  try {
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } catch {
    return null;
  }
  return { before, after: youngGenerationBytes() };
}

function exposedGc(): GcWithOptions | null {
  const own = (globalThis as { gc?: unknown }).gc;
  if (typeof own === 'function') return own as GcWithOptions;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as GcWithOptions) : null;
  } catch {
    return null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

function youngGenerationBytes(): number {
  return getHeapSpaceStatistics()
    .filter((s) => s.space_name === 'new_space' || s.space_name === 'new_large_object_space')
    .reduce((sum, s) => sum + s.space_size, 0);
}
