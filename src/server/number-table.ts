/** No key: identity keys are integers in 0..2^53. */
const EMPTY = -1;
const MIN_CAPACITY = 16;

/**
 * A map from non-negative integer keys (up to 2^53, e.g. a 48-bit MAC) to int32 values, in two typed arrays
 * with open addressing (linear probing, deletion by backward shift, at most 3/4 full). A `Map` keyed by
 * such numbers boxes each key above 2^30 as a heap number and allocates one for every lookup; here a
 * million clients are two flat arrays, 12 bytes a bucket, and a lookup allocates nothing.
 */
export class NumberTable {
  private keys = new Float64Array(MIN_CAPACITY).fill(EMPTY);
  private values = new Int32Array(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: number): number | undefined {
    const i = this.find(key);
    return i < 0 ? undefined : this.values[i];
  }

  set(key: number, value: number): void {
    let i = this.bucket(key);
    for (;;) {
      const k = this.keys[i]!;
      if (k === key) {
        this.values[i] = value;
        return;
      }
      if (k === EMPTY) break;
      i = (i + 1) & this.mask;
    }
    this.keys[i] = key;
    this.values[i] = value;
    if (++this.count * 4 > (this.mask + 1) * 3) this.resize((this.mask + 1) * 2);
  }

  delete(key: number): boolean {
    let i = this.find(key);
    if (i < 0) return false;
    this.count--;
    // Backward shift: move up each later entry of the run that may sit in the hole, so no probe breaks.
    for (let j = (i + 1) & this.mask; this.keys[j] !== EMPTY; j = (j + 1) & this.mask) {
      const home = this.bucket(this.keys[j]!);
      if (((j - home) & this.mask) >= ((j - i) & this.mask)) {
        this.keys[i] = this.keys[j]!;
        this.values[i] = this.values[j]!;
        i = j;
      }
    }
    this.keys[i] = EMPTY;
    return true;
  }

  clear(): void {
    this.keys = new Float64Array(MIN_CAPACITY).fill(EMPTY);
    this.values = new Int32Array(MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
    this.count = 0;
  }

  private find(key: number): number {
    for (let i = this.bucket(key); ; i = (i + 1) & this.mask) {
      const k = this.keys[i]!;
      if (k === key) return i;
      if (k === EMPTY) return -1;
    }
  }

  private bucket(key: number): number {
    const lo = key >>> 0;
    const hi = (key - lo) / 0x1_0000_0000;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 13;
    return h & this.mask;
  }

  private resize(capacity: number): void {
    const keys = this.keys;
    const values = this.values;
    this.keys = new Float64Array(capacity).fill(EMPTY);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k === EMPTY) continue;
      let j = this.bucket(k);
      while (this.keys[j] !== EMPTY) j = (j + 1) & this.mask;
      this.keys[j] = k;
      this.values[j] = values[i]!;
    }
  }
}

/**
 * A map from identity keys (`hwKey`, `clientIdKey`: a number for the common forms, else the text) to int32
 * values: numbers in a `NumberTable`, the rare texts in a `Map`.
 */
export class IdentityTable {
  private readonly numbers = new NumberTable();
  private readonly texts = new Map<string, number>();

  get size(): number {
    return this.numbers.size + this.texts.size;
  }

  get(key: number | string): number | undefined {
    return typeof key === 'number' ? this.numbers.get(key) : this.texts.get(key);
  }

  set(key: number | string, value: number): void {
    if (typeof key === 'number') this.numbers.set(key, value);
    else this.texts.set(key, value);
  }

  delete(key: number | string): boolean {
    return typeof key === 'number' ? this.numbers.delete(key) : this.texts.delete(key);
  }
}

/** The table of `tables` for `subnetId`, created empty on first use. */
export function subnetTable(tables: Map<number, IdentityTable>, subnetId: number): IdentityTable {
  let t = tables.get(subnetId);
  if (t === undefined) {
    t = new IdentityTable();
    tables.set(subnetId, t);
  }
  return t;
}
