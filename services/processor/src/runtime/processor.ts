import type { Admin, EachBatchPayload, Message } from 'kafkajs';
import { AbortError } from 'p-retry';
import {
  DEFAULT_BACKOFF,
  DEFAULT_FETCH_BYTES_PER_PARTITION,
  DEFAULT_SEND_BUDGET,
  MAX_RECORDS_PER_REQUEST,
  Readiness,
  ServiceMetrics,
  SupervisedConsumer,
  deadLetterHeaders,
  endRecordSpans,
  describeKafka,
  dlqTopic,
  kafkaFailure,
  needsOperator,
  processorClientId,
  processorGroupId,
  reasonOf,
  resolved,
  retrying,
  serviceKafka,
  settleWithin,
  splitRequests,
  stringHeaders,
  waited,
  withHeartbeats,
  type Dependency,
  type ErrorCode,
  type FailureCounts,
  type Phase,
  type RecordSpan,
  type WaitContext,
  type WaitEvent,
  type Waiting,
} from '@cdc/core';
import type { EventHandler, InputEvent } from './handler.ts';
import { prepareTopics } from './output-topics.ts';
import { ProcessorMetrics } from './processor-metrics.ts';
import { AtLeastOnceWriter, ExactlyOnceWriter, type OutputWriter } from './output-writers.ts';
import { startEventSpan } from './tracing.ts';
import { unprocessed } from './transaction-recovery.ts';

export type DeliveryMode = 'exactly_once' | 'at_least_once';

export interface ProcessorOptions {
  /** The processor's name: its consumer group (unless `groupId`), span names and dead-letter headers. */
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly brokers: readonly string[];
  /** How messages name Kafka; default the pipeline file's `kafka.brokers, or KAFKA_BROKERS`. */
  readonly kafkaSetting?: string;
  readonly handler: EventHandler;
  /**
   * exactly_once: outputs and the input offsets are written in one Kafka transaction (one
   * transactional id per input partition, the fencing model kafkajs supports); readers must use
   * read_committed. at_least_once: outputs first, offsets after their acknowledgement.
   */
  readonly delivery: DeliveryMode;
  readonly groupId?: string;
  /** Upper bound of bytes fetched per partition and batch (kafkajs maxBytesPerPartition). */
  readonly maxBytesPerPartition?: number;
  /**
   * Where its metrics go (the catalog's processor metrics); default a registry of its own
   * labelled with the processor's name and kind `unknown`. runProcessor names the kind.
   */
  readonly metrics?: ServiceMetrics;
  readonly onEvent?: (event: ProcessorEvent) => void;
}

export type ProcessorEvent =
  { readonly kind: 'running'; readonly partitions: number } | WaitEvent | { readonly kind: 'stopped' };

export interface ProcessorCounters {
  consumed: number;
  forwarded: number;
  deadLettered: number;
  batches: number;
  /** Batches whose handling or writing failed and were tried again. */
  retries: number;
}

/** What the handler's retriable failures wait for: enrichment lookups wait for Redis, the rest for the registry. */
function handlerDependency(error: unknown): Dependency {
  const code = (error as { code?: ErrorCode } | null)?.code;
  return code === 'ENRICH_LOOKUP' || code === 'REDIS_UNAVAILABLE' ? 'redis' : 'registry';
}

/**
 * Runs one processor: consumes its input topic in a consumer group, hands each batch to the
 * handler, writes outputs and dead letters to the same partition number as the input (output
 * topics are created with the input's partition count, so per-key order and co-partitioning
 * hold), and only then commits the input offsets (in the same transaction under exactly_once).
 * Nothing transient ends it: it waits for its input topic and Kafka at start, for the registry
 * and Redis within a batch, and for Kafka while running (its consumer is restarted in process),
 * each reported on `readiness`. A failure only an operator can fix stops it (`done` rejects).
 */
