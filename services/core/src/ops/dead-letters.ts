import type { IHeaders, Kafka, KafkaMessage, Message } from 'kafkajs';
import {
  DLQ_HEADERS,
  DLQ_HEADER_PREFIX,
  type DeadLetterOrigin,
  type DeadLetterReason,
} from '../dead-letter.ts';
import { CdcError } from '../errors.ts';
import { readHeader } from '../kafka/headers.ts';
import { readRanges } from './read-range.ts';

/** One record of a `<topic>.dlq` topic, with what its headers say about it. */
export interface DeadLetter {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** The record's own headers (trace context and the like), without the `cdc.dlq.*` ones. */
  readonly headers: IHeaders;
  readonly reasons: readonly DeadLetterReason[];
  /** The processor or sink that refused it; null when the header is missing. */
  readonly processor: string | null;
  /** Where it was read; null when the headers do not say (a record not written by us). */
  readonly origin: DeadLetterOrigin | null;
  readonly at: Date | null;
}

/** Reads a dead letter's headers; tolerant, because anyone can write to a topic. */
export function parseDeadLetter(partition: number, message: KafkaMessage): DeadLetter {
  const raw = message.headers ?? {};
  const text = (name: string): string | undefined => readHeader(raw, name);
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(raw))
    if (!name.startsWith(DLQ_HEADER_PREFIX) && value !== undefined) headers[name] = value;
  const topic = text(DLQ_HEADERS.topic);
  const originPartition = Number(text(DLQ_HEADERS.partition));
  const originOffset = text(DLQ_HEADERS.offset);
  const at = Number(text(DLQ_HEADERS.at));
  return {
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers,
    reasons: parseReasons(text(DLQ_HEADERS.reason)),
    processor: text(DLQ_HEADERS.processor) ?? null,
    origin:
      topic && Number.isInteger(originPartition) && originOffset !== undefined && /^\d+$/.test(originOffset)
        ? { topic, partition: originPartition, offset: originOffset }
        : null,
    at: Number.isFinite(at) && at > 0 ? new Date(at) : null,
  };
}

function parseReasons(json: string | undefined): DeadLetterReason[] {
  if (json === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(json);
    if (Array.isArray(parsed)) {
      return parsed.map((item: Partial<Record<keyof DeadLetterReason, unknown>>) => ({
        rule: typeof item?.rule === 'string' ? item.rule : 'unknown',
        field: typeof item?.field === 'string' ? item.field : null,
        // Reasons written before part and schema_id existed have neither.
        ...(item?.part === 'key' || item?.part === 'value' ? { part: item.part } : {}),
        ...(item?.schema_id === null || Number.isInteger(item?.schema_id)
          ? { schema_id: item.schema_id as number | null }
          : {}),
        message: typeof item?.message === 'string' ? item.message : JSON.stringify(item),
      }));
    }
  } catch {
    // Shown as it is below: the operator still learns something.
  }
  return [{ rule: 'unreadable', field: null, message: json }];
}

/**
 * The dead letters of a `.dlq` topic from its beginning to its current end (committed records
 * only: dead letters of an aborted processor transaction were never really refused).
 */
export async function listDeadLetters(
  kafka: Kafka,
  dlqTopic: string,
  options: { readonly limit?: number } = {},
): Promise<DeadLetter[]> {
  const admin = kafka.admin();
  await admin.connect();
  let offsets: Array<{ partition: number; low: string; high: string }>;
  try {
    if (!(await admin.listTopics()).includes(dlqTopic)) {
      throw new CdcError('UNKNOWN_TOPIC', `there is no topic ${dlqTopic}`, {
        fix: 'name the topic whose dead letters to read (with or without .dlq); it is created with the first dead letter',
      });
    }
    offsets = await admin.fetchTopicOffsets(dlqTopic);
  } finally {
    await admin.disconnect();
  }
  const records = await readRanges(
    kafka,
    dlqTopic,
    offsets.map((o) => ({ partition: o.partition, from: o.low, to: o.high })),
    options.limit === undefined ? {} : { limit: options.limit },
  );
  return records.map((r) => parseDeadLetter(r.partition, r.message));
}

export interface RedriveResult {
  /** Dead letters read from the topic. */
  readonly read: number;
  /** Those the filter kept. */
  readonly matched: number;
  /** Kept but without origin headers, so with nowhere to go back to. */
  readonly unroutable: number;
  /** Records written back (0 on a dry run). */
  readonly published: number;
  /** Kept and routable, by origin topic (what was, or on a dry run would be, published). */
  readonly byTopic: Readonly<Record<string, number>>;
}

/**
 * Publishes dead letters again to the topic they were read from, after the cause was fixed: the
 * original key, value and headers (without `cdc.dlq.*`), to the original partition so that
 * per-key order and co-partitioning hold. Every consumer of that topic sees the record again,
 * not only the one that refused it; that is safe because processors are stateless and sinks
 * apply a version once, but it is a replay for all of them. The dead letters stay where they are
 * (a topic is append-only): redriving twice publishes twice, and a record refused again becomes a
 * new dead letter.
 */
export async function redriveDeadLetters(
  kafka: Kafka,
  dlqTopic: string,
  options: { readonly filter?: (entry: DeadLetter) => boolean; readonly dryRun?: boolean } = {},
): Promise<RedriveResult> {
  const entries = await listDeadLetters(kafka, dlqTopic);
  const matched = options.filter ? entries.filter(options.filter) : entries;
  const routable = matched.filter((e): e is DeadLetter & { origin: DeadLetterOrigin } => e.origin !== null);
  const byTopic: Record<string, number> = {};
  const messages = new Map<string, Message[]>();
  for (const entry of routable) {
    byTopic[entry.origin.topic] = (byTopic[entry.origin.topic] ?? 0) + 1;
    const list = messages.get(entry.origin.topic) ?? [];
    list.push({
      key: entry.key,
      value: entry.value,
      headers: entry.headers,
      partition: entry.origin.partition,
    });
    messages.set(entry.origin.topic, list);
  }
  let published = 0;
  if (!options.dryRun && routable.length > 0) {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    try {
      for (const [topic, list] of messages) {
        for (let i = 0; i < list.length; i += 500) {
          const chunk = list.slice(i, i + 500);
          await producer.send({ topic, messages: chunk, acks: -1 });
          published += chunk.length;
        }
      }
    } finally {
      await producer.disconnect();
    }
  }
  return {
    read: entries.length,
    matched: matched.length,
    unroutable: matched.length - routable.length,
    published,
    byTopic,
  };
}
