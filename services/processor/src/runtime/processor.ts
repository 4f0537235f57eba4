import {
  Kafka,
  logLevel,
  type Admin,
  type ConfigResourceTypes,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type Message,
  type Producer,
  type TopicMessages,
} from 'kafkajs';
import { CdcError, deadLetterHeaders, dlqTopic, errorMessage } from '@cdc/core';
import type { EventHandler, InputEvent } from './handler.ts';
import { endEventSpans, startEventSpan, type EventSpan } from './tracing.ts';

export type DeliveryMode = 'exactly_once' | 'at_least_once';

export interface ProcessorOptions {
  /** The processor's name: its consumer group (unless `groupId`), span names and dead-letter headers. */
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly brokers: readonly string[];
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
  readonly onEvent?: (event: ProcessorEvent) => void;
}

export type ProcessorEvent =
  | { readonly kind: 'waiting-for-input'; readonly topic: string }
  | { readonly kind: 'running'; readonly partitions: number }
  | { readonly kind: 'retrying'; readonly error: unknown }
  | { readonly kind: 'stopped' };

export interface ProcessorCounters {
  consumed: number;
  forwarded: number;
  deadLettered: number;
  batches: number;
  /** Batches whose handling or writing failed and were tried again. */
  retries: number;
}

const WAIT_FOR_INPUT_MS = 2000;
// ConfigResourceTypes.TOPIC: kafkajs's enum is not a named export Node's ESM loader can see.
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
// The broker's default message.max.bytes, used when a topic's own limit cannot be read.
const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
// Room for the record batch header, the request's topic/partition framing and slack.
const BATCH_OVERHEAD_BYTES = 4096;
// kafkajs groups a request's records by partition in time quadratic in their number per partition
// (it copies the partition's array for every record), and all of a batch's records go to one partition.
// Capping requests at 1000 records cut the validator's CPU per event by about 10% (BENCHMARKS.md).
const MAX_RECORDS_PER_REQUEST = 1000;

/**
 * Runs one processor: consumes its input topic in a consumer group, hands each batch to the
 * handler, writes outputs and dead letters to the same partition number as the input (output
 * topics are created with the input's partition count, so per-key order and co-partitioning
 * hold), and only then commits the input offsets (in the same transaction under exactly_once).
 */
export class ProcessorRuntime {
  readonly counters: ProcessorCounters = {
    consumed: 0,
    forwarded: 0,
    deadLettered: 0,
    batches: 0,
    retries: 0,
  };
  readonly #options: ProcessorOptions;
  readonly #groupId: string;
  readonly #kafka: Kafka;
  readonly #admin: Admin;
  readonly #consumer: Consumer;
  /** at_least_once: one idempotent producer; exactly_once: one transactional producer per input partition. */
  readonly #producers = new Map<number | 'shared', Promise<Producer>>();
  /**
   * Bytes of records per produce request: a batch's outputs can outgrow its input (a transformer
   * adds fields), so one fetched batch may need several requests to stay under the topics' limit.
   */
  #sendBudget = DEFAULT_MAX_MESSAGE_BYTES - BATCH_OVERHEAD_BYTES;
  #stopping = false;
  #ready = false;
  #lastError: string | undefined;
  #resolveDone!: () => void;
  #rejectDone!: (error: unknown) => void;
  readonly done: Promise<void>;

