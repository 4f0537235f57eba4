import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaMessage } from 'kafkajs';
import { kafkaBrokerList, kafkaClient, type StackEnv } from '@cdc/core';

export interface ReadTopicOptions {
  /**
   * Keeps reading this long after `count` arrived, so that a record beyond it (a duplicate, in a
   * test that counts on exactly `count`) shows in the result. Default 0.
   */
  readonly lingerMs?: number;
  /** Fails when `count` have not arrived by then; default: waits as long as the test lets it. */
  readonly timeoutMs?: number;
}

/**
 * Reads a topic from its beginning (committed records only, as kafkajs reads by default), with a
 * consumer group of its own, until `count` messages have arrived, and returns them in order.
 */
export async function readTopic(
  env: Pick<StackEnv, 'KAFKA_BROKERS'>,
  topic: string,
  count: number,
  groupId: string,
  options: ReadTopicOptions = {},
): Promise<KafkaMessage[]> {
  const consumer = kafkaClient(kafkaBrokerList(env)).consumer({ groupId });
  const received: KafkaMessage[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(
          () => reject(new Error(`${received.length} of ${count} records arrived from ${topic}`)),
          options.timeoutMs,
        );
      }
      consumer
        .run({
          eachMessage: async ({ message }) => {
            received.push(message);
            if (received.length >= count) resolve();
          },
        })
        .catch(reject);
    });
    clearTimeout(timer);
    if (options.lingerMs) await sleep(options.lingerMs);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return received;
}

/** How many messages a topic holds (the sum of its partitions' high watermarks). */
export async function topicSize(env: Pick<StackEnv, 'KAFKA_BROKERS'>, topic: string): Promise<number> {
  const admin = kafkaClient(kafkaBrokerList(env)).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await admin.disconnect();
  }
}
