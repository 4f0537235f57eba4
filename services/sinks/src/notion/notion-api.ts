import {
  Client,
  type CreatePageParameters,
  type QueryDataSourceParameters,
  type UpdatePageParameters,
} from '@notionhq/client';
import type { WaitRecorder } from '@cdc/core';
import { HttpTarget } from '../http/http-target.ts';
import type { RequestBudgetOptions } from '../http/request-budget.ts';
import { heldPageOf, type HeldPage } from './held-page.ts';
import { classifyNotionAnswer, isNotFound, notionFailure, type FailurePlace } from './notion-failure.ts';
import type { PropertyPayload } from './property-values.ts';
import { plainText } from './rich-text.ts';

/** The Notion API version the sink speaks (data sources): the SDK's default, said out loud. */
export const NOTION_API_VERSION = '2025-09-03';

/** Filters of one query at most: "or" takes 100 (https://developers.notion.com/reference/request-limits). */
export const KEYS_PER_QUERY = 100;
const PAGE_SIZE = 100;

type SupportedFetch = NonNullable<NonNullable<ConstructorParameters<typeof Client>[0]>['fetch']>;

export interface NotionApiOptions extends FailurePlace {
  /** Names the target in messages (the sink's name). */
  readonly name: string;
  readonly url: string;
  readonly token: string;
  readonly budget: RequestBudgetOptions;
  /** Told how long requests wait for the budget (the sink's metrics). */
  readonly rateLimitWaits?: WaitRecorder;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly signal: AbortSignal;
}

/** A property of a data source's schema: its id and type (and the data source a relation points at). */
export interface SchemaProperty {
  readonly id: string;
  readonly type: string;
  readonly relationDataSourceId: string | undefined;
}

/**
 * The requests the sink makes, through the official SDK: each takes its turn in the request
 * budget first and goes out through HttpTarget (its fetch), which times it out, pauses the budget
 * on a Retry-After and classifies the answer. The SDK retries nothing: a retriable failure fails
 * the batch, and the runtime retries it with back-off, re-reading what Notion holds.
 */
export class NotionApi {
  readonly target: HttpTarget;
  readonly #client: Client;
  readonly #place: FailurePlace;

  constructor(options: NotionApiOptions) {
    this.#place = options;
    const base = options.url.replace(/\/+$/u, '');
    this.target = new HttpTarget({
      name: `Notion (sink ${options.name})`,
      url: `${base}/`,
      budget: options.budget,
      ...(options.rateLimitWaits ? { rateLimitWaits: options.rateLimitWaits } : {}),
      timeoutMs: options.timeoutMs,
      concurrency: options.concurrency,
      signal: options.signal,
      classify: classifyNotionAnswer,
    });
    this.#client = new Client({
      auth: options.token,
      baseUrl: base,
      notionVersion: NOTION_API_VERSION,
      fetch: this.#fetch,
      retry: false,
      // HttpTarget times requests out (undici's own timeouts); the SDK's timer is only a backstop.
      timeoutMs: options.timeoutMs * 2,
      // Failures come back as our errors, with what the operator needs; the SDK's console lines would repeat them.
      logger: () => undefined,
    });
  }

  /** The integration's bot user: edits by anyone else are a person's. */
  async botId(): Promise<string> {
    const me = await this.#call(() => this.#client.users.me({}));
    return me.id;
  }

  /** The properties of a data source, by name. */
  async schema(dataSourceId: string): Promise<Map<string, SchemaProperty>> {
    const source = await this.#call(() =>
      this.#client.dataSources.retrieve({ data_source_id: dataSourceId }),
    );
    const properties = (source as { properties?: Record<string, unknown> }).properties ?? {};
    return new Map(
      Object.entries(properties).map(([name, raw]) => {
        const { id, type, relation } = raw as {
          id?: unknown;
          type?: unknown;
          relation?: { data_source_id?: unknown };
        };
        return [
          name,
          {
            id: typeof id === 'string' ? id : name,
            type: typeof type === 'string' ? type : 'unknown',
            relationDataSourceId:
              typeof relation?.data_source_id === 'string' ? relation.data_source_id : undefined,
          },
        ];
      }),
    );
  }

  /**
   * The live pages whose key property holds one of `keys` (at most KEYS_PER_QUERY): one query
   * (more only when more than a hundred pages match), grouped by key.
   */
  async pagesWithKeys(
    dataSourceId: string,
    keyProperty: string,
    keyType: 'title' | 'rich_text',
    keys: readonly string[],
    /** Look in the trash instead: where a deleted row's page keeps its version. */
    inTrash = false,
  ): Promise<Map<string, HeldPage[]>> {
    const filters = keys.map((key) => ({ property: keyProperty, [keyType]: { equals: key } }));
    const filter = filters.length === 1 ? filters[0] : { or: filters };
    const found = new Map<string, HeldPage[]>();
    let cursor: string | undefined;
    do {
      const start = cursor;
      const answer = await this.#call(() =>
        this.#client.dataSources.query({
          data_source_id: dataSourceId,
          filter: filter as QueryDataSourceParameters['filter'],
          page_size: PAGE_SIZE,
          ...(inTrash ? { in_trash: true } : {}),
          ...(start === undefined ? {} : { start_cursor: start }),
        }),
      );
      for (const result of answer.results) {
        const page = heldPageOf(result);
        if (!page) continue;
        // Notion's `equals` decides the match; the exact text decides the key.
        const key = plainText(
          (page.properties[keyProperty] as Record<string, unknown> | undefined)?.[keyType],
        );
        if (!keys.includes(key)) continue;
        const list = found.get(key);
        if (list) list.push(page);
        else found.set(key, [page]);
      }
      cursor = answer.has_more && answer.next_cursor ? answer.next_cursor : undefined;
    } while (cursor !== undefined);
    return found;
  }

  /** A page by id, in the trash or not; undefined when Notion has none (or does not share it). */
  async page(pageId: string): Promise<HeldPage | undefined> {
    try {
      return heldPageOf(await this.#call(() => this.#client.pages.retrieve({ page_id: pageId })));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async create(dataSourceId: string, properties: Record<string, PropertyPayload>): Promise<HeldPage> {
    const parameters = {
      parent: { data_source_id: dataSourceId },
      properties,
    } as unknown as CreatePageParameters;
    return this.#page(await this.#call(() => this.#client.pages.create(parameters)));
  }

  async update(
    pageId: string,
    change: { readonly properties?: Record<string, PropertyPayload>; readonly inTrash?: boolean },
  ): Promise<HeldPage> {
    const parameters = {
      page_id: pageId,
      ...(change.properties && Object.keys(change.properties).length > 0
        ? { properties: change.properties }
        : {}),
      ...(change.inTrash === undefined ? {} : { in_trash: change.inTrash }),
    } as unknown as UpdatePageParameters;
    return this.#page(await this.#call(() => this.#client.pages.update(parameters)));
  }

  #page(answer: unknown): HeldPage {
    const page = heldPageOf(answer);
    if (!page) throw new Error('Notion answered a page write with something that is not a page');
    return page;
  }

  async #call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw notionFailure(error, this.#place);
    }
  }

  // The SDK's requests, through HttpTarget: the budget, the timeout, the pool, the classification.
  readonly #fetch: SupportedFetch = async (url, init) => {
    const response = await this.target.request({
      method: init?.method ?? 'GET',
      url,
      headers: init?.headers ?? {},
      ...(typeof init?.body === 'string' ? { body: init.body } : {}),
    });
    return { ok: true, status: response.status, headers: response.headers, text: async () => response.body };
  };
}
