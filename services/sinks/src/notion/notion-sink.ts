import {
  CdcError,
  compareVersions,
  resolveSecret,
  type EventVersion,
  type Sink,
  type SinkConflict,
  type SinkEvent,
  type WaitRecorder,
  type WriteOutcome,
} from '@cdc/core';
import { budgetOf } from '../http/http-settings.ts';
import { sendInKeyOrder } from '../http/key-order.ts';
import type { ConflictSettings } from '../field-conflicts.ts';
import { planBatch, resolveRelations, type KeyPlan, type ResolvedChange } from './batch-plan.ts';
import type { NotionSinkConfig } from './config.ts';
import { NotionApi } from './notion-api.ts';
import { isNotFound, refusalReason, refusesRequest } from './notion-failure.ts';
import { PageCache } from './page-cache.ts';
import { PageReader } from './page-reader.ts';
import { replayOnPage, type PageWrite } from './replay.ts';
import { richText } from './rich-text.ts';
import { readSyncState } from './sync-state.ts';
import { checkDataSources, type TableTarget } from './schema-check.ts';
import { compileTableMapping, tableLevels, type TableMapping } from './table-mapping.ts';

const WRITTEN: WriteOutcome = Object.freeze({ kind: 'written' });
const STALE: WriteOutcome = Object.freeze({ kind: 'stale' });

/** A page write still to send: the events it settles. */
interface PendingWrite {
  readonly plan: KeyPlan<ResolvedChange>;
  readonly write: PageWrite;
  readonly applied: readonly number[];
  readonly conflict?: SinkConflict;
}

/**
 * Writes rows as pages of Notion data sources, never backwards. Per batch, table by table (a
 * table whose relations point at another's rows after it): it maps every row (what cannot map
 * fails with why), reads what Notion holds for the batch's keys (one query per data source and
 * up to 100 keys; a page this sink created that the query misses, by id), replays the newer
 * changes of each key on its page (replay.ts) and writes each page once, in key order. About
 * one request per event: a query per hundred keys, and a create or an update per key.
 */
export class NotionSink implements Sink {
  readonly name: string;
  readonly #config: NotionSinkConfig;
  readonly #path: string;
  readonly #url: string;
  readonly #mappings: ReadonlyMap<string, TableMapping>;
  readonly #levels: ReadonlyMap<string, number>;
  readonly #conflicts: ConflictSettings;
  readonly #abort = new AbortController();
  readonly #rateLimitWaits: WaitRecorder | undefined;
  readonly #cache = new PageCache();
  #api: NotionApi | undefined;
  #botId = '';
  #targets = new Map<string, TableTarget>();

  /**
   * `url`: Notion's API (the entry's, or notion.url's); `path`: the entry's place, for messages;
   * `rateLimitWaits`: told how long requests wait for the request budget (metrics).
   */
  constructor(config: NotionSinkConfig, url: string, path: string, rateLimitWaits?: WaitRecorder) {
    this.#url = url;
    this.#rateLimitWaits = rateLimitWaits;
    this.name = config.name;
    this.#config = config;
    this.#path = path;
    this.#conflicts = { policy: config.conflict.policy, timestampField: config.conflict.timestamp_field };
    const mappings = Object.entries(config.tables).map(([table, mapping]) =>
      compileTableMapping(table, mapping, `${path}.tables.${table}`),
    );
    this.#mappings = new Map(mappings.map((mapping) => [mapping.table, mapping]));
    this.#levels = tableLevels(mappings);
  }

  /** Requests sent and failures seen, for metrics. */
  get counters() {
    return this.#api?.target.counters;
  }

