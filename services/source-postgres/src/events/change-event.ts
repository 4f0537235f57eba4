import { CdcError, type ErrorCode } from '@cdc/core';
import { keySchema, valueSchema, type AvroRecord, type TableShape } from '../avro/table-schemas.ts';
import {
  UNCHANGED,
  type DeleteMessage,
  type InsertMessage,
  type RelationMessage,
  type TruncateMessage,
  type Tuple,
  type UpdateMessage,
} from '../pgoutput/messages.ts';
import type { ColumnKind, ColumnValue } from '../types/column-kind.ts';
import { decodeText } from '../types/decode-text.ts';
import type { ChangeContext } from './transaction-tracker.ts';

/**
 * Turns one data message into the Kafka records of docs/contracts.md: key and envelope as plain
 * objects that `avroType(keySchema(shape))` and `avroType(envelopeSchema(shape))` encode. Pure,
 * but for drawing one seq per event it makes from `context.seqs`, in the order it returns them.
 *
 * Field names and nullability are read from keySchema/valueSchema themselves, so the builder and
 * the registered schemas cannot disagree. No value is ever invented: where PostgreSQL did not send
 * one, the field is null, and listed in unchanged_fields for `after`. Every non-key row field is
 * nullable (table-schemas.ts), so a key-only old row ('K' tuple, REPLICA IDENTITY DEFAULT) is a
 * `before` with its key columns set and all else null. Only a key column can lack its value where
 * the schema has no null for it, and a placeholder would be written by sinks as data (so
 * docs/contracts.md promises none), so that is an error:
 * - unchanged TOAST in a NOT NULL key column of `after` and no old row: UNCHANGED_NOT_NULL.
 *   REPLICA IDENTITY FULL makes the old value available, which then fills `after`.
 * - any other key column whose value was not sent (a nullable key field included, since the
 *   message key would be a made-up null): KEY_UNKNOWN.
 */

export type Row = Record<string, ColumnValue>;

/** The tracker's ChangeContext, or a snapshot row's: no transaction, no own LSN. */
export type EventContext = Omit<ChangeContext, 'txId' | 'lsn'> & { txId: number | null; lsn: bigint | null };

/** A row read by a snapshot, in text form like pgoutput's tuples; `last` for the final row. */
export interface SnapshotRead {
  readonly tag: 'read';
  readonly row: Tuple;
  readonly last: boolean;
}

export interface ChangeEventInput {
  readonly database: string;
  readonly version: string; // of the pipeline, for source.version
  readonly nowMs: bigint; // processing time, the envelope's ts_ms
  readonly shape: TableShape; // columns in tuple order; shape.prefix is source.name
  readonly relation?: RelationMessage; // checked against the shape: stale columns would shift values
  // A Truncate yields this table's event only: call once per relation it names.
  readonly message: InsertMessage | UpdateMessage | DeleteMessage | TruncateMessage | SnapshotRead;
  readonly context: EventContext;
}

/** schemas/change-event-source.avsc; longs as BigInt. */
export type SourceBlock = Record<'version' | 'name' | 'db' | 'schema' | 'table', string> & {
  connector: 'postgresql';
  snapshot: 'true' | 'last' | 'false';
  ts_ms: bigint;
  txId: bigint | null;
  lsn: bigint | null;
  commit_lsn: bigint;
  seq: bigint;
};

export interface Envelope {
  before: Row | null;
  after: Row | null;
  op: 'c' | 'u' | 'd' | 'r' | 't';
  ts_ms: bigint;
  source: SourceBlock;
  unchanged_fields: string[];
}

/**
 * The other half's key, on both halves of a key change: `newKey` on the delete and its tombstone,
 * `oldKey` on the create (as Debezium's `__debezium.newkey` / `__debezium.oldkey` headers).
 */
export type KeyChange = { readonly newKey: Row } | { readonly oldKey: Row };

/**
 * value null is a tombstone; key null for truncates, and for every record of a table without a
 * message key (shape.keyOrder empty: a keyless table in Debezium's envelope, key-columns.ts).
 */
export interface ChangeRecord {
  key: Row | null;
  value: Envelope | null;
  version: { commitLsn: bigint; seq: bigint };
  keyChange?: KeyChange;
}

type Field = { readonly name: string; readonly column: string; readonly nullable: boolean };
type Layout = { readonly fields: readonly Field[]; readonly keyFields: () => readonly Field[] };
const layouts = new WeakMap<TableShape, Layout>();

function fieldsOf(record: AvroRecord): Field[] {
  return record.fields.map((field) => ({
    name: field.name,
    column: field['pg.column'] ?? field.name,
    nullable: Array.isArray(field.type) && field.type.includes('null'),
  }));
}

