import { relatedKeys, type KeyPlan, type ResolvedChange } from './batch-plan.ts';
import type { HeldPage } from './held-page.ts';
import { KEYS_PER_QUERY, type NotionApi } from './notion-api.ts';
import type { PageCache } from './page-cache.ts';
import { plainText } from './rich-text.ts';
import type { TableTarget } from './schema-check.ts';

/**
 * What Notion holds for the keys of a batch: one query per data source and hundred keys, a page
 * this sink wrote that the query misses (created a moment ago) by id, and the trash for keys
 * neither knows: a deleted row's page waits there with the delete's version, which must keep an
 * older replayed insert stale after a restart too (the cache is gone then).
 */
export class PageReader {
  readonly #api: NotionApi;
  readonly #cache: PageCache;
  readonly #targets: ReadonlyMap<string, TableTarget>;

  constructor(api: NotionApi, cache: PageCache, targets: ReadonlyMap<string, TableTarget>) {
    this.#api = api;
    this.#cache = cache;
    this.#targets = targets;
  }

  /** The pages each key of the plans has (none, one, or duplicates). */
  async read(plans: readonly KeyPlan<ResolvedChange>[]): Promise<Map<KeyPlan<ResolvedChange>, HeldPage[]>> {
    const byTable = new Map<string, KeyPlan<ResolvedChange>[]>();
    for (const plan of plans) {
      if (plan.changes.length === 0) continue;
      const list = byTable.get(plan.mapping.table);
      if (list) list.push(plan);
      else byTable.set(plan.mapping.table, [plan]);
    }
    const held = new Map<KeyPlan<ResolvedChange>, HeldPage[]>();
    await Promise.all(
      [...byTable].map(async ([table, list]) => {
        const target = this.#targets.get(table) as TableTarget;
        const pages = await this.heldByKey(
          target,
          list.map((plan) => plan.key),
        );
        for (const plan of list) held.set(plan, pages.get(plan.key) ?? []);
      }),
    );
    return held;
  }

  /**
   * The pages of the rows the relations of these plans name, by table and key: a live page, when
   * the row has exactly one.
   */
  async relatedPages(plans: readonly KeyPlan[]): Promise<Map<string, Map<string, string>>> {
    const found = new Map<string, Map<string, string>>();
    await Promise.all(
      [...relatedKeys(plans)].map(async ([table, keys]) => {
        const target = this.#targets.get(table);
        const pages = new Map<string, string>();
        found.set(table, pages);
        if (!target) return;
        for (const [key, list] of await this.heldByKey(target, [...keys])) {
          const live = list.filter((page) => !page.inTrash);
          if (live.length === 1) pages.set(key, (live[0] as HeldPage).id);
        }
      }),
    );
    return found;
  }

  /** The pages holding each key: queried a hundred keys at a time, and what the cache knows of the rest. */
  async heldByKey(target: TableTarget, keys: readonly string[]): Promise<Map<string, HeldPage[]>> {
    const { mapping, keyType } = target;
    const found = new Map<string, HeldPage[]>();
    for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
      const chunk = keys.slice(i, i + KEYS_PER_QUERY);
      const pages = await this.#api.pagesWithKeys(mapping.dataSourceId, mapping.keyProperty, keyType, chunk);
      for (const [key, list] of pages) found.set(key, list);
    }
    await Promise.all(
      keys
        .filter((key) => !found.has(key))
        .map(async (key) => {
          const id = this.#cache.get(mapping.dataSourceId, key);
          if (id === undefined) return;
          const page = await this.#api.page(id);
          // Someone may have given the page another key since: then it is no longer this row's.
          const keyText = plainText(
            (page?.properties[mapping.keyProperty] as Record<string, unknown> | undefined)?.[keyType],
          );
          if (page && keyText === key) found.set(key, [page]);
          else this.#cache.delete(mapping.dataSourceId, key);
        }),
    );
    const unknown = keys.filter((key) => !found.has(key));
    for (let i = 0; i < unknown.length; i += KEYS_PER_QUERY) {
      const chunk = unknown.slice(i, i + KEYS_PER_QUERY);
      const pages = await this.#api.pagesWithKeys(
        mapping.dataSourceId,
        mapping.keyProperty,
        keyType,
        chunk,
        true,
      );
      for (const [key, list] of pages) found.set(key, list);
    }
    return found;
  }
}
