/** Insertions after which a `ChurnMap` moves its entries into a fresh `Map`, at the least. */
export const RENEW_AFTER = 1024;

/**
 * A `Map` for entries that come and go with each exchange (offers, commits in flight, recent leases), which
 * keeps what it held from being promoted to V8's old generation. Once a `Map`'s hash table is in the old
 * generation (the map sat idle across two scavenges, as before the first load), V8 allocates every later
 * table of it there too, and a table a rehash replaced keeps its entries and a link to its successor until the
 * next mark-compact: every entry the map ever held is then promoted, however briefly it lived
 * (docs/scaling.md). Every `RENEW_AFTER` insertions (or more: `insertionsPerLive`) the entries move into a new
 * `Map`, whose tables are young; what the old one held then is at most what was live at that moment and what
 * was inserted since the last renewal. Iterates in insertion order, as a `Map`.
 */
export class ChurnMap<K, V> {
  #map = new Map<K, V>();
  #inserted = 0;
  readonly #insertionsPerLive: number;
  /** Insertions before the next renewal: `RENEW_AFTER`, or `insertionsPerLive` per entry the last one moved. */
  #renewAfter = RENEW_AFTER;
  #renewals = 0;

  /**
   * `insertionsPerLive` (0: none) lets a map that holds thousands of entries renew only after that many
   * insertions per entry it moved the last time: a renewal copies every live entry, and the address book's
   * offers, when exchanges are lost, hold thousands (each lost offer waits out its lifetime), which a renewal
   * every `RENEW_AFTER` insertions copied several times a DORA. Not for a map that is walked from its oldest
   * entry (an eviction): entries deleted since the last renewal stay in the table until it rehashes, and every
   * walk steps over them.
   */
  constructor(insertionsPerLive = 0) {
    this.#insertionsPerLive = insertionsPerLive;
  }

  get size(): number {
    return this.#map.size;
  }

  /** How many times the entries moved into a fresh `Map`. */
  get renewals(): number {
    return this.#renewals;
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): this {
    if (++this.#inserted >= this.#renewAfter) {
      this.#inserted = 0;
      this.#map = renewed(this.#map);
      this.#renewals++;
      this.#renewAfter = Math.max(RENEW_AFTER, this.#map.size * this.#insertionsPerLive);
    }
    this.#map.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  clear(): void {
    this.#map = new Map();
    this.#inserted = 0;
    this.#renewAfter = RENEW_AFTER;
  }

  keys(): MapIterator<K> {
    return this.#map.keys();
  }

  values(): MapIterator<V> {
    return this.#map.values();
  }

  entries(): MapIterator<[K, V]> {
    return this.#map.entries();
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.#map.entries();
  }
}

/**
 * A copy of `map` in a fresh `Map`, in insertion order. Copied with `forEach`, not `new Map(map)`: the
 * constructor walks the map's iterator, which makes an entry array and a result object per entry, and a map
 * holding the offers of lost exchanges (each waits out its lifetime) has thousands at every renewal.
 */
function renewed<K, V>(map: Map<K, V>): Map<K, V> {
  const fresh = new Map<K, V>();
  map.forEach(copyInto, fresh);
  return fresh;
}

function copyInto<K, V>(this: Map<K, V>, value: V, key: K): void {
  this.set(key, value);
}
