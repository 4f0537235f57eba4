import {
  CdcError,
  NeedsOperatorError,
  needsOperator,
  resolveSecret,
  type EventVersion,
  type Sink,
  type SinkEvent,
  type SinkRow,
  type WaitRecorder,
  type WriteOutcome,
} from '@cdc/core';
import { budgetOf } from '../http/http-settings.ts';
import { sendInKeyOrder } from '../http/key-order.ts';
import { RequestBudget } from '../http/request-budget.ts';
import { planBatch, type KeyPlan } from './batch-plan.ts';
import { storedVersion } from './bookkeeping.ts';
import { CalendarClient } from './calendar-client.ts';
import type { CalendarSinkConfig } from './config.ts';
import type { CalendarEvent } from './event-body.ts';
import { EventCache } from './event-cache.ts';
import { eventIdOf } from './event-id.ts';
import { compileEventMapping, type EventMapping } from './event-mapping.ts';
import { decide, type ReplaySettings } from './replay.ts';
import { parseServiceAccountKey } from './service-account-key.ts';

const WRITTEN: WriteOutcome = Object.freeze({ kind: 'written' });
const STALE: WriteOutcome = Object.freeze({ kind: 'stale' });

/** Writes of one event within one batch at most: an insert and its cancel, each maybe moved once. */
const MAX_ROUNDS = 5;

/**
 * Writes rows as events of one Google Calendar, never backwards. Per batch it maps every row
 * (what cannot map fails with why), groups the changes by event id (a hash of the sink, the table
 * and the key) and sends each event once, keys `concurrency` at a time and each key's requests in
 * order: with the event's last state cached, one update with If-Match; without, an insert under
 * our id (a new row, one request) or a read first (a change to a row written before the sink
 * started, two). Calendar's answers decide the rest: 409 (the id exists, maybe cancelled) and
 * 412 (someone changed the event) read it and decide again on what it holds, so replays come back
 * stale and edits in Calendar meet the conflict policy. Every request waits for the request budget.
 */
export class CalendarSink implements Sink {
  readonly name: string;
  readonly #config: CalendarSinkConfig;
  readonly #path: string;
  readonly #url: string;
  readonly #mappings: ReadonlyMap<string, EventMapping>;
  readonly #abort = new AbortController();
  readonly #budget: RequestBudget;
  readonly #cache = new EventCache();
  readonly #settings: ReplaySettings;
  #client: CalendarClient | undefined;