function layoutOf(shape: TableShape): Layout {
  let layout = layouts.get(shape);
  if (!layout) {
    let keyFields: readonly Field[] | undefined;
    // Lazily: keySchema throws NO_PRIMARY_KEY, which a truncate (key null) must not trigger.
    layout = {
      fields: fieldsOf(valueSchema(shape)),
      keyFields: () => (keyFields ??= fieldsOf(keySchema(shape))),
    };
    layouts.set(shape, layout);
  }
  return layout;
}

type ErrorExtra = { column?: string; fix?: string; details?: Record<string, unknown>; cause?: unknown };

function tableError(code: ErrorCode, shape: TableShape, message: string, extra: ErrorExtra = {}): CdcError {
  const { column, fix, details, cause } = extra;
  const where = [shape.schema, shape.table, ...(column === undefined ? [] : [column])].join('.');
  const context = { ...details, schema: shape.schema, table: shape.table, ...(column && { column }) };
  return new CdcError(code, `${where}: ${message}`, { ...(fix && { fix }), details: context, cause });
}

/** decodeText's errors know the kind and text; the operator also needs table and column. */
function decodeValue(shape: TableShape, field: Field, kind: ColumnKind, text: string): ColumnValue {
  try {
    return decodeText(kind, text);
  } catch (error) {
    if (!(error instanceof CdcError)) throw error; // a bug, not a value problem
    const { code, message, fix, details } = error;
    throw tableError(code, shape, message, {
      column: field.column,
      ...(fix && { fix }),
      details,
      cause: error,
    });
  }
}

/** A tuple read as a row; `missing` lists the fields PostgreSQL did not send (null in `row`). */
type ReadRow = { row: Row; missing: Set<string> };

/**
 * One tuple as a row. In a key-only tuple, the non-key columns arrive as nulls: they count as
 * missing (a key column is never NULL).
 */
function readRow(shape: TableShape, tuple: Tuple, keyOnly: boolean): ReadRow {
  const { fields } = layoutOf(shape);
  if (tuple.length !== fields.length) {
    throw tableError('SHAPE_MISMATCH', shape, `tuple has ${tuple.length} columns, shape ${fields.length}`);
  }
  const row: Row = {};
  const missing = new Set<string>();
  fields.forEach((field, i) => {
    const raw = tuple[i];
    const column = shape.columns[i];
    if (raw === undefined || column === undefined) return;
    if (raw === UNCHANGED || (raw === null && keyOnly)) {
      row[field.name] = null;
      missing.add(field.name);
    } else if (raw === null) {
      // Only a NOT NULL key column's field refuses null. Relation messages do not carry NOT NULL:
      // a dropped constraint (or key) leaves the shape stale.
      if (!field.nullable) {
        throw tableError('NULL_IN_NOT_NULL', shape, 'NULL in a key column the shape declares NOT NULL', {
          column: field.column,
          fix: 'reload the table shape from the catalog: the column lost its NOT NULL constraint or its place in the key',
        });
      }
      row[field.name] = null;
    } else {
      row[field.name] = decodeValue(shape, field, column.kind, raw);
    }
  });
  return { row, missing };
}

/**
 * The message key. A NULL read into a key field is one its schema allows (readRow refused the
 * others); a value PostgreSQL did not send is unknown, not null. Once this succeeds, every field
 * missing from the row is a non-key one, which the row record lets be null.
 */
function keyOf(shape: TableShape, { row, missing }: ReadRow): Row | null {
  if (shape.keyOrder?.length === 0) return null;
  const key: Row = {};
  for (const { name, column } of layoutOf(shape).keyFields()) {
    if (missing.has(name)) {
      throw tableError('KEY_UNKNOWN', shape, 'PostgreSQL did not send the value of this key column', {
        column,
        fix: `reload the table shape from the catalog (its key may be stale), or ALTER TABLE ${shape.schema}.${shape.table} REPLICA IDENTITY FULL (it sends the old row)`,
      });
    }
    key[name] = row[name] ?? null;
  }
  return key;
}

/** True when a key column's text differs between the old and the new tuple. */
function keyChanged(shape: TableShape, oldTuple: Tuple, newTuple: Tuple): boolean {
  return shape.columns.some((column, i) => {
    const [before, after] = [oldTuple[i], newTuple[i]];
    // Not sent (null in a key tuple, UNCHANGED): the same value as before.
    if (!column.isKey || before === null || before === UNCHANGED || after === UNCHANGED) return false;
    return before !== after;
  });
}

function sourceOf({ shape, message, context, ...input }: ChangeEventInput, seq: bigint): SourceBlock {
  return {
    version: input.version,
    connector: 'postgresql',
    name: shape.prefix,
    ts_ms: context.commitTimeMs,
    snapshot: message.tag !== 'read' ? 'false' : message.last ? 'last' : 'true',
    db: input.database,
    schema: shape.schema,
    table: shape.table,
    txId: context.txId === null ? null : BigInt(context.txId),
    lsn: context.lsn,
    commit_lsn: context.commitLsn,
    seq,
  };
}

