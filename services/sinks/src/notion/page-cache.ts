/**
 * The pages this sink wrote, by data source and key: Notion's query may not return a page created
 * a moment ago yet, nor does it return pages in the trash (a deleted row's page, which carries its
 * version). A key the query misses but this cache knows is retrieved by id, so the sink neither
 * creates a second page for a row nor brings a deleted row back with an older change.
 * Bounded: the oldest entries go first (a key used again moves to the end).
 */
export class PageCache {
  readonly #max: number;
  readonly #pages = new Map<string, string>();

  constructor(max = 100_000) {
    this.#max = max;
  }

  get(dataSourceId: string, key: string): string | undefined {
    const id = entry(dataSourceId, key);
    const page = this.#pages.get(id);
    if (page !== undefined) {
      this.#pages.delete(id);
      this.#pages.set(id, page);
    }
    return page;
  }

  set(dataSourceId: string, key: string, pageId: string): void {
    const id = entry(dataSourceId, key);
    this.#pages.delete(id);
    this.#pages.set(id, pageId);
    if (this.#pages.size > this.#max) {
      const oldest = this.#pages.keys().next();
      if (!oldest.done) this.#pages.delete(oldest.value);
    }
  }

  delete(dataSourceId: string, key: string): void {
    this.#pages.delete(entry(dataSourceId, key));
  }

  get size(): number {
    return this.#pages.size;
  }
}

const entry = (dataSourceId: string, key: string) => `${dataSourceId}\u0000${key}`;
