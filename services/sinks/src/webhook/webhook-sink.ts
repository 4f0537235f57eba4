import type { KeyObject } from 'node:crypto';
import { resolveSecret, type Sink, type SinkEvent, type WaitRecorder, type WriteOutcome } from '@cdc/core';
import { DeliveredIds, deliverBatch } from '../http/delivery.ts';
import { budgetOf } from '../http/http-settings.ts';
import { HttpTarget } from '../http/http-target.ts';
import { batchId, cloudEvent, eventId, eventIdentity, type EventIdentity } from './cloud-event.ts';
import type { WebhookSinkConfig } from './config.ts';
import { signedHeaders, signingKey } from './signature.ts';

const ONE = 'application/cloudevents+json; charset=utf-8';
const MANY = 'application/cloudevents-batch+json; charset=utf-8';

/** Acknowledged ids kept across the attempts of a batch: more than a batch of any sane size holds. */
const DELIVERED_MEMO = 100_000;

export const NO_KEY_REASON =
  'the event has no key, so the receiver could not tell which record it changes (and its order per record)';

/**
 * POSTs change events to a receiver, each signed per Standard Webhooks with the event's version
 * as its webhook-id. Delivery, its order per key, the request budget, Retry-After and the
 * classification of answers are the HTTP layer's (../http): a batch the receiver refuses in part
 * comes back as `failed` outcomes with its answer (dead letters); while it fails otherwise, the
 * batch is thrown as retriable and the runtime sends the undelivered rest again, with the same ids.
 */
export class WebhookSink implements Sink {
  readonly name: string;
  readonly #config: WebhookSinkConfig;
  readonly #path: string;
  readonly #abort = new AbortController();
  readonly #target: HttpTarget;
  readonly #delivered = new DeliveredIds(DELIVERED_MEMO);
  #key: KeyObject | undefined;

  /** `rateLimitWaits`: told how long deliveries wait for the request budget (metrics). */
  constructor(config: WebhookSinkConfig, path: string, rateLimitWaits?: WaitRecorder) {
    this.name = config.name;
    this.#config = config;
    this.#path = path;
    this.#target = new HttpTarget({
      name: `webhook ${config.name}`,
      url: config.url,
      ...(config.requests ? { budget: budgetOf(config.requests) } : {}),
      ...(rateLimitWaits ? { rateLimitWaits } : {}),
      timeoutMs: config.timeout_ms,
      concurrency: config.concurrency,
      signal: this.#abort.signal,
    });
  }

  get counters() {
    return this.#target.counters;
  }

  async start(): Promise<void> {
    const secret = await resolveSecret(this.#config.secret, { path: `${this.#path}.secret` });
    this.#key = signingKey(secret, `${this.#path}.secret`);
  }

  async write(events: readonly SinkEvent[]): Promise<WriteOutcome[]> {
    const outcomes: WriteOutcome[] = [];
    // A truncate concerns every record of its table: what comes before it is delivered first.
    for (const segment of truncateSegments(events)) outcomes.push(...(await this.#deliver(segment)));
    // Every event of the batch is settled: the next call brings others (a retry would have thrown).
    this.#delivered.clear();
    return outcomes;
  }

  async close(): Promise<void> {
    this.#abort.abort(new Error(`sink ${this.name} closed`));
  }

  async #deliver(events: readonly SinkEvent[]): Promise<WriteOutcome[]> {
    const keyless = events.some(isKeyless);
    const sendable = keyless ? events.filter((event) => !isKeyless(event)) : events;
    const sent =
      this.#config.batch.max_events === 1
        ? await this.#deliverOneByOne(sendable)
        : await this.#deliverInBatches(sendable);
    if (!keyless) return sent;
    let next = 0;
    return events.map((event) => (isKeyless(event) ? NO_KEY : sent[next++]!));
  }

  #deliverOneByOne(events: readonly SinkEvent[]): Promise<WriteOutcome[]> {
    // Each body made once, as the bytes that are both signed and sent; its id and key serve the
    // delivery order and the memo as well.
    const requests = events.map((event): EventIdentity & { readonly body: Buffer } => {
      const identity = eventIdentity(event);
      const body = Buffer.from(JSON.stringify(cloudEvent(event, identity)));
      return { id: identity.id, key: identity.key, body };
    });
    return deliverBatch(requests, {
      idOf: (request) => request.id,
      keyOf: (request) => request.key,
      concurrency: this.#config.concurrency,
      delivered: this.#delivered,
      send: (request) => this.#post(request.id, request.body, ONE),
    });
  }

  /**
   * Consecutive chunks of up to max_events, one request after the other (so one key's changes
   * stay in order across chunks). A chunk the receiver refuses is sent again event by event, as
   * one-element batches, so that only the events it refuses are dead-lettered.
   */
  async #deliverInBatches(events: readonly SinkEvent[]): Promise<WriteOutcome[]> {
    const size = this.#config.batch.max_events;
    const chunks = Array.from({ length: Math.ceil(events.length / size) }, (_, i) =>
      events.slice(i * size, (i + 1) * size),
    );
    const chunkOutcomes = await this.#deliverChunks(chunks);
    const outcomes: WriteOutcome[] = [];
    for (const [index, chunk] of chunks.entries()) {
      const outcome = chunkOutcomes[index]!;
      if (outcome.kind !== 'failed' || chunk.length === 1) outcomes.push(...chunk.map(() => outcome));
      else outcomes.push(...(await this.#deliverChunks(chunk.map((event) => [event]))));
    }
    return outcomes;
  }

  #deliverChunks(chunks: readonly (readonly SinkEvent[])[]): Promise<WriteOutcome[]> {
    const idOf = (chunk: readonly SinkEvent[]) => batchId(chunk.map(eventId));
    return deliverBatch(chunks, {
      idOf,
      keyOf: () => 'in order',
      concurrency: 1,
      delivered: this.#delivered,
      send: (chunk) =>
        this.#post(idOf(chunk), Buffer.from(JSON.stringify(chunk.map((event) => cloudEvent(event)))), MANY),
    });
  }

  #post(id: string, body: Buffer, contentType: string): Promise<unknown> {
    if (!this.#key) throw new Error(`sink ${this.name} was not started`);
    // Signed at each attempt: receivers refuse timestamps more than a few minutes old.
    return this.#target.request({
      method: 'POST',
      headers: { 'content-type': contentType, ...signedHeaders(this.#key, id, body, Date.now()) },
      body,
    });
  }
}

const NO_KEY: WriteOutcome = Object.freeze({ kind: 'failed', reason: NO_KEY_REASON });

/** A row change without a key: the receiver could not tell which record it changes. */
function isKeyless(event: SinkEvent): boolean {
  if (event.op === 't') return false;
  for (const _ in event.key) return false;
  return true;
}

/** The events split so that every truncate stands alone, in order (the batch itself when it has none). */
function truncateSegments(events: readonly SinkEvent[]): (readonly SinkEvent[])[] {
  if (!events.some((event) => event.op === 't')) return [events];
  const segments: SinkEvent[][] = [[]];
  for (const event of events) {
    if (event.op === 't') segments.push([event], []);
    else segments.at(-1)!.push(event);
  }
  return segments.filter((segment) => segment.length > 0);
}