  /**
   * `url`: the root of the Google APIs (the entry's, or google_calendar.url's); `path`: the
   * entry's place, for messages; `rateLimitWaits`: told how long requests wait for the budget.
   */
  constructor(config: CalendarSinkConfig, url: string, path: string, rateLimitWaits?: WaitRecorder) {
    this.name = config.name;
    this.#config = config;
    this.#path = path;
    // The API's paths resolve under the root, not beside it.
    this.#url = url.endsWith('/') ? url : `${url}/`;
    this.#mappings = new Map(
      Object.entries(config.tables).map(([table, template]) => [
        table,
        compileEventMapping(table, template, config.time_zone),
      ]),
    );
    this.#budget = new RequestBudget(budgetOf(config.requests), rateLimitWaits);
    this.#settings = {
      sink: config.name,
      conflicts: { policy: config.conflict.policy, timestampField: config.conflict.timestamp_field },
    };
  }

  /** The id of the event a row of `table` (`<schema>.<table>`) with `key` is written to. */
  eventIdOf(table: string, key: SinkRow): string {
    return eventIdOf(this.name, table, key);
  }

  /** API requests sent so far (for tests and metrics). */
  get requests(): number {
    return this.#client?.requests ?? 0;
  }

  async start(): Promise<void> {
    const setting = `${this.#path}.credentials`;
    const key = parseServiceAccountKey(
      await resolveSecret(this.#config.credentials, { path: setting }),
      setting,
    );
    const calendarId = this.#config.calendar_id;
    const client = new CalendarClient({
      url: this.#url,
      key,
      calendarId,
      budget: this.#budget,
      signal: this.#abort.signal,
      context: {
        sink: this.name,
        path: this.#path,
        email: key.clientEmail,
        calendarId,
        timeoutMs: this.#config.timeout_ms,
      },
    });
    await client.authorize();
    const found = await client.calendar();
    if (!found.ok) {
      throw new NeedsOperatorError(
        'HTTP_TARGET_MISCONFIGURED',
        `${this.#path}.calendar_id: Google Calendar has no calendar ${calendarId} that service account ${key.clientEmail} can see`,
        {
          fix:
            `share calendar ${calendarId} with ${key.clientEmail} with permission to make changes to events ` +
            `(Calendar settings, Share with specific people), or correct ${this.#path}.calendar_id ` +
            '(Calendar settings, Integrate calendar, Calendar ID)',
          details: { setting: `${this.#path}.calendar_id`, calendarId },
        },
      );
    }
    this.#client = client;
  }

  async write(events: readonly SinkEvent[]): Promise<WriteOutcome[]> {
    const client = this.#client;
    if (!client) throw new Error(`sink ${this.name}: write before start`);
    const { outcomes, keys } = planBatch(events, (table) => this.#mappings.get(table), this.name);
    let failure: Error | undefined;
    const results = await sendInKeyOrder(
      keys,
      (plan) => plan.eventId,
      this.#config.concurrency,
      async (plan) => {
        // Once the batch will be retried, the keys not yet sent wait for that retry: no requests spent.
        if (failure !== undefined) return undefined;
        try {
          return await this.#writeKey(client, plan);
        } catch (error) {
          const thrown = error instanceof Error ? error : new Error(String(error));
          if (failure === undefined || (needsOperator(thrown) && !needsOperator(failure))) failure = thrown;
          return undefined;
        }
      },
    );
    if (failure !== undefined) throw failure;
    for (const result of results) {
      if (!result.ok || !result.value) continue;
      for (const [index, outcome] of result.value) outcomes[index] = outcome;
    }
    return outcomes.map((outcome) => outcome ?? WRITTEN);
  }

  async close(): Promise<void> {
    this.#abort.abort(new Error(`sink ${this.name} closed`));
  }

  /**
   * The version in the row's event (its private cdc_version; a cancelled row's too), read by id
   * as a write does; null when the calendar has no such event of ours. Starts the client when
   * the sink is not started: start() only reads (the token, the calendar).
   */
  async versionOf(row: Pick<SinkEvent, 'topic' | 'key' | 'table'>): Promise<EventVersion | null> {
    const table = `${row.table.schema}.${row.table.name}`;
    if (!this.#mappings.has(table) || Object.keys(row.key).length === 0) return null; // dead letters
    if (!this.#client) await this.start();
    const event = await (this.#client as CalendarClient).get(this.eventIdOf(table, row.key));
    return storedVersion(event?.extendedProperties?.private) ?? null;
  }

  /** Writes one event's changes; the outcome of each, by event index. Throws what fails the batch. */
  async #writeKey(client: CalendarClient, plan: KeyPlan): Promise<Map<number, WriteOutcome>> {
    const settled = new Map<number, WriteOutcome>();
    const settle = (indices: readonly number[], outcome: WriteOutcome) => {
      for (const index of indices) if (!settled.has(index)) settled.set(index, outcome);
    };
    const id = plan.eventId;
    let held = this.#cache.get(id);
    const first = plan.changes[0]?.op;
    // An insert is tried as such (a new row is one request); a change to an older row reads it first.
    if (!held && first !== 'c' && first !== 'r') held = await this.#read(client, id);
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const decision = decide(plan, held, this.#settings);
      settle(decision.stale, STALE);
      if (decision.skipped && decision.conflict) {
        settle(decision.applied, { kind: 'skipped', conflict: decision.conflict });
        return settled;
      }
      if (decision.refused !== undefined) {
        settle(decision.applied, { kind: 'failed', reason: decision.refused });
        return settled;
      }
      const write = decision.write;
      if (!write) {
        settle(decision.applied, WRITTEN);
        return settled;
      }
      let result;
      try {
        result =
          write.mode === 'insert'
            ? await client.insert(write.event)
            : await client.update(id, write.event, write.etag);
      } catch (error) {
        if (!(error instanceof CdcError) || error.code !== 'HTTP_TARGET_REFUSED') throw error;
        settle(decision.applied, { kind: 'failed', reason: error.message });
        return settled;
      }
      if (result.kind === 'written') {
        this.#cache.set(id, result.event);
        held = result.event;
        const last = decision.applied.at(-1);
        if (decision.conflict && last !== undefined)
          settle([last], { kind: 'written', conflict: decision.conflict });
        settle(decision.applied, WRITTEN);
        if (!decision.more) return settled;
      } else if (result.kind === 'missing') {
        this.#cache.delete(id);
        held = undefined;
      } else {
        held = await this.#read(client, id);
      }
    }
    throw new CdcError(
      'HTTP_TARGET_UNAVAILABLE',
      `event ${id} of calendar ${this.#config.calendar_id} kept changing while sink ${this.name} wrote it ` +
        `(${MAX_ROUNDS} attempts in one batch); the batch is read and written again`,
      { retriable: true },
    );
  }

  async #read(client: CalendarClient, id: string): Promise<CalendarEvent | undefined> {
    const event = await client.get(id);
    if (event) this.#cache.set(id, event);
    else this.#cache.delete(id);
    return event;
  }
}