  constructor(options: ProcessorOptions) {
    this.#options = options;
    this.#groupId = options.groupId ?? options.name;
    this.#kafka = new Kafka({
      brokers: [...options.brokers],
      clientId: `cdc-processor-${options.name}`,
      logLevel: logLevel.NOTHING,
    });
    this.#admin = this.#kafka.admin();
    this.#consumer = this.#kafka.consumer({
      groupId: this.#groupId,
      // read_committed (kafkajs' default): never process what an aborted transaction wrote.
      readUncommitted: false,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1024 * 1024,
      // A crashed instance's partitions wait this long for a new owner; processors hold no state,
      // so a short timeout (kafkajs: 30 s) is cheap and shortens the gap.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      // Failed batches are retried with exponential back-off and jitter, then the consumer
      // restarts from the last committed offset: a Kafka or registry outage is waited out.
      retry: { initialRetryTime: 300, maxRetryTime: 30_000, retries: 8 },
    });
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    this.done.catch(() => undefined);
  }

  get status(): { ready: boolean; notReady: string | undefined; lastError: string | undefined } {
    return {
      ready: this.#ready,
      notReady: this.#ready ? undefined : this.#stopping ? 'stopping' : 'starting',
      lastError: this.#lastError,
    };
  }

  /** Connects, creates the output and dead-letter topics and starts consuming. */
  async start(): Promise<void> {
    await this.#admin.connect();
    const partitions = await this.#waitForInput();
    if (this.#stopping) return; // stopped while waiting: there is nothing to create or consume
    await this.#ensureTopics(partitions);
    if (this.#stopping) return;
    await this.#consumer.connect();
    this.#consumer.on(this.#consumer.events.CRASH, ({ payload }) => {
      this.#lastError = errorMessage(payload.error);
      if (!payload.restart) this.#rejectDone(payload.error);
    });
    await this.#consumer.subscribe({ topics: [this.#options.input], fromBeginning: true });
    await this.#consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
    this.#ready = true;
    this.#options.onEvent?.({ kind: 'running', partitions });
  }

  /** Leaves the group after the batch in hand (its offsets committed), then closes. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopping) return this.done;
    this.#stopping = true;
    this.#ready = false;
    try {
      await this.#consumer.disconnect();
      const producers = await Promise.allSettled(this.#producers.values());
      await Promise.allSettled(
        producers.map((p) => (p.status === 'fulfilled' ? p.value.disconnect() : Promise.resolve())),
      );
      await this.#admin.disconnect();
      this.#options.onEvent?.({ kind: 'stopped' });
      this.#resolveDone();
    } catch (error) {
      this.#rejectDone(error);
    }
    return this.done;
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const messages = batch.messages;
    const last = messages.at(-1);
    if (!last || !payload.isRunning() || payload.isStale()) return;
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
    try {
      const outcomes = await this.#options.handler.handleBatch(events);
      const outputs: Message[] = [];
      const deadLetters: Message[] = [];
      let forwarded = 0;
      outcomes.forEach((outcome, i) => {
        const event = events[i] as InputEvent;
        const { headers } = spans[i] as EventSpan;
        if (outcome.kind === 'forward') {
          forwarded += 1;
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
      const requests = splitRequests(
        [
          { topic: this.#options.output, messages: outputs },
          { topic: dlqTopic(this.#options.input), messages: deadLetters },
        ],
        this.#sendBudget,
      );
      const next = (BigInt(last.offset) + 1n).toString();
      if (this.#options.delivery === 'exactly_once') {
        const producer = await this.#producer(batch.partition);
        const transaction = await producer.transaction();
        try {
          for (const topicMessages of requests) await transaction.sendBatch({ topicMessages, acks: -1 });
          await transaction.sendOffsets({
            consumerGroupId: this.#groupId,
            topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
          });
          await transaction.commit();
        } catch (error) {
          await transaction.abort().catch(() => undefined);
          throw error;
        }
      } else {
        const producer = await this.#producer('shared');
        // One request after the other: the shared idempotent producer allows one send at a time.
        for (const topicMessages of requests) await producer.sendBatch({ topicMessages, acks: -1 });
        await this.#consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: next },
        ]);
      }
      payload.resolveOffset(last.offset);
      endEventSpans(spans);
      this.counters.consumed += events.length;
      this.counters.forwarded += forwarded;
      this.counters.deadLettered += deadLetters.length;
      this.counters.batches += 1;
      await payload.heartbeat();
    } catch (error) {
      endEventSpans(spans, error);
      this.counters.retries += 1;
      this.#lastError = errorMessage(error);
      this.#options.onEvent?.({ kind: 'retrying', error });
      throw error; // kafkajs retries the batch with back-off (see `retry` above)
    }
  }

  #producer(slot: number | 'shared'): Promise<Producer> {
    let producer = this.#producers.get(slot);
    if (!producer) {
      const created = this.#kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // Pre-KIP-447 fencing (libraries.md): a fixed id per input partition, so the instance that
        // takes a partition over fences the transactions of the one that had it.
        ...(slot === 'shared'
          ? {}
          : {
              transactionalId: `${this.#groupId}.${this.#options.input}.${slot}`,
              transactionTimeout: 60_000,
            }),
      });
      producer = created.connect().then(() => created);
      producer.catch(() => this.#producers.delete(slot));
      this.#producers.set(slot, producer);
    }
    return producer;
  }

  async #waitForInput(): Promise<number> {
    let announced = false;
    while (!this.#stopping) {
      const metadata = await this.#admin
        .fetchTopicMetadata({ topics: [this.#options.input] })
        .catch(() => undefined);
      const partitions = metadata?.topics[0]?.partitions.length ?? 0;
      if (partitions > 0) return partitions;
      if (!announced) this.#options.onEvent?.({ kind: 'waiting-for-input', topic: this.#options.input });
      announced = true;
      await new Promise((resolve) => setTimeout(resolve, WAIT_FOR_INPUT_MS));
    }
    return 0;
  }

  /** Output and dead-letter topics get the input's partition count: records keep their partition. */
  async #ensureTopics(partitions: number): Promise<void> {
    const wanted = [this.#options.output, dlqTopic(this.#options.input)];
    const existing = new Set(await this.#admin.listTopics());
    const create = wanted.filter((t) => !existing.has(t));
    if (create.length > 0) {
      await this.#admin.createTopics({
        topics: create.map((topic) => ({ topic, numPartitions: partitions })),
        waitForLeaders: true,
      });
    }
    await this.#readSendBudget(wanted);
    const metadata = await this.#admin.fetchTopicMetadata({ topics: wanted });
    for (const topic of metadata.topics) {
      if (topic.partitions.length < partitions) {
        throw new CdcError(
          'OUTPUT_PARTITIONS',
          `topic ${topic.name} has ${topic.partitions.length} partitions, fewer than its input ${this.#options.input} (${partitions})`,
          {
            fix: `add partitions: kafka-topics.sh --alter --topic ${topic.name} --partitions ${partitions} (records keep their input partition)`,
          },
        );
      }
    }
  }

  /** The smallest max.message.bytes of the topics written (the broker's message.max.bytes unless overridden). */
  async #readSendBudget(topics: readonly string[]): Promise<void> {
    try {
      const { resources } = await this.#admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: ['max.message.bytes'] })),
      });
      let limit = DEFAULT_MAX_MESSAGE_BYTES;
      for (const resource of resources) {
        const value = Number(
          resource.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue,
        );
        if (Number.isInteger(value) && value > 0) limit = Math.min(limit, value);
      }
      this.#sendBudget = Math.max(1, limit - BATCH_OVERHEAD_BYTES);
    } catch {
      // The broker's default applies; a smaller topic limit then fails the batch with
      // MESSAGE_TOO_LARGE naming the topic, never silently.
    }
  }
}

