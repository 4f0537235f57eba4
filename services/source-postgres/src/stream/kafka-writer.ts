import type { Admin, Producer, RetryOptions, TopicMessages } from 'kafkajs';
import {
  CdcError,
  NeedsOperatorError,
  describeKafka,
  errorChain,
  kafkaClient,
  kafkaFailure,
  readMaxMessageBytes,
  sendBudget,
  splitRequests,
} from '@cdc/core';
import { SOURCE_SETTINGS } from '../failures.ts';

/** One Kafka record; a null value is a tombstone, a null key lets Kafka choose the partition. */
export interface OutRecord {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Our own narrow producer interface: kafkajs has had no release since 2.2.4 (2023), so
 * nothing outside this file knows it. `send` resolves once every record is acknowledged by all
 * in-sync replicas, and only then may the caller move the slot.
 */
export interface KafkaWriter {
  send(records: readonly OutRecord[]): Promise<void>;
  /**
   * Optional: connects ahead of the first send, so that the first change does not wait for the
   * connection, the producer id and the broker's settings (hundreds of ms).
   */
  connect?(): Promise<void>;
  close(): Promise<void>;
}

export interface KafkaWriterOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** Partitions of the topics this writer creates; the broker's default when left out. */
  readonly partitions?: number;
  /**
   * kafkajs' own retries before a send fails (its defaults when left out: about 15 s against a
   * broker that is down). A failed send is not lost: the caller starts again from the slot.
   */
  readonly retry?: RetryOptions;
  /** Kafka as the pipeline file names it, for messages (default: the source's setting). */
  readonly endpoint?: string;
}

export function createKafkaWriter(options: KafkaWriterOptions): KafkaWriter {
  const kafka = kafkaClient(options.brokers, {
    clientId: options.clientId ?? 'cdc-source-postgres',
    retry: options.retry,
  });
  return new KafkaJsWriter(
    kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }),
    kafka.admin(),
    options.partitions ?? -1,
    options.endpoint ?? describeKafka(options.brokers, SOURCE_SETTINGS.kafka),
  );
}

/**
 * Records the broker refuses whatever is retried: a setting must change (kafkajs' protocol error
 * types). Everything else is classified by kafkaFailure: Kafka away is waited for.
 */
const REFUSED_RECORDS: Readonly<Record<string, string>> = {
  MESSAGE_TOO_LARGE:
    'raise max.message.bytes of the topic above the size of the largest row (kafka-configs.sh --alter --entity-type topics --entity-name <topic> --add-config max.message.bytes=<bytes>)',
  RECORD_LIST_TOO_LARGE: 'raise message.max.bytes of the broker above the size of the largest row',
  INVALID_RECORD:
    'check the broker log for why it refuses the record (a topic setting such as a compaction without key)',
};

function refusedRecords(error: unknown): string | undefined {
  for (const { type } of errorChain(error)) {
    if (typeof type === 'string' && REFUSED_RECORDS[type]) return type;
  }
  return undefined;
}

class KafkaJsWriter implements KafkaWriter {
  readonly #producer: Producer;
  readonly #admin: Admin;
  readonly #partitions: number;
  readonly #endpoint: string;
  readonly #topics = new Set<string>();
  // Per topic, the largest record batch the broker accepts (max.message.bytes): a request that
  // carries more for one partition is refused as MESSAGE_TOO_LARGE, so sends are split below it.
  readonly #maxBytes = new Map<string, number>();
  #connected: Promise<void> | undefined;
  // One send at a time: concurrent sends on an idempotent producer fail with out-of-order
  // sequence errors, and ordering is the point of this writer anyway.
  #tail: Promise<unknown> = Promise.resolve();

  constructor(producer: Producer, admin: Admin, partitions: number, endpoint: string) {
    this.#producer = producer;
    this.#admin = admin;
    this.#partitions = partitions;
    this.#endpoint = endpoint;
  }

  send(records: readonly OutRecord[]): Promise<void> {
    const run = this.#tail.then(() => this.#send(records));
    this.#tail = run.catch(() => undefined); // a failed send must not poison the next one
    return run;
  }

  connect(): Promise<void> {
    this.#connected ??= this.#connectClients().catch((error: unknown) => {
      this.#connected = undefined; // nothing stays connected; the next send tries again
      throw kafkaFailure(this.#endpoint, error, 'connecting');
    });
    return this.#connected;
  }

  /** Waits for the send under way (and a connection being made), then disconnects. */
  async close(): Promise<void> {
    await this.#tail;
    const connected = this.#connected;
    if (!connected) return;
    // Disconnecting while kafkajs still connects would leave its retries to open a socket after.
    await connected.catch(() => undefined);
    await Promise.allSettled([this.#producer.disconnect(), this.#admin.disconnect()]);
  }

  async #connectClients(): Promise<void> {
    const results = await Promise.allSettled([this.#producer.connect(), this.#admin.connect()]);
    const failed = results.find((result) => result.status === 'rejected');
    if (!failed) return;
    await Promise.allSettled([this.#producer.disconnect(), this.#admin.disconnect()]);
    throw failed.reason;
  }

  async #send(records: readonly OutRecord[]): Promise<void> {
    if (records.length === 0) return;
    let sent = 0;
    try {
      await this.connect();
      const topics = new Set<string>();
      for (const record of records) topics.add(record.topic);
      await this.#ensureTopics([...topics]);
      const budget = sendBudget([...topics].map((topic) => this.#maxBytes.get(topic)));
      // The records in runs of one topic, in order, for splitRequests to cut into requests under
      // the broker's limit; order is kept: each request starts after the previous one was
      // acknowledged.
      const runs: TopicMessages[] = [];
      let run: TopicMessages | undefined;
      for (const record of records) {
        if (run?.topic !== record.topic) runs.push((run = { topic: record.topic, messages: [] }));
        // The headers object is handed over as it is: kafkajs only reads it, and a copy per record
        // was measurable.
        run.messages.push({ key: record.key, value: record.value, headers: record.headers });
      }
      for (const request of splitRequests(runs, budget)) {
        await this.#producer.sendBatch({ topicMessages: request, acks: -1 });
        for (const { messages } of request) sent += messages.length;
      }
    } catch (error) {
      throw this.#failure(error, `sending ${records.length} records, ${sent} acknowledged`);
    }
  }

  #failure(error: unknown, doing: string): CdcError {
    if (error instanceof CdcError) return error;
    const refused = refusedRecords(error);
    if (refused) {
      return new NeedsOperatorError(
        'KAFKA_RECORD_REFUSED',
        `${this.#endpoint} refused a record (${refused}, ${doing})`,
        {
          fix: REFUSED_RECORDS[refused]!,
          cause: error,
        },
      );
    }
    return kafkaFailure(this.#endpoint, error, doing);
  }

  /** Creates missing topics once, before their first use (auto-creation would pick its own settings). */
  async #ensureTopics(topics: readonly string[]): Promise<void> {
    const missing = topics.filter((topic) => !this.#topics.has(topic));
    if (missing.length === 0) return;
    const existing = new Set(await this.#admin.listTopics());
    const create = missing.filter((topic) => !existing.has(topic));
    if (create.length > 0) {
      // false (not an error) when another process created them meanwhile: what we wanted.
      await this.#admin.createTopics({
        topics: create.map((topic) => ({ topic, numPartitions: this.#partitions })),
        waitForLeaders: true,
      });
    }
    const limits = await readMaxMessageBytes(this.#admin, missing);
    for (const [topic, limit] of limits) this.#maxBytes.set(topic, limit);
    for (const topic of missing) this.#topics.add(topic);
  }
}
