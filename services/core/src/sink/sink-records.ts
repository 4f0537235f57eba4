import { SpanKind } from '@opentelemetry/api';
import type { Batch, KafkaMessage, Message } from 'kafkajs';
import { partReason, schemaIdIn, type DeadLetterReason, type RecordPart } from '../dead-letter.ts';
import { reasonOf } from '../failure.ts';
import { stringHeaders } from '../kafka/headers.ts';
import { PoisonError, type RegistryCodec } from '../registry-codec.ts';
import {
  endRecordSpans,
  startRecordSpan,
  tracerRecords,
  untracedRecord,
  type RecordSpan,
} from '../tracing.ts';
import { deadLetterMessage, type ReadRecord } from './side-records.ts';
import { toSinkEvent } from './sink-event.ts';
import { versionText, type SinkEvent, type SinkRow, type WriteOutcome } from './sink.ts';

export const SINK_TRACER = '@cdc/sink';

/** One record of a batch on its way to the target: the event, its span, and the record as read. */
export interface SinkRecord extends ReadRecord {
  readonly event: SinkEvent;
  readonly span: RecordSpan;
}

export interface DecodedBatch {
  readonly records: SinkRecord[];
  /** Records that can never be read (poison), as dead letters; their spans are ended. */
  readonly deadLetters: Message[];
  /** Tombstones, skipped: the delete before them did the work. */
  readonly tombstones: number;
}

/** The record's span says its outcome (only when it records: versionText costs per event). */
export function markOutcome(record: SinkRecord, outcome: WriteOutcome): void {
  const { span } = record.span;
  if (!span.isRecording()) return;
  span.setAttributes({
    'cdc.outcome': outcome.kind,
    'cdc.version': versionText(record.event.version),
    ...('conflict' in outcome && outcome.conflict
      ? { 'cdc.conflict.resolution': outcome.conflict.resolution }
      : {}),
  });
}

/** The registry ids of the keys and values in the registry's wire format (others are poison, found later). */
export function schemaIds(messages: readonly KafkaMessage[]): Set<number> {
  const ids = new Set<number>();
  for (const { key, value } of messages) {
    for (const id of [schemaIdIn(key), schemaIdIn(value)]) if (id !== null) ids.add(id);
  }
  return ids;
}

/**
 * Decodes a batch whose schemas the codec has loaded: each record becomes a sink event with a
 * span continuing its trace, or a dead letter naming the part (key or value) that cannot be read.
 */
export function decodeBatch(sink: string, codec: RegistryCodec, batch: Batch): DecodedBatch {
  const records: SinkRecord[] = [];
  const deadLetters: Message[] = [];
  let tombstones = 0;
  const spanName = `cdc.sink ${sink}`;
  const partitionId = String(batch.partition);
  const traced = tracerRecords(SINK_TRACER);
  for (const message of batch.messages) {
    if (message.value === null) {
      tombstones += 1;
      continue;
    }
    const topic = batch.topic;
    const partition = batch.partition;
    const offset = message.offset;
    const span = !traced
      ? untracedRecord(stringHeaders(message.headers))
      : startRecordSpan(
          SINK_TRACER,
          spanName,
          SpanKind.CONSUMER,
          () => ({
            'messaging.system': 'kafka',
            'messaging.operation.type': 'process',
            'messaging.destination.name': batch.topic,
            'messaging.destination.partition.id': partitionId,
            'messaging.kafka.offset': Number(message.offset),
            'cdc.sink': sink,
          }),
          stringHeaders(message.headers),
        );
    const read: ReadRecord = { key: message.key, value: message.value, headers: span.headers };
    const decoded = decodeRecord(codec, read, { topic, partition, offset, headers: span.headers });
    if ('event' in decoded) {
      records.push({ key: read.key, value: read.value, headers: read.headers, event: decoded.event, span });
    } else {
      deadLetters.push(deadLetterMessage(sink, { topic, partition, offset }, read, decoded.reason));
      span.span.setAttribute('cdc.outcome', 'dead_lettered');
      endRecordSpans([span], new Error(decoded.reason.message));
    }
  }
  return { records, deadLetters, tombstones };
}

function decodeRecord(
  codec: RegistryCodec,
  read: ReadRecord,
  place: Parameters<typeof toSinkEvent>[2],
): { event: SinkEvent } | { reason: DeadLetterReason } {
  let key: SinkRow | null = null;
  if (read.key) {
    const decoded = decodePart(codec, 'key', read.key);
    if ('reason' in decoded) return decoded;
    key = decoded.value as SinkRow;
  }
  const value = decodePart(codec, 'value', read.value as Buffer);
  if ('reason' in value) return value;
  try {
    return { event: toSinkEvent(key, value.value, place) };
  } catch (error) {
    return { reason: partReason('sink', 'value', schemaIdIn(read.value), reasonOf(error)) };
  }
}

function decodePart(
  codec: RegistryCodec,
  part: RecordPart,
  bytes: Buffer,
): { value: unknown } | { reason: DeadLetterReason } {
  try {
    return { value: codec.decode(bytes).value };
  } catch (error) {
    const rule = error instanceof PoisonError ? 'decode' : 'sink';
    return { reason: partReason(rule, part, schemaIdIn(bytes), reasonOf(error)) };
  }
}
