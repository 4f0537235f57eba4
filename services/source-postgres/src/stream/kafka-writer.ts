import { Kafka, logLevel, type Admin, type Producer, type TopicMessages } from 'kafkajs';
import { CdcError, errorMessage } from '@cdc/core';

/** One Kafka record; a null value is a tombstone, a null key lets Kafka choose the partition. */
export interface OutRecord {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Our own narrow producer interface: kafkajs has had no release since 2023 (libraries.md), so
 * nothing outside this file knows it. `send` resolves once every record is acknowledged by all
 * in-sync replicas, and only then may the caller move the slot.
 */
export interface KafkaWriter {
  send(records: readonly OutRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface KafkaWriterOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** Partitions of the topics this writer creates; the broker's default when left out. */
  readonly partitions?: number;
}

export function createKafkaWriter(options: KafkaWriterOptions): KafkaWriter {
  const kafka = new Kafka({
    brokers: [...options.brokers],
    clientId: options.clientId ?? 'cdc-source-postgres',
    logLevel: logLevel.NOTHING,
  });
  return new KafkaJsWriter(
    kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }),
    kafka.admin(),
    options.partitions ?? -1,
  );
}

class KafkaJsWriter implements KafkaWriter {
  readonly #producer: Producer;
  readonly #admin: Admin;
  readonly #partitions: number;
  readonly #topics = new Set<string>();
  #connected: Promise<void> | undefined;
  // One send at a time: concurrent sends on an idempotent producer fail with out-of-order
  // sequence errors (libraries.md), and ordering is the point of this writer anyway.
  #tail: Promise<unknown> = Promise.resolve();

  constructor(producer: Producer, admin: Admin, partitions: number) {
    this.#producer = producer;
    this.#admin = admin;
    this.#partitions = partitions;
  }

  send(records: readonly OutRecord[]): Promise<void> {
    const run = this.#tail.then(() => this.#send(records));
    this.#tail = run.catch(() => undefined); // a failed send must not poison the next one
    return run;
  }

  async close(): Promise<void> {
    await this.#tail;
    if (!this.#connected) return;
    await Promise.allSettled([this.#producer.disconnect(), this.#admin.disconnect()]);
  }

  async #send(records: readonly OutRecord[]): Promise<void> {
    if (records.length === 0) return;
    try {
      await (this.#connected ??= Promise.all([this.#producer.connect(), this.#admin.connect()]).then(
        () => {},
      ));
      const byTopic = new Map<string, TopicMessages>();
      for (const record of records) {
        let group = byTopic.get(record.topic);
        if (!group) byTopic.set(record.topic, (group = { topic: record.topic, messages: [] }));
        group.messages.push({ key: record.key, value: record.value, headers: { ...record.headers } });
      }
      await this.#ensureTopics([...byTopic.keys()]);
      await this.#producer.sendBatch({ topicMessages: [...byTopic.values()], acks: -1 });
    } catch (error) {
      if (error instanceof CdcError) throw error;
      const retriable = (error as { retriable?: unknown }).retriable !== false;
      throw new CdcError(
        'KAFKA_SEND',
        `sending ${records.length} records to Kafka failed: ${errorMessage(error)}`,
        {
          retriable,
          fix: 'check that Kafka is up and reachable; the source resumes from its last acknowledged transaction',
          cause: error,
        },
      );
    }
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
    for (const topic of missing) this.#topics.add(topic);
  }
}
