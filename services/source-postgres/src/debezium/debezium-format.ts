import { randomUUID } from 'node:crypto';
import type { AvroRecord, TableShape } from '../avro/table-schemas.ts';
import type { EnvelopeFormat, FormatContext, FormattedRecord } from '../envelope-format.ts';
import type { ChangeRecord, Envelope, Row } from '../events/change-event.ts';
import { microsNow } from '../micros-now.ts';
import { versionHeaders } from '../stream/record-headers.ts';
import { fromConnectRecord } from './avro-data.ts';
import type { ConnectSchema } from './connect-schema.ts';
import {
  debeziumFields,
  envelopeConnectSchema,
  keyConnectSchema,
  type DebeziumField,
  type SnapshotValue,
} from './debezium-schemas.ts';
import { jsonEnvelopeText } from './json-converter.ts';
import { debeziumRow } from './row-values.ts';
import { TransactionOrder } from './transaction-order.ts';

/**
 * Debezium's PostgreSQL envelope (3.6.1.Final) with its default settings, as Debezium Server
 * writes it. Facts from debezium/debezium at v3.6.1.Final, checked against a Debezium Server
 * 3.6.1 run on the same tables (scripts/debezium-compare.ts):
 * - source (PostgresSourceInfoStructMaker, SourceInfo): ts_ms / ts_us / ts_ns of the commit (of
 *   the snapshot's start for snapshot rows); `sequence` the JSON text [last commit LSN, event LSN]
 *   as strings, null for an unknown part (SourceInfo `sequence`; PostgresStreamingChangeEventSource
 *   updates the first at each commit, with the commit's end LSN); txId and lsn of the event (a
 *   snapshot row: the snapshot transaction's id and the slot's consistent point); xmin null
 *   (slot.xmin.refresh.interval.ms is 0); `snapshot` "false" for streamed changes.
 * - transaction (AbstractTransactionStructMaker, PostgresTransactionMonitor `adjustTxId`): id
 *   "<txId>:<LSN of the event>", total_order and data_collection_order. Debezium fills it only
 *   with provide.transaction.metadata=true (null by default); we always fill it for streamed
 *   changes (never for snapshot rows): a consumer expecting null loses nothing.
 * - envelope (data/Envelope.java): ts_ms, ts_us, ts_ns of the processing time.
 * - a primary-key change (relational/RelationalChangeRecordEmitter
 *   `emitUpdateAsPrimaryKeyChangeRecord`): the delete and its tombstone carry header
 *   `__debezium.newkey` (EventDispatcher copies the delete's headers to the tombstone), the create
 *   `__debezium.oldkey`, each the key as Debezium Server's header converter writes it
 *   (json-converter.ts).
 * - every record carries the four `__debezium.context.*` headers (extended.headers.enabled,
 *   connector/common/DebeziumHeaderProducer.java), in the same JSON form, and so do our version
 *   and trace headers (asConnectHeaders).
 * - tombstones after deletes (tombstones.on.delete=true), with a null key for a table without one;
 *   truncates are not emitted (skipped.operations=t, CommonConnectorConfig).
 * - values: row-values.ts and column-values.ts.
 */

export const OLD_KEY_HEADER = '__debezium.oldkey';
export const NEW_KEY_HEADER = '__debezium.newkey';
export { UNAVAILABLE_VALUE } from './row-values.ts';

const STRING_HEADER: ConnectSchema = { type: 'string', optional: false };

/**
 * Headers as Debezium Server writes every header, its own and those of its tracing SMT
 * (transforms/tracing/KafkaConnectHeadersSetter: a Connect STRING header): in its JSON header
 * converter's form. A Connect worker reading Debezium Server's topics (header.converter
 * JsonConverter, as scripts/debezium-jdbc-check.ts runs the JDBC sink) refuses any header not in
 * that form, so the event's version and trace context go the same way in this envelope.
 */
function asConnectHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, jsonEnvelopeText(STRING_HEADER, value)]),
  );
}

/** The four context headers of Debezium's DebeziumHeaderProducer, for one run of a source. */
function contextHeaders(logicalName: string, runId: string): Record<string, string> {
  const header = (value: string) => jsonEnvelopeText(STRING_HEADER, value);
  return {
    '__debezium.context.connectorLogicalName': header(logicalName),
    '__debezium.context.taskId': header('0'),
    '__debezium.context.connectorName': header('postgresql'),
    '__debezium.context.runId': header(runId),
  };
}

interface TableLayout {
  readonly fields: readonly DebeziumField[];
  readonly keyFields: readonly DebeziumField[];
  readonly key: ConnectSchema | undefined;
  readonly envelope: ConnectSchema;
}

