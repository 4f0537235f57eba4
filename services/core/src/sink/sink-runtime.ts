import { SpanKind } from '@opentelemetry/api';
import {
  Kafka,
  logLevel,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type KafkaMessage,
  type Message,
  type Producer,
} from 'kafkajs';
import CircuitBreaker from 'opossum';
import pRetry, { AbortError } from 'p-retry';
import pThrottle from 'p-throttle';
import { deadLetterHeaders, dlqTopic, type DeadLetterReason } from '../dead-letter.ts';
import { CdcError, errorMessage } from '../errors.ts';
import { PoisonError, RegistryCodec } from '../registry-codec.ts';
import { endRecordSpans, startRecordSpan, type RecordSpan } from '../tracing.ts';
import { LatencyWindow } from './latency-window.ts';
import { toSinkEvent } from './sink-event.ts';
import type { Sink, SinkConflict, SinkEvent, SinkRow, WriteOutcome } from './sink.ts';

export const SINK_TRACER = '@cdc/sink';

export interface SinkRuntimeOptions {
  readonly sink: Sink;
  readonly topics: readonly string[];
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  /** Consumer group; default `cdc-sink.<sink name>` (replay and verify address it by that name). */
  readonly groupId?: string;
  /** Back-off between attempts of a batch that failed for a retriable reason: jittered exponential. */
  readonly retry?: { readonly minMs?: number; readonly maxMs?: number };
  /** At most this many `write` calls per second (SaaS targets have quotas); default unlimited. */
  readonly writesPerSecond?: number;
  /** The breaker opens after this many consecutive failed writes and tries again after `resetMs`. */
  readonly breaker?: { readonly failures?: number; readonly resetMs?: number };
  /**
   * Batches of different partitions written at the same time (default 3): while one waits for the
   * target, the next is decoded. Each partition's batches still come one after the other, in order.
   */
  readonly partitionsConcurrently?: number;
  /** Upper bound of bytes fetched per partition and batch (kafkajs maxBytesPerPartition); default 1 MiB. */
  readonly maxBytesPerPartition?: number;
  readonly onEvent?: (event: SinkRuntimeEvent) => void;
}

export type SinkRuntimeEvent =
  | { readonly kind: 'running' }
  | { readonly kind: 'retrying'; readonly error: unknown; readonly delayMs: number }
  | { readonly kind: 'breaker'; readonly state: 'open' | 'half-open' | 'closed' }
  | { readonly kind: 'stopped' };

export interface SinkCounters {
  consumed: number;
  written: number;
  /** Not applied: the target already held this version or a newer one (replays, duplicates). */
  stale: number;
  /** Left as the target has it, by conflict policy. */
  skipped: number;
  failed: number;
  conflicts: number;
  tombstones: number;
  batches: number;
  retries: number;
}

export interface SinkMetrics {
  readonly counters: SinkCounters;
  /** Records behind the head of the topics, summed over partitions, as of the last batch. */
  readonly lagRecords: number;
  /** Commit at the source -> written here, over the last written events. */
  readonly latencyMs: { readonly p50: number | undefined; readonly p99: number | undefined };
  readonly breaker: 'closed' | 'open' | 'half-open';
  readonly lastError: string | undefined;
}

/** Header names of a conflict record on `<topic>.conflicts`. */
export const CONFLICT_TOPIC_SUFFIX = '.conflicts';

/**
 * Runs one sink: consumes its topics in a consumer group, decodes each batch with the registry,
 * calls the sink's `write` once per attempt, and owns everything around it: retries with
 * jittered back-off while the failure is retriable (a target that is away is waited for, never
 * dead-lettered), a rate limit, a circuit breaker, dead letters for records that can never be
 * written, conflict records, offset commits only after a successful write, metrics and spans.
 */
export class SinkRuntime {
  readonly counters: SinkCounters = {
    consumed: 0,
    written: 0,
    stale: 0,
    skipped: 0,
    failed: 0,
    conflicts: 0,
    tombstones: 0,
    batches: 0,
    retries: 0,
  };
  readonly groupId: string;
  readonly #options: SinkRuntimeOptions;
  readonly #codec: RegistryCodec;
  readonly #admin: Admin;
  readonly #consumer: Consumer;
  readonly #producer: Producer;
  readonly #breaker: CircuitBreaker<[readonly SinkEvent[]], WriteOutcome[]>;
  readonly #latency = new LatencyWindow();
  readonly #lag = new Map<string, number>();
  readonly #abort = new AbortController();
  // kafkajs' idempotent producer must never have two sends under way (their sequence numbers would
  // interleave): the dead letters and conflicts of concurrent batches are sent one after the other.
  #sends: Promise<void> = Promise.resolve();
  #breakerState: SinkMetrics['breaker'] = 'closed';
  #lastError: string | undefined;
  #ready = false;
  #stopping = false;
  #resolveDone!: () => void;
  #rejectDone!: (error: unknown) => void;
  readonly done: Promise<void>;

