import type { Admin } from 'kafkajs';
import {
  CdcError,
  NeedsOperatorError,
  dlqTopic,
  kafkaFailure,
  readMaxMessageBytes,
  sendBudget,
} from '@cdc/core';

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
    const limits = await readMaxMessageBytes(admin, wanted);
    return { partitions, sendBudget: sendBudget(wanted.map((topic) => limits.get(topic))) };
  } catch (error) {
    throw kafkaFailure(kafka, error, 'preparing the topics');
  }
}
