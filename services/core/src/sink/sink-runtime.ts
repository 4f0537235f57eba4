import type { Admin, EachBatchPayload, Message } from 'kafkajs';
import { AbortError } from 'p-retry';
import { dlqTopic } from '../dead-letter.ts';
import { CdcError } from '../errors.ts';
import { needsOperator, reasonOf } from '../failure.ts';
import { describeKafka, serviceKafka } from '../kafka/client.ts';
import { sinkClientId, sinkGroupId } from '../kafka/group-names.ts';
import { withHeartbeats } from '../kafka/heartbeat.ts';
import { kafkaFailure } from '../kafka/kafka-failure.ts';
import { DEFAULT_FETCH_BYTES_PER_PARTITION } from '../kafka/kafka-request-size.ts';
import { LazyProducer } from '../kafka/lazy-producer.ts';
import { mirrorFailures } from '../metrics/mirrors.ts';
import { ServiceMetrics } from '../metrics/service-metrics.ts';
import { settleWithin, SupervisedConsumer } from '../kafka/supervised-consumer.ts';
import { Readiness, type WaitEvent } from '../readiness.ts';
import { RegistryCodec } from '../registry-codec.ts';
import { endRecordSpans } from '../tracing.ts';
import { DEFAULT_BACKOFF, establishAll, retrying, type Backoff, type WaitContext } from '../waiting.ts';
import { BatchWriter } from './batch-writer.ts';
import { CONFLICT_TOPIC_SUFFIX, ensureSideTopics, sideRecordsOf } from './side-records.ts';
import {
  SinkTally,
  mirrorBreaker,
  rateLimitClock,
  type BreakerState,
  type SinkCounters,
  type SinkMetrics,
} from './sink-metrics.ts';
import { PartitionLanes } from './partition-lanes.ts';
import { decodeBatch, markOutcome, schemaIds, type DecodedBatch } from './sink-records.ts';
import type { Sink } from './sink.ts';

export interface SinkRuntimeOptions {
  readonly sink: Sink;
  readonly topics: readonly string[];
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  /** How messages name Kafka and the registry; default the pipeline file's shared settings. */
  readonly settings?: { readonly kafka?: string; readonly registry?: string };
  /** Consumer group; default `cdc-sink.<sink name>` (replay and verify address it by that name). */
  readonly groupId?: string;
  /** Back-off between attempts while the target is away: jittered exponential. */
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
  /**
   * Where its metrics go (the catalog's sink metrics); default a registry of its own labelled with
   * the sink's name and kind `unknown`. runSink makes it, to give the sink's target the same.
   */
  readonly metrics?: ServiceMetrics;
  readonly onEvent?: (event: SinkRuntimeEvent) => void;
}

/** A decoded batch waiting for, or in, its partition's lane. */
interface LaneBatch extends DecodedBatch {
  readonly firstOffset: string;
  readonly lastOffset: string;
}

export type SinkRuntimeEvent =
  | { readonly kind: 'running' }
  | WaitEvent
  | { readonly kind: 'breaker'; readonly state: BreakerState }
  | { readonly kind: 'stopped' };

export type { SinkCounters, SinkMetrics };
export { CONFLICT_TOPIC_SUFFIX };

/**
 * Runs one sink: consumes its topics in a consumer group, decodes each batch with the registry,
 * hands it to the BatchWriter, and owns everything around it: dead letters for records that can
 * never be written, conflict records, offset commits only after a successful write, metrics and
 * spans. Nothing transient ends it: at start it waits for its topics and its target, while running
 * for the target, the registry and Kafka (its consumer is restarted in process), each reported on
 * `readiness`. Only a failure an operator must fix stops it (`done` rejects with it).
 */
export class SinkRuntime {
  readonly groupId: string;
  readonly readiness = new Readiness();
  /** Its metrics, for /metrics and OTLP: filled as it goes, gauges read before each scrape. */
  readonly serviceMetrics: ServiceMetrics;
  readonly #options: SinkRuntimeOptions;
  readonly #tally: SinkTally;
  readonly #codec: RegistryCodec;
  readonly #kafkaName: string;
  readonly #admin: Admin;
  readonly #consumer: SupervisedConsumer;
  // kafkajs' idempotent producer must never have two sends under way (their sequence numbers would
  // interleave): the dead letters and conflicts of concurrent batches are sent one after the other.
  readonly #producer: LazyProducer;
  readonly #writer: BatchWriter;
  readonly #lanes = new PartitionLanes();
  readonly #abort = new AbortController();
  readonly #wait: WaitContext;
  readonly #targetBackoff: Backoff;
  #sends: Promise<void> = Promise.resolve();
  #breakerState: BreakerState = 'closed';
  #lastError: string | undefined;
  #failure: unknown;
  #stopping = false;
  #resolveDone!: () => void;
  #rejectDone!: (error: unknown) => void;
  readonly done: Promise<void>;

