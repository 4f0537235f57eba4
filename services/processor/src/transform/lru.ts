/**
 * A bounded least-recently-used cache whose entries also expire: a Map keeps insertion order, so
 * re-inserting on every hit keeps the least recently used entry first, where eviction takes it.
 */
export class LruTtlCache<V> {
  readonly maxEntries: number;
  readonly ttlMs: number;
  readonly #entries = new Map<string, { value: V; expires: number }>();

  constructor(maxEntries: number, ttlMs: number) {
    this.maxEntries = maxEntries;
    this.ttlMs = ttlMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The fresh value of a key, or undefined (an expired entry is removed). */
  get(key: string, now: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expires <= now) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, now: number): void {
    if (this.ttlMs === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: now + this.ttlMs });
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}