const layouts = new WeakMap<TableShape, TableLayout>();

function layoutOf(shape: TableShape): TableLayout {
  let layout = layouts.get(shape);
  if (!layout) {
    const fields = debeziumFields(shape);
    const key = keyConnectSchema(shape);
    const names = key?.fields?.map((field) => field.name) ?? [];
    layout = {
      fields,
      keyFields: names.map((name) => fields.find(({ field }) => field.name === name)!),
      key,
      envelope: envelopeConnectSchema(shape),
    };
    layouts.set(shape, layout);
  }
  return layout;
}

const lsnText = (lsn: bigint | null | undefined) =>
  lsn === null || lsn === undefined ? null : lsn.toString();

/** One instance per stream or snapshot: it counts the events of the transactions it formats. */
export function debeziumEnvelope(): EnvelopeFormat {
  const order = new TransactionOrder();
  const runId = randomUUID();

  const valueOf = (shape: TableShape, envelope: Envelope, context: FormatContext): unknown => {
    const { fields } = layoutOf(shape);
    const { source } = envelope;
    const snapshot: SnapshotValue | null =
      source.snapshot === 'false'
        ? null
        : (context.snapshot ?? (source.snapshot === 'last' ? 'last' : 'true'));
    const commitUs = context.commitTimeUs ?? source.ts_ms * 1000n;
    const nowUs = microsNow();
    const lsn = source.lsn ?? source.commit_lsn;
    const txId = snapshot === null ? source.txId : (context.snapshotTxId ?? source.txId);
    let transaction: unknown = null;
    if (snapshot === null && source.txId !== null) {
      const { total, inTable } = order.next(
        `${source.txId}:${source.commit_lsn}`,
        source.seq,
        `${shape.schema}.${shape.table}`,
      );
      transaction = { id: `${source.txId}:${lsn}`, total_order: total, data_collection_order: inTable };
    }
    const previousCommit = snapshot === null ? context.previousCommitEndLsn : null;
    return {
      before: debeziumRow(fields, envelope.before),
      after: debeziumRow(fields, envelope.after, new Set(envelope.unchanged_fields), snapshot !== null),
      source: {
        version: source.version,
        connector: 'postgresql',
        name: source.name,
        ts_ms: commitUs / 1000n,
        snapshot: snapshot ?? 'false',
        db: source.db,
        sequence: JSON.stringify([lsnText(previousCommit), lsnText(lsn)]),
        ts_us: commitUs,
        ts_ns: commitUs * 1000n,
        schema: source.schema,
        table: source.table,
        txId,
        lsn,
        xmin: null,
        origin: null,
        origin_lsn: null,
      },
      transaction,
      op: envelope.op,
      ts_ms: nowUs / 1000n,
      ts_us: nowUs,
      ts_ns: nowUs * 1000n,
    };
  };

  return {
    name: 'debezium',
    keySchema(shape: TableShape): AvroRecord | undefined {
      const key = layoutOf(shape).key;
      return key && fromConnectRecord(key);
    },
    valueSchema(shape: TableShape): AvroRecord {
      return fromConnectRecord(layoutOf(shape).envelope);
    },
    format(shape, records, context): FormattedRecord[] {
      const { key: keySchema, keyFields } = layoutOf(shape);
      const keyOf = (key: Row | null) => (key === null || !keySchema ? null : debeziumRow(keyFields, key));
      const keyText = (key: Row) => (keySchema ? jsonEnvelopeText(keySchema, keyOf(key)) : undefined);
      const runHeaders = contextHeaders(shape.prefix, runId);
      const out: FormattedRecord[] = [];
      for (const record of records) {
        if (record.value?.op === 't') continue; // skipped.operations=t
        const keyChange: Record<string, string> = {};
        if (record.keyChange && 'newKey' in record.keyChange) {
          const text = keyText(record.keyChange.newKey);
          if (text !== undefined) keyChange[NEW_KEY_HEADER] = text;
        } else if (record.keyChange) {
          const text = keyText(record.keyChange.oldKey);
          if (text !== undefined) keyChange[OLD_KEY_HEADER] = text;
        }
        out.push(
          formatted(record, keyOf(record.key), record.value && valueOf(shape, record.value, context), {
            ...keyChange,
            ...runHeaders,
          }),
        );
      }
      return out;
    },
  };
}

function formatted(
  record: ChangeRecord,
  key: unknown,
  value: unknown,
  debeziumHeaders: Readonly<Record<string, string>>,
): FormattedRecord {
  return {
    record,
    key,
    value,
    headers: (trace) => ({
      ...asConnectHeaders({ ...versionHeaders(record), ...trace }),
      ...debeziumHeaders,
    }),
  };
}
