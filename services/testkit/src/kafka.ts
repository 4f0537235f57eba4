import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { kafkaBrokerList, type StackEnv } from '@cdc/core';

/**
 * Reads a topic from its beginning, with a consumer group of its own, until `count` messages
 * have arrived, and returns them in order.
 */
export async function readTopic(
  env: Pick<StackEnv, 'KAFKA_BROKERS'>,
  topic: string,
  count: number,
  groupId: string,
): Promise<KafkaMessage[]> {
  const consumer = new Kafka({ brokers: kafkaBrokerList(env), logLevel: logLevel.NOTHING }).consumer({
    groupId,
  });
  const received: KafkaMessage[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            received.push(message);
            if (received.length >= count) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return received;
}

/** How many messages a topic holds (the sum of its partitions' high watermarks). */
export async function topicSize(env: Pick<StackEnv, 'KAFKA_BROKERS'>, topic: string): Promise<number> {
  const admin = new Kafka({ brokers: kafkaBrokerList(env), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await admin.disconnect();
  }
}
