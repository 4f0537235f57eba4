import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { kafkaBrokerList, type StackEnv } from '@cdc/core';

/**
 * Every committed record of a topic (read_committed: aborted transactions are not seen), read
 * from the beginning until nothing new arrives for `idleMs` after at least `atLeast` records.
 */
export async function readCommitted(
  env: Pick<StackEnv, 'KAFKA_BROKERS'>,
  topic: string,
  groupId: string,
  options: { atLeast: number; idleMs?: number; timeoutMs?: number },
): Promise<KafkaMessage[]> {
  const consumer = new Kafka({ brokers: kafkaBrokerList(env), logLevel: logLevel.NOTHING }).consumer({
    groupId,
    readUncommitted: false,
  });
  const received: KafkaMessage[] = [];
  let lastAt = Date.now();
  const started = Date.now();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        received.push(...batch.messages);
        lastAt = Date.now();
      },
    });
    const idleMs = options.idleMs ?? 3000;
    const timeoutMs = options.timeoutMs ?? 120_000;
    while (received.length < options.atLeast || Date.now() - lastAt < idleMs) {
      if (Date.now() - started > timeoutMs) {
        throw new Error(
          `${topic}: ${received.length} records after ${timeoutMs} ms, expected at least ${options.atLeast}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await consumer.disconnect();
  }
  return received;
}
