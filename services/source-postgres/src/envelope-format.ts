import { envelopeSchema, keySchema, type AvroRecord, type TableShape } from './avro/table-schemas.ts';
import type { EnvelopeName } from './config.ts';
import { debeziumEnvelope } from './debezium/debezium-format.ts';
import type { SnapshotValue } from './debezium/debezium-schemas.ts';
import type { ChangeRecord } from './events/change-event.ts';
import { recordHeaders } from './stream/record-headers.ts';

/**
 * How the change records of one table are laid out on its topic (config source.envelope): the
 * seam between the event builder (events/change-event.ts, which says what happened) and the
 * registrar (stream/schema-registrar.ts, which registers and encodes). `cdc` is our own envelope
 * (docs/contracts.md), the default; `debezium` is Debezium's PostgreSQL connector's
 * (debezium/debezium-format.ts).
 */
export interface EnvelopeFormat {
  readonly name: EnvelopeName;
  /** Registered as `<topic>-key`; undefined when the table has no message key (null keys). */
  keySchema(shape: TableShape): AvroRecord | undefined;
  /** Registered as `<topic>-value`. */
  valueSchema(shape: TableShape): AvroRecord;
  /**
   * The records of one change (buildChangeEvents' output, in order) as the objects to encode
   * with keySchema/valueSchema. It may leave records out (Debezium emits no truncates) but never
   * reorders them.
   */
  format(shape: TableShape, records: readonly ChangeRecord[], context: FormatContext): FormattedRecord[];
}

/** What a format needs beyond the records, from the stream's tracker or from the snapshot. */
export interface FormatContext {
  /** Commit time in microseconds (the records carry milliseconds); a snapshot's start time. */
  readonly commitTimeUs?: bigint;
  /** End LSN of the commit before this transaction (transaction-tracker.ts); null when unknown. */
  readonly previousCommitEndLsn?: bigint | null;
  /** A snapshot row's place among the snapshot's rows (snapshot rows only). */
  readonly snapshot?: SnapshotValue;
  /** The id of the transaction that read a snapshot row (snapshot rows only). */
  readonly snapshotTxId?: bigint;
}

export interface FormattedRecord {
  /** The event laid out: its version and op, for the headers and the trace. */
  readonly record: ChangeRecord;
  /** Null for a truncate and for a table without a message key. */
  readonly key: unknown;
  /** Null for a tombstone. */
  readonly value: unknown;
  /** Every header of the Kafka record, given the record's trace context (tracing/change-span.ts). */
  headers(trace: Readonly<Record<string, string>>): Record<string, string>;
}

/** Our envelope: the records as change-event.ts builds them, headers as record-headers.ts says. */
export const cdcEnvelope: EnvelopeFormat = {
  name: 'cdc',
  keySchema,
  valueSchema: envelopeSchema,
  format: (_shape, records) =>
    records.map((record) => ({
      record,
      key: record.key,
      value: record.value,
      headers: (trace) => recordHeaders(record, trace),
    })),
};

/**
 * The format of one envelope. Debezium's counts the events of each transaction, so each stream
 * and each snapshot takes an instance of its own.
 */
export function envelopeFormat(name: EnvelopeName): EnvelopeFormat {
  return name === 'debezium' ? debeziumEnvelope() : cdcEnvelope;
}