/**
 * An upper bound of a record's size inside a record batch: the varint framing (length,
 * attributes, timestamp and offset deltas, key and value lengths) plus the bytes themselves, and
 * per header its name and value with their length varints.
 */
function recordSizeBound(message: Message): number {
  let size = 32 + (message.key?.length ?? 0) + (message.value?.length ?? 0);
  const headers = message.headers as Record<string, string> | undefined;
  for (const name in headers) size += 10 + Buffer.byteLength(name) + Buffer.byteLength(headers[name]!);
  return size;
}

/**
 * The records in produce requests of at most `budget` bytes and MAX_RECORDS_PER_REQUEST records
 * each, in order (a record over the budget goes alone, and the broker says why it refuses it).
 * Empty topics are left out.
 */
export function splitRequests(topics: readonly TopicMessages[], budget: number): TopicMessages[][] {
  const requests: TopicMessages[][] = [];
  let request: TopicMessages[] = [];
  let bytes = 0;
  let count = 0;
  for (const { topic, messages } of topics) {
    let current: Message[] = [];
    for (const message of messages) {
      const size = recordSizeBound(message);
      if (bytes > 0 && (bytes + size > budget || count === MAX_RECORDS_PER_REQUEST)) {
        if (current.length > 0) request.push({ topic, messages: current });
        requests.push(request);
        [request, current, bytes, count] = [[], [], 0, 0];
      }
      current.push(message);
      bytes += size;
      count += 1;
    }
    if (current.length > 0) request.push({ topic, messages: current });
  }
  if (request.length > 0) requests.push(request);
  return requests;
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