// The relation each shape was last checked against: the stream passes the same Relation message
// object for every change of a table, so the comparison runs once per relation, not per row.
const checkedRelations = new WeakMap<TableShape, RelationMessage>();

export function buildChangeEvents(input: ChangeEventInput): ChangeRecord[] {
  const { shape, message, context, relation } = input;
  if (relation && checkedRelations.get(shape) !== relation) {
    const names = (columns: readonly { name: string }[]) =>
      JSON.stringify(columns.map((column) => column.name));
    if (names(relation.columns) !== names(shape.columns)) {
      throw tableError('SHAPE_MISMATCH', shape, `columns ${names(shape.columns)} are not the relation's`);
    }
    checkedRelations.set(shape, relation);
  }
  // Every event draws its own seq (EventSeqs), in the order of the records returned.
  const event = (
    key: Row | null,
    op: Envelope['op'],
    before: Row | null,
    after: Row | null,
    unchanged: string[] = [],
    keyChange?: KeyChange,
  ): ChangeRecord => {
    const seq = context.seqs.next();
    const source = sourceOf(input, seq);
    const value = { before, after, op, ts_ms: input.nowMs, source, unchanged_fields: unchanged };
    const record: ChangeRecord = { key, value, version: { commitLsn: context.commitLsn, seq } };
    if (keyChange) record.keyChange = keyChange;
    return record;
  };
  // A delete is followed by a tombstone with the delete's version, so that log compaction can
  // drop the key; the tombstone is no event of its own.
  const deletion = (key: Row | null, before: Row | null, keyChange?: KeyChange): ChangeRecord[] => {
    const deleted = event(key, 'd', before, null, [], keyChange);
    const tombstone: ChangeRecord = { key, value: null, version: deleted.version };
    if (keyChange) tombstone.keyChange = keyChange;
    return [deleted, tombstone];
  };

  switch (message.tag) {
    case 'truncate':
      return [event(null, 't', null, null)];
    case 'insert':
    case 'read': {
      const { row, missing } = readRow(shape, message.tag === 'insert' ? message.new : message.row, false);
      if (missing.size > 0) throw tableError('UNEXPECTED_UNCHANGED', shape, `unchanged value in a new row`);
      return [event(keyOf(shape, { row, missing }), message.tag === 'insert' ? 'c' : 'r', null, row)];
    }
    case 'delete': {
      const tuple = message.old ?? message.key;
      if (!tuple) throw tableError('NO_OLD_ROW', shape, 'delete without old row or key');
      const old = readRow(shape, tuple, message.old === undefined);
      return deletion(keyOf(shape, old), old.row);
    }
    case 'update': {
      const oldTuple = message.old ?? message.key;
      const old = oldTuple ? readRow(shape, oldTuple, message.old === undefined) : undefined;
      // Checked first, so that `before` holds every key value its schema requires.
      const oldKey = old && keyOf(shape, old);
      const next = readRow(shape, message.new, false);
      const after = next.row;
      const unchanged: string[] = [];
      for (const field of layoutOf(shape).fields) {
        if (!next.missing.has(field.name)) continue;
        // Under REPLICA IDENTITY FULL the old row has the value the new tuple left out.
        if (old && !old.missing.has(field.name)) {
          after[field.name] = old.row[field.name] ?? null;
          next.missing.delete(field.name);
        } else if (!field.nullable) {
          // Only a NOT NULL key column's field is not nullable.
          const fix = `ALTER TABLE ${shape.schema}.${shape.table} REPLICA IDENTITY FULL (it sends the old value)`;
          const why = 'PostgreSQL did not send the unchanged TOAST value of this NOT NULL key column';
          throw tableError('UNCHANGED_NOT_NULL', shape, why, { column: field.column, fix });
        } else {
          unchanged.push(field.name);
        }
      }
      const before = old?.row ?? null;
      const newKey = keyOf(shape, next);
      // A new message key is a new Kafka key (another partition, another compacted entry), as in
      // Debezium: delete the old one with its tombstone, create the new one, two events with a
      // seq each, each naming the other's key. Its unchanged_fields (DEFAULT identity) then name
      // values the new key never had: REPLICA IDENTITY FULL avoids that. Only the message key's
      // columns count (key-columns.ts): under FULL the old row is whole, and an UPDATE of other
      // columns stays one 'u' with that whole row as `before`.
      if (oldKey && newKey && oldTuple && keyChanged(shape, oldTuple, message.new)) {
        return [
          ...deletion(oldKey, before, { newKey }),
          event(newKey, 'c', null, after, unchanged, { oldKey }),
        ];
      }
      return [event(newKey, 'u', before, after, unchanged)];
    }
  }
}