  constructor(options: SinkRuntimeOptions) {
    this.#options = options;
    this.groupId = options.groupId ?? `cdc-sink.${options.sink.name}`;
    this.#codec = new RegistryCodec(options.registryUrl);
    const kafka = new Kafka({
      brokers: [...options.brokers],
      clientId: `cdc-sink-${options.sink.name}`,
      logLevel: logLevel.NOTHING,
    });
    this.#admin = kafka.admin();
    this.#consumer = kafka.consumer({
      groupId: this.groupId,
      readUncommitted: false, // never write what an aborted processor transaction produced
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1024 * 1024,
      retry: { initialRetryTime: 300, maxRetryTime: 30_000, retries: 8 },
    });
    this.#producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    const write = (events: readonly SinkEvent[]) => options.sink.write(events);
    const limited = options.writesPerSecond
      ? pThrottle({ limit: options.writesPerSecond, interval: 1000 })(write)
      : write;
    this.#breaker = new CircuitBreaker(limited, {
      timeout: false, // a slow target is not a failed one: the sink's own client timeouts decide
      resetTimeout: options.breaker?.resetMs ?? 10_000,
      rollingCountTimeout: 60_000,
      volumeThreshold: options.breaker?.failures ?? 5,
      errorThresholdPercentage: 100,
      // A refused batch says nothing about the target's health.
      errorFilter: (error: unknown) => !isRetriable(error),
    });
    this.#breaker.on('open', () => this.#setBreaker('open'));
    this.#breaker.on('halfOpen', () => this.#setBreaker('half-open'));
    this.#breaker.on('close', () => this.#setBreaker('closed'));
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    this.done.catch(() => undefined);
  }

  get ready(): boolean {
    return this.#ready;
  }

  metrics(): SinkMetrics {
    return {
      counters: { ...this.counters },
      lagRecords: [...this.#lag.values()].reduce((sum, lag) => sum + lag, 0),
      latencyMs: { p50: this.#latency.percentile(50), p99: this.#latency.percentile(99) },
      breaker: this.#breakerState,
      lastError: this.#lastError,
    };
  }

  async start(): Promise<void> {
    await this.#options.sink.start();
    await this.#admin.connect();
    await this.#ensureSideTopics();
    await this.#producer.connect();
    await this.#consumer.connect();
    this.#consumer.on(this.#consumer.events.CRASH, ({ payload }) => {
      this.#lastError = errorMessage(payload.error);
      if (!payload.restart) this.#rejectDone(payload.error);
    });
    await this.#consumer.subscribe({ topics: [...this.#options.topics], fromBeginning: true });
    await this.#consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: this.#options.partitionsConcurrently ?? 3,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
    this.#ready = true;
    this.#options.onEvent?.({ kind: 'running' });
  }

  /** Finishes the batch in hand (or abandons its retries uncommitted), then closes. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopping) return this.done;
    this.#stopping = true;
    this.#ready = false;
    this.#abort.abort(new AbortError('the sink is stopping'));
    try {
      await this.#consumer.disconnect();
      await this.#producer.disconnect();
      await this.#admin.disconnect();
      this.#breaker.shutdown();
      await this.#options.sink.close();
      this.#options.onEvent?.({ kind: 'stopped' });
      this.#resolveDone();
    } catch (error) {
      this.#rejectDone(error);
    }
    return this.done;
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const last = batch.messages.at(-1);
    if (!last || !payload.isRunning() || payload.isStale()) return;
    const deadLetters: Message[] = [];
    const conflicts: Message[] = [];
    const events: SinkEvent[] = [];
    const spans: RecordSpan[] = [];
    const sources: Array<{ key: Buffer | null; value: Buffer | null; headers: Record<string, string> }> = [];

    await this.#codec.load(schemaIds(batch.messages));
    const name = this.#options.sink.name;
    const spanName = `cdc.sink ${name}`;
    const partitionId = String(batch.partition);
    for (const message of batch.messages) {
      if (message.value === null) {
        this.counters.tombstones += 1; // the delete before it did the work
        continue;
      }
      const headers = stringHeaders(message.headers);
      const place = { topic: batch.topic, partition: batch.partition, offset: message.offset, headers };
      const traced = startRecordSpan(
        SINK_TRACER,
        spanName,
        SpanKind.CONSUMER,
        {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': batch.topic,
          'messaging.destination.partition.id': partitionId,
          'messaging.kafka.offset': Number(message.offset),
          'cdc.sink': name,
        },
        headers,
      );
      try {
        const key = message.key ? (this.#codec.decode(message.key).value as SinkRow) : null;
        const event = toSinkEvent(key, this.#codec.decode(message.value).value, {
          ...place,
          headers: traced.headers,
        });
        events.push(event);
        spans.push(traced);
        sources.push({ key: message.key, value: message.value, headers: traced.headers });
      } catch (error) {
        const rule = error instanceof PoisonError ? 'decode' : 'sink';
        deadLetters.push(
          this.#deadLetter(
            place,
            message.key,
            message.value,
            { rule, field: null, message: errorMessage(error) },
            traced.headers,
          ),
        );
        endRecordSpans([traced], error);
      }
    }

    const outcomes = await this.#writeWithRetry(events, payload).catch((error: unknown) => {
      endRecordSpans(spans, error);
      throw error; // not committed: the batch comes again (after a restart or a rebalance)
    });

    const writtenAtMs = Date.now();
    outcomes.forEach((outcome, i) => {
      const event = events[i] as SinkEvent;
      const source = sources[i] as (typeof sources)[number];
      this.#count(outcome, event, writtenAtMs);
      if (outcome.kind === 'failed') {
        deadLetters.push(
          this.#deadLetter(
            event,
            source.key,
            source.value,
            { rule: 'sink', field: null, message: outcome.reason },
            source.headers,
          ),
        );
      }
      if ('conflict' in outcome && outcome.conflict)
        conflicts.push(this.#conflictRecord(event, source, outcome.conflict));
    });
    const topicMessages = [
      ...(deadLetters.length > 0 ? [{ topic: dlqTopic(batch.topic), messages: deadLetters }] : []),
      ...(conflicts.length > 0
        ? [{ topic: `${batch.topic}${CONFLICT_TOPIC_SUFFIX}`, messages: conflicts }]
        : []),
    ];
    if (topicMessages.length > 0) await this.#send(topicMessages);
    const next = (BigInt(last.offset) + 1n).toString();
    await this.#consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
    payload.resolveOffset(last.offset);
    endRecordSpans(spans);
    this.counters.consumed += batch.messages.length;
    this.counters.batches += 1;
    this.#lag.set(
      `${batch.topic}/${batch.partition}`,
      Math.max(0, Number(batch.highWatermark) - Number(next)),
    );
    await payload.heartbeat();
  }

  /**
   * Retries the whole batch while the failure is retriable (the target or the network is away)
   * and the partition is still ours. A batch the target refuses outright is written event by
   * event, so that only the events it refuses become dead letters.
   */
  async #writeWithRetry(events: readonly SinkEvent[], payload: EachBatchPayload): Promise<WriteOutcome[]> {
    if (events.length === 0) return [];
    try {
      return await this.#attempts(events, payload);
    } catch (error) {
      if (isRetriable(error) || events.length === 1) throw error;
    }
    const outcomes: WriteOutcome[] = [];
    for (const event of events) {
      try {
        outcomes.push(...(await this.#attempts([event], payload)));
      } catch (error) {
        if (isRetriable(error)) throw error;
        outcomes.push({ kind: 'failed', reason: errorMessage(error) });
      }
    }
    return outcomes;
  }

  #attempts(events: readonly SinkEvent[], payload: EachBatchPayload): Promise<WriteOutcome[]> {
    return pRetry(
      async () => {
        if (!payload.isRunning() || payload.isStale())
          throw new AbortError('the partition was revoked or the sink stops');
        const outcomes = await this.#breaker.fire(events);
        if (outcomes.length !== events.length) {
          throw new CdcError(
            'SINK_CONTRACT',
            `sink ${this.#options.sink.name} returned ${outcomes.length} outcomes for ${events.length} events`,
          );
        }
        return outcomes;
      },
      {
        retries: Number.POSITIVE_INFINITY,
        factor: 2,
        minTimeout: this.#options.retry?.minMs ?? 200,
        maxTimeout: this.#options.retry?.maxMs ?? 10_000,
        randomize: true,
        signal: this.#abort.signal,
        shouldRetry: ({ error }) => isRetriable(error),
        onFailedAttempt: async ({ error, retryDelay }) => {
          if (!isRetriable(error)) return;
          this.counters.retries += 1;
          this.#lastError = errorMessage(error);
          this.#options.onEvent?.({ kind: 'retrying', error, delayMs: retryDelay });
          await payload.heartbeat().catch(() => undefined); // keep the partition while waiting
        },
      },
    );
  }

  /** One sendBatch at a time, in the order asked; a failed send does not stop the next. */
  #send(topicMessages: { topic: string; messages: Message[] }[]): Promise<void> {
    const sent = this.#sends.then(async () => {
      await this.#producer.sendBatch({ topicMessages, acks: -1 });
    });
    this.#sends = sent.catch(() => undefined);
    return sent;
  }

  #count(outcome: WriteOutcome, event: SinkEvent, writtenAtMs: number): void {
    switch (outcome.kind) {
      case 'written':
        this.counters.written += 1;
        this.#latency.add(Math.max(0, writtenAtMs - event.commitTimeMs));
        break;
      case 'stale':
        this.counters.stale += 1;
        break;
      case 'skipped':
        this.counters.skipped += 1;
        break;
      case 'failed':
        this.counters.failed += 1;
        break;
    }
    if ('conflict' in outcome && outcome.conflict) this.counters.conflicts += 1;
  }

  #deadLetter(
    place: { topic: string; partition: number; offset: string },
    key: Buffer | null,
    value: Buffer | null,
    reason: DeadLetterReason,
    headers: Record<string, string>,
  ): Message {
    return {
      key,
      value,
      partition: place.partition,
      headers: deadLetterHeaders(this.#options.sink.name, place, [reason], headers),
    };
  }

  /** Conflicts are JSON, for people and review tools: both sides, the policy and what was done. */
  #conflictRecord(
    event: SinkEvent,
    source: { key: Buffer | null; headers: Record<string, string> },
    conflict: SinkConflict,
  ): Message {
    const body = {
      sink: this.#options.sink.name,
      topic: event.topic,
      partition: event.partition,
      offset: event.offset,
      key: event.key,
      version: { commit_lsn: event.version.commitLsn, seq: event.version.seq },
      policy: conflict.policy,
      resolution: conflict.resolution,
      changed_fields: conflict.changedFields,
      target: conflict.target,
      source: conflict.source,
      detected_at: new Date().toISOString(),
    };
    return {
      key: source.key,
      value: JSON.stringify(body, (_k, v: unknown) =>
        typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('base64') : v,
      ),
      partition: event.partition,
      headers: source.headers,
    };
  }

  /** Dead-letter and conflict topics, with the partition count of the topic they serve. */
  async #ensureSideTopics(): Promise<void> {
    const metadata = await this.#admin
      .fetchTopicMetadata({ topics: [...this.#options.topics] })
      .catch(() => undefined);
    const existing = new Set(await this.#admin.listTopics());
    const create = (metadata?.topics ?? []).flatMap((topic) =>
      [dlqTopic(topic.name), `${topic.name}${CONFLICT_TOPIC_SUFFIX}`]
        .filter((name) => !existing.has(name))
        .map((name) => ({ topic: name, numPartitions: topic.partitions.length })),
    );
    if (create.length > 0) await this.#admin.createTopics({ topics: create, waitForLeaders: true });
  }

  #setBreaker(state: SinkMetrics['breaker']): void {
    this.#breakerState = state;
    this.#options.onEvent?.({ kind: 'breaker', state });
  }
}

/**
 * Whether trying again may help. Sinks say so on their errors (`retriable`, as CdcError does);
 * the open breaker's refusal is retriable; anything else is a refusal of the batch, which is
 * then written event by event so that only the refused events become dead letters.
 */
export function isRetriable(error: unknown): boolean {
  if ((error as { code?: unknown }).code === 'EOPENBREAKER') return true;
  return (error as { retriable?: unknown }).retriable === true;
}

/** The registry ids of the keys and values in the registry's wire format (others are poison, found later). */
function schemaIds(messages: readonly KafkaMessage[]): Set<number> {
  const ids = new Set<number>();
  for (const { key, value } of messages) {
    if (key && key[0] === 0 && key.length >= 5) ids.add(key.readUInt32BE(1));
    if (value && value[0] === 0 && value.length >= 5) ids.add(value.readUInt32BE(1));
  }
  return ids;
}

function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}
