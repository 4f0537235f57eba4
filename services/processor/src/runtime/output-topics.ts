import type { Admin, ConfigResourceTypes } from 'kafkajs';
import { CdcError, NeedsOperatorError, dlqTopic, kafkaFailure } from '@cdc/core';

// ConfigResourceTypes.TOPIC: kafkajs's enum is not a named export Node's ESM loader can see.
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
// The broker's default message.max.bytes, used when a topic's own limit cannot be read.
const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
// Room for the record batch header, the request's topic/partition framing and slack.
const BATCH_OVERHEAD_BYTES = 4096;

/** The broker's default budget of record bytes per produce request. */
export const DEFAULT_SEND_BUDGET = DEFAULT_MAX_MESSAGE_BYTES - BATCH_OVERHEAD_BYTES;

export interface PreparedTopics {
  /** Partitions of the input, and so of the outputs. */
  readonly partitions: number;
  /**
   * Bytes of records per produce request: a batch's outputs can outgrow its input (a transformer
   * adds fields), so one fetched batch may need several requests to stay under the topics' limit.
   */
  readonly sendBudget: number;
}

/**
 * The input exists (else TOPIC_MISSING, which the processor waits for), and the output and
 * dead-letter topics exist with at least the input's partitions, so that records keep their
 * partition. An output with fewer partitions needs an operator.
 */
export async function prepareTopics(
  admin: Admin,
  kafka: string,
  input: string,
  output: string,
): Promise<PreparedTopics> {
  const wanted = [output, dlqTopic(input)];
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    if (!existing.has(input)) {
      throw new CdcError('TOPIC_MISSING', `waiting for topic ${input} to exist (is the source running?)`, {
        retriable: true,
        fix: 'start the source or processor that writes it, or correct the processor input',
      });
    }
    const [inputTopic] = (await admin.fetchTopicMetadata({ topics: [input] })).topics;
    const partitions = inputTopic?.partitions.length ?? 0;
    const create = wanted.filter((t) => !existing.has(t));
    if (create.length > 0) {
      await admin.createTopics({
        topics: create.map((topic) => ({ topic, numPartitions: partitions })),
        waitForLeaders: true,
      });
    }
    const metadata = await admin.fetchTopicMetadata({ topics: wanted });
    for (const topic of metadata.topics) {
      if (topic.partitions.length < partitions) {
        throw new NeedsOperatorError(
          'OUTPUT_PARTITIONS',
          `topic ${topic.name} has ${topic.partitions.length} partitions, fewer than its input ${input} (${partitions})`,
          {
            fix: `add partitions: kafka-topics.sh --alter --topic ${topic.name} --partitions ${partitions} (records keep their input partition)`,
          },
        );
      }
    }
    return { partitions, sendBudget: await readSendBudget(admin, wanted) };
  } catch (error) {
    throw kafkaFailure(kafka, error, 'preparing the topics');
  }
}

/** The smallest max.message.bytes of the topics written (the broker's message.max.bytes unless overridden). */
async function readSendBudget(admin: Admin, topics: readonly string[]): Promise<number> {
  try {
    const { resources } = await admin.describeConfigs({
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
    return Math.max(1, limit - BATCH_OVERHEAD_BYTES);
  } catch {
    // The broker's default applies; a smaller topic limit then fails the batch with
    // MESSAGE_TOO_LARGE naming the topic, never silently.
    return DEFAULT_SEND_BUDGET;
  }
}