  constructor(options: SinkRuntimeOptions) {
    this.#options = options;
    this.groupId = options.groupId ?? sinkGroupId(options.sink.name);
    this.serviceMetrics =
      options.metrics ?? new ServiceMetrics({ stage: 'sink', kind: 'unknown', service: options.sink.name });
    this.#tally = new SinkTally(this.serviceMetrics);
    mirrorFailures(this.serviceMetrics, () => this.readiness.snapshot().failuresByCode);
    mirrorBreaker(this.serviceMetrics, () => this.#breakerState);
    this.#codec = new RegistryCodec(options.registryUrl, options.settings?.registry);
    this.#kafkaName = describeKafka(options.brokers, options.settings?.kafka);
    const kafka = serviceKafka(options.brokers, sinkClientId(options.sink.name));
    this.#admin = kafka.admin();
    this.#targetBackoff = { minMs: options.retry?.minMs ?? 200, maxMs: options.retry?.maxMs ?? 10_000 };
    this.#producer = new LazyProducer(kafka, {
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    this.#wait = {
      readiness: this.readiness,
      signal: this.#abort.signal,
      backoff: DEFAULT_BACKOFF,
      onEvent: (event) => {
        if (event.kind === 'waiting') {
          this.#tally.retried();
          this.#lastError = event.reason;
        }
        options.onEvent?.(event);
      },
    };
    this.#writer = new BatchWriter({
      sink: options.sink,
      ...(options.writesPerSecond
        ? { writesPerSecond: options.writesPerSecond, rateLimitWaits: rateLimitClock(this.serviceMetrics) }
        : {}),
      ...(options.breaker ? { breaker: options.breaker } : {}),
      backoff: this.#targetBackoff,
      wait: this.#wait,
      onBreaker: (state) => {
        this.#breakerState = state;
        options.onEvent?.({ kind: 'breaker', state });
      },
    });
    this.#consumer = new SupervisedConsumer({
      kafka,
      kafkaName: this.#kafkaName,
      config: {
        groupId: this.groupId,
        readUncommitted: false, // never write what an aborted processor transaction produced
        // Batches heartbeat while they wait (withHeartbeats), so a short session is safe, and a
        // member that died (a crash, a broker restart) holds its partitions up for 10 s only.
        sessionTimeout: 10_000,
        heartbeatInterval: 3_000,
        maxBytesPerPartition: options.maxBytesPerPartition ?? DEFAULT_FETCH_BYTES_PER_PARTITION,
      },
      topics: options.topics,
      run: {
        autoCommit: false,
        partitionsConsumedConcurrently: options.partitionsConcurrently ?? 3,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.#eachBatch(payload),
      },
      prepare: () => this.#prepareTopics(),
      wait: this.#wait,
      onFatal: (error) => this.#fail(error),
    });
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    this.done.catch(() => undefined);
  }

  get counters(): SinkCounters {
    return this.#tally.counters;
  }

  /** Consuming, and nothing waited for. */
  get ready(): boolean {
    return this.readiness.notReady() === undefined;
  }

  metrics(): SinkMetrics {
    return {
      counters: { ...this.#tally.counters },
      lagRecords: this.#tally.lagRecords(),
      latencyMs: this.#tally.latencyMs(),
      breaker: this.#breakerState,
      lastError: this.#lastError,
      readiness: this.readiness.snapshot(),
    };
  }

  /**
   * Resolves once the sink consumes: after its target has started and its topics exist, waiting
   * for each as long as it takes (stop() ends the wait). Rejects on a failure an operator must fix.
   */
  async start(): Promise<void> {
    try {
      await establishAll(
        [
          { dependency: 'target', establish: () => this.#options.sink.start() },
          { dependency: 'topics', establish: () => this.#prepareTopics() },
        ],
        { ...this.#wait, backoff: this.#targetBackoff },
      );
      await this.#consumer.start();
    } catch (error) {
      if (this.#stopping) return; // stopped while waiting
      this.#fail(error);
      throw error;
    }
    if (this.#stopping) return;
    this.readiness.running();
    this.#options.onEvent?.({ kind: 'running' });
  }

  /** Finishes the writes under way (or abandons their retries uncommitted), then closes. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopping) return this.done;
    this.#stopping = true;
    this.readiness.stopping();
    this.#abort.abort(new AbortError('the sink is stopping'));
    try {
      // Their commits need the consumer: before it leaves the group. No write starts once stopping.
      await this.#lanes.settled();
      await this.#consumer.stop();
      await this.#sends;
      await this.#producer.discard();
      await settleWithin(this.#admin.disconnect(), 10_000);
      this.#writer.shutdown();
      await this.#options.sink.close();
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

  /** The topics exist (else TOPIC_MISSING, waited for), and so do their dead-letter and conflict topics. */
  async #prepareTopics(): Promise<void> {
    const { topics } = this.#options;
    try {
      await this.#admin.connect();
      const existing = new Set(await this.#admin.listTopics());
      const missing = topics.filter((topic) => !existing.has(topic));
      if (missing.length > 0) {
        throw new CdcError(
          'TOPIC_MISSING',
          `waiting for topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} to exist (is the service that writes ${missing.length > 1 ? 'them' : 'it'} running?)`,
          {
            retriable: true,
            fix: 'start the source or processor that writes the topic, or correct sinks[].topics',
          },
        );
      }
      await ensureSideTopics(this.#admin, topics);
    } catch (error) {
      throw kafkaFailure(this.#kafkaName, error, 'preparing the topics');
    }
  }

  /**
   * Decodes the batch, waits for its partition's previous batch to be written, then starts its
   * write and returns: kafkajs fetches the next batches while this one is written (PartitionLanes).
   * Its offset is resolved for kafkajs' fetching only; it is committed after the write (#write),
   * and a write that cannot finish sends the partition back to this batch (#writeInLane).
   */
  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    try {
      await withHeartbeats(
        () => payload.heartbeat(),
        async () => {
          const decoded = await this.#decode(payload);
          await this.#lanes.previous(batch.topic, batch.partition);
          if (!decoded) return;
          // Stale: the write before this one failed and the partition is read again from it.
          if (this.#stopping || !payload.isRunning() || payload.isStale()) {
            endRecordSpans(decoded.records.map((record) => record.span));
            return;
          }
          this.#lanes.start(batch.topic, batch.partition, () => this.#writeInLane(payload, decoded));
          payload.resolveOffset(decoded.lastOffset);
        },
      );
    } catch (error) {
      // Not resolved: the batch comes again (kafkajs retries it, or the next consumer reads it).
      if (needsOperator(error)) this.#fail(error);
      throw error;
    }
  }

  async #decode(payload: EachBatchPayload): Promise<LaneBatch | undefined> {
    const { batch } = payload;
    const first = batch.messages[0];
    const last = batch.messages.at(-1);
    if (!first || !last || !payload.isRunning() || payload.isStale()) return undefined;
    await retrying(() => this.#codec.load(schemaIds(batch.messages)), {
      ...this.#wait,
      dependency: () => 'registry',
      giveUp: () => (!payload.isRunning() || payload.isStale() ? 'the partition was revoked' : undefined),
    });
    const decoded = decodeBatch(this.#options.sink.name, this.#codec, batch);
    return { ...decoded, firstOffset: first.offset, lastOffset: last.offset };
  }

  /** The batch's write in its partition's lane: a failure is handled here, not by kafkajs. */
  async #writeInLane(payload: EachBatchPayload, decoded: LaneBatch): Promise<void> {
    const { topic, partition } = payload.batch;
    try {
      await withHeartbeats(
        () => payload.heartbeat(),
        () => this.#write(payload, decoded),
      );
    } catch (error) {
      if (needsOperator(error)) {
        this.#fail(error);
        return;
      }
      // Not committed: the partition is read again from this batch (kafkajs marks what it fetched
      // meanwhile stale, and the next batch of the lane sees it).
      this.#lastError = reasonOf(error);
      this.#consumer.seek(topic, partition, decoded.firstOffset);
    }
  }

  async #write(payload: EachBatchPayload, decoded: LaneBatch): Promise<void> {
    const { batch } = payload;
    const { records, deadLetters, tombstones } = decoded;
    const spans = records.map((record) => record.span);
    this.#tally.writing(batch.topic, batch.partition, batch.messages.length);
    const startedMs = performance.now();
    const outcomes = await this.#writer
      .write(
        records.map((record) => record.event),
        payload,
      )
      .catch((error: unknown) => {
        endRecordSpans(spans, error);
        throw error;
      });

    if (records.length > 0) this.#tally.wrote(records.length, (performance.now() - startedMs) / 1000);
    const writtenAtMs = Date.now();
    outcomes.forEach((outcome, i) => {
      const record = records[i]!;
      this.#tally.count(outcome, record.event, writtenAtMs);
      markOutcome(record, outcome);
    });
    const side = sideRecordsOf(this.#options.sink.name, batch.topic, records, outcomes, deadLetters);
    const next = (BigInt(decoded.lastOffset) + 1n).toString();
    try {
      if (side.topicMessages.length > 0) await this.#send(side.topicMessages);
      this.#tally.deadLettered(dlqTopic(batch.topic), side.deadLetters);
      await payload.commitOffsetsIfNecessary({
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
      });
    } catch (error) {
      endRecordSpans(spans, error);
      throw kafkaFailure(this.#kafkaName, error, 'writing dead letters and offsets');
    }
    endRecordSpans(spans);
    this.#tally.counters.tombstones += tombstones;
    // kafkajs' lag counts from the batch's last offset, commit markers included: a topic a
    // processor wrote ends in one, which `hw - next` would show as lag for good.
    this.#tally.committed(batch.topic, batch.partition, batch.messages.length, batch.offsetLag());
  }

  /** One sendBatch at a time, in the order asked; a failed send replaces the producer and does not stop the next. */
  #send(topicMessages: { topic: string; messages: Message[] }[]): Promise<void> {
    const sent = this.#sends.then(async () => {
      try {
        const producer = await this.#producer.get();
        await producer.sendBatch({ topicMessages, acks: -1 });
      } catch (error) {
        await this.#producer.discard();
        throw error;
      }
    });
    this.#sends = sent.catch(() => undefined);
    return sent;
  }
}
