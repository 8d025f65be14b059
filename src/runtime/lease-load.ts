import type { Lease } from '../leases/index.ts';
import type { LeaseStore } from '../leases/index.ts';
import { releaseYoungGeneration } from './young-generation.ts';

/**
 * Leases read per page: big enough that the query cost is paid rarely, small enough that a page's rows and
 * lease objects die young. With 10,000 a page many outlived a scavenge and were promoted, and V8 kept the old
 * space they grew (a million leases: 50-70 MiB more RSS after GC than with 1,000, docs/scaling.md).
 */
export const LEASE_LOAD_PAGE = 1_000;

/**
 * Leases from which the load gives back the young generation it grew (`releaseYoungGeneration`): with fewer,
 * V8 grows it little and the full GC that shrinks it would cost more than it frees.
 */
export const RELEASE_YOUNG_GENERATION_AFTER = 100_000;

/**
 * Reads every lease of the store into `load` a page at a time, by address, and returns how many there were.
 * A page is garbage once loaded, so a million leases never exist as one array of objects next to the
 * engine's compact copy: that array, not the engine, set the start-up RSS of a large lease file. Returns once
 * the file's check passed too (`CheckedWhileLoading`), and rejects with the check's error when it failed. After
 * a large load, the young generation its churn grew is given back (`RELEASE_YOUNG_GENERATION_AFTER`).
 */
export async function loadStoreInPages(
  store: Pick<LeaseStore, 'getPage'> & Partial<CheckedWhileLoading>,
  load: (leases: readonly Lease[]) => void,
  pageSize: number = LEASE_LOAD_PAGE,
): Promise<number> {
  let count: number;
  try {
    count = await readPages(store, load, pageSize);
  } catch (error) {
    // A damaged file's own error (and how to recover) says more than what reading it ran into.
    await store.whenChecked?.();
    throw error;
  }
  // Before the write side opens (at the check's end): what it allocates then goes into the small young
  // generation, where after the release it kept 8-16 MiB more RSS (docs/scaling.md).
  if (count >= RELEASE_YOUNG_GENERATION_AFTER) releaseYoungGeneration();
  await store.whenChecked?.();
  return count;
}

/**
 * A store whose file may still be checked while the leases load (`SqliteLeaseStore` opened with
 * `checkWhileReading`): the load is not done, and the server does not serve, until the check passed.
 */
export interface CheckedWhileLoading {
  /** Rejects with the check's error when the file is damaged. */
  whenChecked(): Promise<void>;
}

async function readPages(
  store: Pick<LeaseStore, 'getPage'>,
  load: (leases: readonly Lease[]) => void,
  pageSize: number,
): Promise<number> {
  let from = 'start';
  let count = 0;
  for (;;) {
    const page = await store.getPage(from, pageSize);
    load(page);
    count += page.length;
    const last = page.at(-1);
    if (page.length < pageSize || last === undefined) return count;
    from = last.address;
  }
}
