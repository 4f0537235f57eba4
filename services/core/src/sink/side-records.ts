import type { Admin, Message } from 'kafkajs';
import { deadLetterHeaders, dlqTopic, type DeadLetterOrigin, type DeadLetterReason } from '../dead-letter.ts';
import type { SinkConflict, SinkEvent, WriteOutcome } from './sink.ts';

/** Conflicts of `<topic>` go to `<topic>.conflicts` (docs/contracts.md, Conflicts). */
export const CONFLICT_TOPIC_SUFFIX = '.conflicts';

/** The record as it was read: what its dead letter or conflict record carries. */
export interface ReadRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Its headers, with the trace context of the sink's span. */
  readonly headers: Record<string, string>;
}

/** A dead letter: the original key and bytes, to the partition number they were read from. */
export function deadLetterMessage(
  sink: string,
  origin: DeadLetterOrigin,
  record: ReadRecord,
  reason: DeadLetterReason,
): Message {
  return {
    key: record.key,
    value: record.value,
    partition: origin.partition,
    headers: deadLetterHeaders(sink, origin, [reason], record.headers),
  };
}

/** Conflicts are JSON, for people and review tools: both sides, the policy and what was done. */
export function conflictMessage(
  sink: string,
  event: SinkEvent,
  record: ReadRecord,
  conflict: SinkConflict,
): Message {
  const body = {
    sink,
    topic: event.topic,
    partition: event.partition,
    offset: event.offset,
    key: event.key,
    version: { commit_lsn: event.version.commitLsn, seq: event.version.seq },
    policy: conflict.policy,
    resolution: conflict.resolution,
    changed_fields: conflict.changedFields,
    target: conflict.target,
    source: conflict.source,
    detected_at: new Date().toISOString(),
  };
  return {
    key: record.key,
    value: JSON.stringify(body, (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('base64') : v,
    ),
    partition: event.partition,
    headers: record.headers,
  };
}

/** Dead-letter and conflict topics, with the partition count of the topic they serve. */
export async function ensureSideTopics(admin: Admin, topics: readonly string[]): Promise<void> {
  const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
  const existing = new Set(await admin.listTopics());
  const create = metadata.topics.flatMap((topic) =>
    [dlqTopic(topic.name), `${topic.name}${CONFLICT_TOPIC_SUFFIX}`]
      .filter((name) => !existing.has(name))
      .map((name) => ({ topic: name, numPartitions: topic.partitions.length })),
  );
  if (create.length > 0) await admin.createTopics({ topics: create, waitForLeaders: true });
}

/** What a written batch leaves beside its target, by topic. */
export interface SideRecords {
  readonly topicMessages: { topic: string; messages: Message[] }[];
  readonly deadLetters: number;
}

/**
 * The dead letters (the unreadable records', then those of events the target refused) and the
 * conflict records of a written batch of `topic`: the outcomes are in the order of `records`.
 */
export function sideRecordsOf(
  sink: string,
  topic: string,
  records: readonly (ReadRecord & { readonly event: SinkEvent })[],
  outcomes: readonly WriteOutcome[],
  unreadable: readonly Message[],
): SideRecords {
  const deadLetters = [...unreadable];
  const conflicts: Message[] = [];
  outcomes.forEach((outcome, i) => {
    const record = records[i]!;
    if (outcome.kind === 'failed') {
      deadLetters.push(
        deadLetterMessage(sink, record.event, record, { rule: 'sink', field: null, message: outcome.reason }),
      );
    }
    if ('conflict' in outcome && outcome.conflict)
      conflicts.push(conflictMessage(sink, record.event, record, outcome.conflict));
  });
  return {
    topicMessages: [
      ...(deadLetters.length > 0 ? [{ topic: dlqTopic(topic), messages: deadLetters }] : []),
      ...(conflicts.length > 0 ? [{ topic: `${topic}${CONFLICT_TOPIC_SUFFIX}`, messages: conflicts }] : []),
    ],
    deadLetters: deadLetters.length,
  };
}