  /** Checks the token (our bot user) and that every data source has the mapped properties. */
  async start(): Promise<void> {
    const token = await resolveSecret(this.#config.token, { path: `${this.#path}.token` });
    const api = new NotionApi({
      name: this.name,
      path: this.#path,
      url: this.#url,
      token,
      budget: budgetOf(this.#config.requests),
      ...(this.#rateLimitWaits ? { rateLimitWaits: this.#rateLimitWaits } : {}),
      timeoutMs: this.#config.timeout_ms,
      concurrency: this.#config.concurrency,
      signal: this.#abort.signal,
    });
    this.#botId = await api.botId();
    this.#targets = await checkDataSources([...this.#mappings.values()], (id) => api.schema(id), {
      path: this.#path,
      timestampField: this.#conflicts.policy === 'newest_wins' ? this.#conflicts.timestampField : undefined,
    });
    this.#api = api;
  }

  async write(events: readonly SinkEvent[]): Promise<WriteOutcome[]> {
    const api = this.#started();
    const { outcomes, keys } = planBatch(events, (table) => this.#mappings.get(table));
    const waves = new Map<number, KeyPlan[]>();
    for (const plan of keys) {
      const level = this.#levels.get(plan.mapping.table) ?? 0;
      const wave = waves.get(level);
      if (wave) wave.push(plan);
      else waves.set(level, [plan]);
    }
    for (const level of [...waves.keys()].sort((a, b) => a - b)) {
      await this.#writeWave(api, waves.get(level) as KeyPlan[], outcomes);
    }
    return outcomes.map((outcome) => outcome ?? WRITTEN);
  }

  async close(): Promise<void> {
    this.#abort.abort(new Error(`sink ${this.name} closed`));
  }

  /**
   * The version in the sync property of the row's page (a trashed row's too), found as a batch
   * finds it; null when Notion holds no page of ours for the row. Starts the sink when it is not
   * started: start() only reads (the bot user, the data sources' schemas).
   */
  async versionOf(row: Pick<SinkEvent, 'topic' | 'key' | 'table'>): Promise<EventVersion | null> {
    const mapping = this.#mappings.get(`${row.table.schema}.${row.table.name}`);
    const key = mapping?.keyOf(row.key);
    if (!mapping || !key || 'reason' in key) return null; // such rows are dead letters
    if (!this.#api) await this.start();
    const target = this.#targets.get(mapping.table);
    if (!target) return null;
    const reader = new PageReader(this.#started(), this.#cache, this.#targets);
    let newest: EventVersion | null = null;
    for (const page of (await reader.heldByKey(target, [key.value])).get(key.value) ?? []) {
      const version = readSyncState(page.properties[mapping.syncProperty])?.version;
      if (version && (newest === null || compareVersions(version, newest) > 0)) newest = version;
    }
    return newest;
  }

  #started(): NotionApi {
    if (!this.#api) throw new Error(`sink ${this.name}: write before start`);
    return this.#api;
  }

  async #writeWave(
    api: NotionApi,
    plans: readonly KeyPlan[],
    outcomes: (WriteOutcome | undefined)[],
  ): Promise<void> {
    const failures = new Map<number, string>();
    const reader = new PageReader(api, this.#cache, this.#targets);
    const pages = await reader.relatedPages(plans);
    const resolved = plans.map((plan) =>
      resolveRelations(plan, (table, key) => pages.get(table)?.get(key), failures),
    );
    for (const [index, reason] of failures) outcomes[index] = { kind: 'failed', reason };
    const held = await reader.read(resolved);
    const pending: PendingWrite[] = [];
    for (const plan of resolved) {
      const result = replayOnPage(plan, held.get(plan) ?? [], {
        conflicts: this.#conflicts,
        botId: this.#botId,
      });
      for (const index of result.stale) outcomes[index] = STALE;
      if (result.skipped && result.conflict) {
        const skipped: WriteOutcome = { kind: 'skipped', conflict: result.conflict };
        for (const index of result.applied) outcomes[index] = skipped;
      } else if (result.refused !== undefined) {
        const failed: WriteOutcome = { kind: 'failed', reason: result.refused };
        for (const index of result.applied) outcomes[index] = failed;
      } else if (result.write) {
        pending.push({
          plan,
          write: result.write,
          applied: result.applied,
          ...(result.conflict ? { conflict: result.conflict } : {}),
        });
      } else {
        for (const index of result.applied) outcomes[index] = WRITTEN;
      }
    }
    const settled = await this.#send(api, pending);
    settled.forEach((outcome, i) => {
      const { applied, conflict } = pending[i] as PendingWrite;
      for (const index of applied) outcomes[index] = outcome;
      // The conflict is the key's newest change's: published once.
      const last = applied.at(-1);
      if (conflict && last !== undefined && outcome.kind === 'written')
        outcomes[last] = { kind: 'written', conflict };
    });
  }

  /**
   * One write per page, `concurrency` at a time; a refused one fails that page's events only.
   * After a failure worth retrying (a 429, Notion away) the rest is not sent: the batch is retried
   * as a whole, and sending on would only spend the budget on answers saying to wait.
   */
  async #send(api: NotionApi, pending: readonly PendingWrite[]): Promise<WriteOutcome[]> {
    let stopped: Error | undefined;
    const results = await sendInKeyOrder(
      pending,
      ({ plan }) => `${plan.mapping.dataSourceId}\u0000${plan.key}`,
      this.#config.concurrency,
      async (item) => {
        if (stopped !== undefined) throw stopped;
        try {
          await this.#writePage(api, item);
        } catch (error) {
          if (!refusesRequest(error) && !isNotFound(error)) stopped ??= error as Error;
          throw error;
        }
      },
    );
    if (stopped !== undefined) throw stopped;
    let retriable: CdcError | undefined;
    const outcomes = results.map((result, i): WriteOutcome => {
      if (result.ok) return WRITTEN;
      const error = 'error' in result ? result.error : undefined;
      const { plan, write } = pending[i] as PendingWrite;
      if (refusesRequest(error)) {
        const what = `${write.pageId === undefined ? 'a new page' : `page ${write.pageId}`} of ${plan.mapping.table} key ${JSON.stringify(plan.key)}`;
        return { kind: 'failed', reason: refusalReason(what, error) };
      }
      if (isNotFound(error)) {
        // Emptied from the trash, or no longer shared: the retry reads again and finds it, or creates it.
        this.#cache.delete(plan.mapping.dataSourceId, plan.key);
        retriable ??= new CdcError(
          'HTTP_TARGET_UNAVAILABLE',
          `Notion no longer has page ${write.pageId} of ${plan.mapping.table} key ${JSON.stringify(plan.key)}; the batch is read and written again`,
          { retriable: true, cause: error },
        );
        return WRITTEN; // replaced: the batch is retried
      }
      throw error as Error;
    });
    if (retriable !== undefined) throw retriable;
    return outcomes;
  }

  async #writePage(api: NotionApi, { plan, write }: PendingWrite): Promise<void> {
    const { mapping } = plan;
    const target = this.#targets.get(mapping.table) as TableTarget;
    let pageId = write.pageId;
    if (pageId === undefined) {
      const properties = {
        ...write.properties,
        [mapping.keyProperty]: { [target.keyType]: richText(plan.key) },
      };
      pageId = (await api.create(mapping.dataSourceId, properties)).id;
      this.#cache.set(mapping.dataSourceId, plan.key, pageId);
    } else {
      await api.update(pageId, {
        properties: write.properties,
        ...(write.inTrash === undefined ? {} : { inTrash: write.inTrash }),
      });
      this.#cache.set(mapping.dataSourceId, plan.key, pageId);
    }
    if (write.trashAfter) await api.update(pageId, { inTrash: true });
  }
}
