import { randomBytes } from 'node:crypto';
import { kafkaClient } from '@cdc/core';
import type { SourceConfig } from '../config.ts';
import type { KafkaWriter } from '../stream/kafka-writer.ts';

/**
 * The snapshot's progress, kept in Kafka next to the data it describes: a compacted topic
 * `<name>.__source_state`, one record per slot, the latest one wins. 'started' is written before
 * the slot is created and 'done' only after every snapshot record is acknowledged, so anything
 * but 'done' for an existing slot means a snapshot that did not finish.
 */
export interface SnapshotStateRecord {
  readonly slot: string;
  readonly snapshot: 'started' | 'done';
  readonly consistentPoint?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
}

export const stateTopic = (config: SourceConfig) => `${config.name}.__source_state`;

function kafkaOf(config: SourceConfig) {
  return kafkaClient(config.kafka.brokers);
}

/**
 * Creates the state topic as compacted, before the writer's first send would create it with
 * the broker's defaults (delete after the retention time: the 'done' would expire, and a later
 * restart would take the snapshot for unfinished).
 */
export async function ensureStateTopic(config: SourceConfig): Promise<void> {
  const admin = kafkaOf(config).admin();
  await admin.connect();
  try {
    const topic = stateTopic(config);
    if ((await admin.listTopics()).includes(topic)) return;
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

export async function writeSnapshotState(
  config: SourceConfig,
  writer: KafkaWriter,
  record: SnapshotStateRecord,
): Promise<void> {
  await ensureStateTopic(config);
  await writer.send([
    {
      topic: stateTopic(config),
      key: Buffer.from(record.slot),
      value: Buffer.from(JSON.stringify(record)),
      headers: {},
    },
  ]);
}

/** The latest state record of the config's slot; undefined when none was ever written. */
export async function snapshotState(config: SourceConfig): Promise<SnapshotStateRecord | undefined> {
  const kafka = kafkaOf(config);
  const topic = stateTopic(config);
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(
      offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]),
    );
  } finally {
    await admin.disconnect();
  }
  if (ends.size === 0) return undefined;
  // kafkajs reads only through a consumer group: a throw-away one, read up to the end offsets
  // taken above (a record written after them is not one this decision has to see).
  const groupId = `${topic}.reader.${randomBytes(4).toString('hex')}`;
  const consumer = kafka.consumer({ groupId });
  let latest: SnapshotStateRecord | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            if (message.key?.toString() === config.slot) {
              latest =
                message.value === null
                  ? undefined
                  : (JSON.parse(message.value.toString()) as SnapshotStateRecord);
            }
            if (BigInt(message.offset) + 1n >= (ends.get(partition) ?? 0n)) ends.delete(partition);
            if (ends.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
    const cleanup = kafka.admin();
    await cleanup.connect();
    await cleanup.deleteGroups([groupId]).catch(() => undefined);
    await cleanup.disconnect();
  }
  return latest;
}
