import type { Admin, Kafka, TopicMessages } from 'kafkajs';
import { LazyProducer, processorTransactionalId } from '@cdc/core';
import { recoverTransaction } from './transaction-recovery.ts';

/** One handled batch: its outputs and dead letters in produce requests, and the offset to commit. */
export interface BatchOutput {
  readonly topic: string;
  readonly partition: number;
  /** The input offset after the batch's last record. */
  readonly next: string;
  readonly requests: readonly TopicMessages[][];
}

/** How the outputs and the input offsets reach Kafka, per delivery mode. */
export interface OutputWriter {
  /**
   * Called before a batch of this partition is handled. Undefined when the consumer's position
   * can be trusted; else the committed offset read again (records before it are done).
   */
  settle(topic: string, partition: number): Promise<bigint | undefined>;
  /** Writes the outputs and commits the offset; throws (the batch is retried) when Kafka fails. */
  write(batch: BatchOutput, commit: (offset: string) => Promise<void>): Promise<void>;
  /** The consumer (re)joined its group: partitions may have moved. */
  reassigned(): void;
  close(): Promise<void>;
}

/** at_least_once: one idempotent producer, outputs first, offsets after their acknowledgement. */
export class AtLeastOnceWriter implements OutputWriter {
  readonly #producer: LazyProducer;

  constructor(kafka: Kafka) {
    this.#producer = new LazyProducer(kafka, {
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  async settle(): Promise<undefined> {
    return undefined;
  }

  async write(batch: BatchOutput, commit: (offset: string) => Promise<void>): Promise<void> {
    try {
      const producer = await this.#producer.get();
      // One request after the other: the shared idempotent producer allows one send at a time.
      for (const topicMessages of batch.requests) await producer.sendBatch({ topicMessages, acks: -1 });
    } catch (error) {
      // Its sequence numbers may no longer match the broker's: a new producer id starts clean
      // (a repeat of the batch is what at-least-once allows).
      await this.#producer.discard();
      throw error;
    }
    await commit(batch.next);
  }

  reassigned(): void {}

  close(): Promise<void> {
    return this.#producer.discard();
  }
}

interface PartitionProducer {
  readonly producer: LazyProducer;
  /** The group generation it was settled in: a rebalance since means it must settle again. */
  readonly generation: number;
}

/**
 * exactly_once: one transactional producer per input partition (`<group>.<input>.<partition>`,
 * the pre-KIP-447 fencing model kafkajs supports), outputs and offsets in one transaction.
 *
 * A partition's producer lives for one assignment of the partition. Its first act is
 * initTransactions (InitProducerId), which fences any earlier producer of the id and makes the
 * coordinator finish or abort what that one left open, waiting for it; only then is the committed
 * offset read, and records before it are skipped. A consumer that joined while an earlier
 * transaction was still being completed would otherwise start from an offset that transaction
 * is about to move, and write that batch twice. A producer whose transaction broke (kafkajs'
 * state machine stuck, fenced, a broker gone mid-commit) is replaced the same way.
 */
export class ExactlyOnceWriter implements OutputWriter {
  readonly #kafka: Kafka;
  readonly #admin: Admin;
  readonly #groupId: string;
  readonly #input: string;
  readonly #producers = new Map<number, PartitionProducer>();
  #generation = 0;

  constructor(kafka: Kafka, admin: Admin, groupId: string, input: string) {
    this.#kafka = kafka;
    this.#admin = admin;
    this.#groupId = groupId;
    this.#input = input;
  }

  async settle(topic: string, partition: number): Promise<bigint | undefined> {
    const current = this.#producers.get(partition);
    if (current?.generation === this.#generation) return undefined;
    await this.#replace(partition);
    const producer = new LazyProducer(this.#kafka, {
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      transactionalId: processorTransactionalId(this.#groupId, this.#input, partition),
      transactionTimeout: 60_000,
    });
    try {
      // kafkajs runs InitProducerId on a producer's first transaction(); an empty one (its abort
      // sends nothing) runs it now, retrying CONCURRENT_TRANSACTIONS until the old one is settled.
      const transaction = await (await producer.get()).transaction();
      await transaction.abort();
      const [offsets] = await this.#admin.fetchOffsets({ groupId: this.#groupId, topics: [topic] });
      const committed = offsets?.partitions.find((p) => p.partition === partition)?.offset;
      this.#producers.set(partition, { producer, generation: this.#generation });
      return committed === undefined || committed === '-1' ? undefined : BigInt(committed);
    } catch (error) {
      await producer.discard();
      throw error;
    }
  }

  async write(batch: BatchOutput): Promise<void> {
    const slot = this.#producers.get(batch.partition);
    if (!slot) throw new Error(`partition ${batch.partition} was not settled before its batch`);
    let transaction;
    try {
      transaction = await (await slot.producer.get()).transaction();
    } catch (error) {
      await this.#replace(batch.partition);
      throw error;
    }
    try {
      for (const topicMessages of batch.requests) await transaction.sendBatch({ topicMessages, acks: -1 });
      await transaction.sendOffsets({
        consumerGroupId: this.#groupId,
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: batch.next }] }],
      });
      await transaction.commit();
    } catch (error) {
      if ((await recoverTransaction(transaction, error)) === 'replace-producer')
        await this.#replace(batch.partition);
      throw error;
    }
  }

  reassigned(): void {
    this.#generation += 1;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#producers.keys()].map((partition) => this.#replace(partition)));
  }

  /** Drops the partition's producer: its next batch settles with a new one. */
  async #replace(partition: number): Promise<void> {
    const current = this.#producers.get(partition);
    this.#producers.delete(partition);
    await current?.producer.discard();
  }
}