export class ProcessorRuntime {
  readonly counters: ProcessorCounters = {
    consumed: 0,
    forwarded: 0,
    deadLettered: 0,
    batches: 0,
    retries: 0,
  };
  readonly readiness = new Readiness();
  /** Its metrics, for /metrics and OTLP. */
  readonly serviceMetrics: ServiceMetrics;
  readonly #metrics: ProcessorMetrics;
  readonly #options: ProcessorOptions;
  readonly #groupId: string;
  readonly #kafkaName: string;
  readonly #admin: Admin;
  readonly #consumer: SupervisedConsumer;
  readonly #writer: OutputWriter;
  readonly #abort = new AbortController();
  readonly #wait: WaitContext;
  #partitions = 0;
  #sendBudget = DEFAULT_SEND_BUDGET;
  #stopping = false;
  #lastError: string | undefined;
  #failure: unknown;
  #resolveDone!: () => void;
  #rejectDone!: (error: unknown) => void;
  readonly done: Promise<void>;

  constructor(options: ProcessorOptions) {
    this.#options = options;
    this.serviceMetrics =
      options.metrics ?? new ServiceMetrics({ stage: 'processor', kind: 'unknown', service: options.name });
    this.#metrics = new ProcessorMetrics(this.serviceMetrics, this.readiness);
    this.#groupId = options.groupId ?? processorGroupId(options.name);
    this.#kafkaName = describeKafka(options.brokers, options.kafkaSetting);
    const kafka = serviceKafka(options.brokers, processorClientId(options.name));
    this.#admin = kafka.admin();
    this.#writer =
      options.delivery === 'exactly_once'
        ? new ExactlyOnceWriter(kafka, this.#admin, this.#groupId, options.input)
        : new AtLeastOnceWriter(kafka);
    this.#wait = {
      readiness: this.readiness,
      signal: this.#abort.signal,
      backoff: DEFAULT_BACKOFF,
      onEvent: (event) => {
        if (event.kind === 'waiting') {
          this.#lastError = event.reason;
          this.#metrics.retried();
        }
        options.onEvent?.(event);
      },
    };
    this.#consumer = new SupervisedConsumer({
      kafka,
      kafkaName: this.#kafkaName,
      config: {
        groupId: this.#groupId,
        // read_committed (kafkajs' default): never process what an aborted transaction wrote.
        readUncommitted: false,
        maxBytesPerPartition: options.maxBytesPerPartition ?? DEFAULT_FETCH_BYTES_PER_PARTITION,
        // A crashed instance's partitions wait this long for a new owner; processors hold no state,
        // so a short timeout (kafkajs: 30 s) is cheap and shortens the gap.
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
      },
      topics: [options.input],
      run: {
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.#eachBatch(payload),
      },
      prepare: async () => {
        const prepared = await prepareTopics(this.#admin, this.#kafkaName, options.input, options.output);
        this.#partitions = prepared.partitions;
        this.#sendBudget = prepared.sendBudget;
      },
      wait: this.#wait,
      onFatal: (error) => this.#fail(error),
      onJoin: () => this.#writer.reassigned(),
    });
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    this.done.catch(() => undefined);
  }

  get status(): {
    ready: boolean;
    phase: Phase;
    notReady: string | undefined;
    waiting: readonly Waiting[];
    failuresByCode: FailureCounts;
    lastError: string | undefined;
  } {
    const { phase, notReady, waiting, failuresByCode } = this.readiness.snapshot();
    return {
      ready: notReady === undefined,
      phase,
      notReady,
      waiting,
      failuresByCode,
      lastError: this.#lastError,
    };
  }

  /**
   * Resolves once consuming: after the input topic exists (waiting for it as long as it takes;
   * stop() ends the wait) and the output and dead-letter topics are there. Rejects on a failure an
   * operator must fix (an output with too few partitions, a refused privilege).
   */
  async start(): Promise<void> {
    try {
      await this.#consumer.start();
    } catch (error) {
      if (this.#stopping) return; // stopped while waiting: there is nothing to consume
      this.#fail(error);
      throw error;
    }
    if (this.#stopping) return;
    this.readiness.running();
    this.#options.onEvent?.({ kind: 'running', partitions: this.#partitions });
  }

  /** Leaves the group after the batch in hand (its offsets committed), then closes. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopping) return this.done;
    this.#stopping = true;
    this.readiness.stopping();
    this.#abort.abort(new AbortError('the processor is stopping'));
    try {
      await this.#consumer.stop();
      await this.#writer.close();
      await settleWithin(this.#admin.disconnect(), 10_000);
      this.readiness.stopped();
      this.#options.onEvent?.({ kind: 'stopped' });
      if (this.#failure === undefined) this.#resolveDone();
      else this.#rejectDone(this.#failure);
    } catch (error) {
      this.#rejectDone(this.#failure ?? error);
    }
    return this.done;
  }

  /** A failure only an operator can fix: report it, stop, and end `done` with it. */
  #fail(error: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#lastError = reasonOf(error);
    this.readiness.failed(error);
    this.stop().catch(() => undefined); // `done` carries the failure
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    try {
      await withHeartbeats(
        () => payload.heartbeat(),
        () => this.#handleBatch(payload),
      );
    } catch (error) {
      if (error instanceof AbortError || this.#stopping) throw error;
      this.counters.retries += 1;
      if (needsOperator(error)) this.#fail(error);
      // kafkajs retries the batch from the consumer's position, then the consumer restarts.
      else
        waited(this.#wait, 'kafka', kafkaFailure(this.#kafkaName, error, 'writing the outputs'), undefined);
      throw error;
    }
  }

  async #handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const last = batch.messages.at(-1);
    if (!last || !payload.isRunning() || payload.isStale()) return;
    const committed = await this.#writer.settle(batch.topic, batch.partition);
    const messages = unprocessed(batch.messages, committed);
    if (messages.length === 0) {
      payload.resolveOffset(last.offset); // all of it was committed by a transaction we did not see end
      return;
    }
    const events: InputEvent[] = messages.map((m) => ({
      topic: batch.topic,
      partition: batch.partition,
      offset: m.offset,
      key: m.key,
      value: m.value,
      headers: stringHeaders(m.headers),
    }));
    const spans = events.map((e) =>
      startEventSpan(this.#options.name, e.topic, e.partition, e.offset, e.headers),
    );
    const startedMs = performance.now();
    this.#metrics.handling(batch.topic, batch.partition, events.length, batch.offsetLag());
    try {
      const outcomes = await retrying(() => this.#options.handler.handleBatch(events), {
        ...this.#wait,
        dependency: handlerDependency,
        giveUp: () => (!payload.isRunning() || payload.isStale() ? 'the partition was revoked' : undefined),
      });
      const outputs: Message[] = [];
      const deadLetters: Message[] = [];
      outcomes.forEach((outcome, i) => {
        const event = events[i] as InputEvent;
        const { headers } = spans[i] as RecordSpan;
        if (outcome.kind === 'forward') {
          outputs.push({ key: outcome.key, value: outcome.value, headers, partition: event.partition });
        } else {
          deadLetters.push({
            key: event.key,
            value: event.value,
            headers: deadLetterHeaders(this.#options.name, event, outcome.violations, headers),
            partition: event.partition,
          });
        }
      });
      const next = (BigInt(last.offset) + 1n).toString();
      const requests = splitRequests(
        [
          { topic: this.#options.output, messages: outputs },
          { topic: dlqTopic(this.#options.input), messages: deadLetters },
        ],
        this.#sendBudget,
        MAX_RECORDS_PER_REQUEST,
      );
      await this.#writer.write({ topic: batch.topic, partition: batch.partition, next, requests }, (offset) =>
        payload.commitOffsetsIfNecessary({
          topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }],
        }),
      );
      payload.resolveOffset(last.offset);
      endRecordSpans(spans);
      this.counters.consumed += events.length;
      this.counters.forwarded += outputs.length;
      this.counters.deadLettered += deadLetters.length;
      this.counters.batches += 1;
      this.#metrics.handled({
        topic: batch.topic,
        partition: batch.partition,
        records: events.length,
        forwarded: outputs.length,
        deadLetters: deadLetters.length,
        dlqTopic: dlqTopic(this.#options.input),
        seconds: (performance.now() - startedMs) / 1000,
        offsetLag: batch.offsetLag(),
      });
      resolved(this.#wait, 'kafka');
      await payload.heartbeat();
    } catch (error) {
      endRecordSpans(spans, error);
      throw error;
    }
  }
}
