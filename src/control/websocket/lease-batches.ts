import type { Lease, LeaseStore } from '../../leases/index.ts';

/**
 * The engine's lease index, as far as the `clients` list reads it: its addresses, the slot of an address and
 * the lease of a slot, built without entering the index's cache of recent leases (src/server/lease-index.ts).
 */
export interface IndexedLeases {
  readonly size: number;
  addresses(): IterableIterator<number>;
  slotOf(addr: number): number | undefined;
  readonly columns: { peek(slot: number): Lease };
}

/** Between two steps of a sliced walk: yields to the event loop (and throws if the walk is no longer wanted). */
export type Step = () => Promise<void>;

/** Addresses read from the index's map, or sort moves made, per step: cheap work, about 1 ms each. */
const ADDRESSES_PER_STEP = 100_000;

/**
 * Every lease of the index in address order, `size` at a time, with a step between batches. Addresses are
 * read first (a Map iterator stays valid while the index changes), sorted in steps, then each lease is read
 * from its slot when its batch comes: a lease deleted meanwhile is passed over, one added meanwhile waits for
 * the next list (its change marks the list dirty).
 */
export async function* indexBatches(index: IndexedLeases, size: number, step: Step): AsyncGenerator<Lease[]> {
  const addresses = await sortAddresses(await collectAddresses(index, step), step);
  let previous = -1;
  for (let at = 0; at < addresses.length; at += size) {
    const batch: Lease[] = [];
    for (let i = at, end = Math.min(at + size, addresses.length); i < end; i++) {
      const addr = addresses[i]!;
      // an address deleted and added again while the map was read is visited twice
      if (addr === previous) continue;
      previous = addr;
      const slot = index.slotOf(addr);
      if (slot !== undefined) batch.push(index.columns.peek(slot));
    }
    yield batch;
    await step();
  }
}

async function collectAddresses(index: IndexedLeases, step: Step): Promise<Uint32Array> {
  let out = new Uint32Array(index.size + 1024);
  let n = 0;
  const keys = index.addresses();
  for (;;) {
    for (let i = 0; i < ADDRESSES_PER_STEP; i++) {
      const next = keys.next();
      if (next.done === true) return out.subarray(0, n);
      if (n === out.length) {
        const wider = new Uint32Array(out.length * 2);
        wider.set(out);
        out = wider;
      }
      out[n++] = next.value >>> 0;
    }
    await step();
  }
}

const DIGIT_BITS = 16;
const DIGITS = 1 << DIGIT_BITS;

/** Numeric order by a two-pass radix sort, each pass in steps: `TypedArray.sort` of a million blocks ~100 ms. */
export async function sortAddresses(input: Uint32Array, step: Step): Promise<Uint32Array> {
  let from: Uint32Array = input;
  let to: Uint32Array = new Uint32Array(input.length);
  for (let shift = 0; shift < 32; shift += DIGIT_BITS) {
    const starts = new Uint32Array(DIGITS);
    for (let at = 0; at < from.length; at += ADDRESSES_PER_STEP) {
      for (let i = at, end = Math.min(at + ADDRESSES_PER_STEP, from.length); i < end; i++)
        starts[(from[i]! >>> shift) & (DIGITS - 1)]!++;
      await step();
    }
    let sum = 0;
    for (let d = 0; d < DIGITS; d++) {
      const count = starts[d]!;
      starts[d] = sum;
      sum += count;
    }
    for (let at = 0; at < from.length; at += ADDRESSES_PER_STEP) {
      for (let i = at, end = Math.min(at + ADDRESSES_PER_STEP, from.length); i < end; i++) {
        const a = from[i]!;
        to[starts[(a >>> shift) & (DIGITS - 1)]!++] = a;
      }
      await step();
    }
    [from, to] = [to, from];
  }
  return from;
}

/** Where the memory backend's `getPage` sorts its whole map per page: its `getAll` is the cheaper read. */
const UNPAGED_BACKENDS: ReadonlySet<string> = new Set(['memory']);

/**
 * Every lease of the store in address order, `size` at a time: page by page (each page one query, so no
 * single read holds the event loop or the memory of the whole table), or from one `getAll` where paging
 * costs more than it saves.
 */
export async function* storeBatches(
  store: Pick<LeaseStore, 'getAll' | 'getPage' | 'backend'>,
  size: number,
): AsyncGenerator<Lease[]> {
  if (UNPAGED_BACKENDS.has(store.backend)) {
    const all = await store.getAll();
    for (let at = 0; at < all.length; at += size) yield all.slice(at, at + size);
    return;
  }
  let from = 'start';
  for (;;) {
    const page = await store.getPage(from, size);
    if (page.length > 0) yield page;
    if (page.length < size) return;
    from = page[page.length - 1]!.address;
  }
}
