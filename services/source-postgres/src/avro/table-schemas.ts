import { readFileSync } from 'node:fs';
import { CdcError, type AvroField, type AvroRecord, type AvroSchema } from '@cdc/core';
import type { EnvelopeName } from '../config.ts';
import type { ColumnKind } from '../types/column-kind.ts';
import type { PgColumnType } from '../types/type-catalog.ts';

/**
 * The Avro schemas of a captured table (key, row value, change event envelope), as plain JSON
 * for the schema registry, following the type mapping and envelope of docs/contracts.md. Names follow
 * Debezium: namespace `<prefix>.<schema>.<table>`, records `Key`, `Value`, `Envelope`.
 */

export type { AvroField, AvroRecord, AvroSchema } from '@cdc/core';

export interface TableColumn {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly nullable: boolean;
  /** Part of the message key: the primary key, else the declared key columns (key-columns.ts). */
  readonly isKey: boolean;
  /**
   * The PostgreSQL type beyond its kind (enum labels, time precision, money or numeric), which
   * Debezium's type mapping switches on (debezium/postgres-types.ts); our own mapping needs only
   * the kind. The stream and the snapshot always fill it.
   */
  readonly pgType?: PgColumnType;
}

export interface TableShape {
  readonly prefix: string;
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly TableColumn[];
  /** The envelope the source writes the table's records in (source.envelope); absent: cdc. */
  readonly envelope?: EnvelopeName;
  /**
   * The message key's columns in the key's own order (key-columns.ts): Debezium's key record
   * takes its fields in this order; ours keeps column order. Absent: the key columns in column
   * order. Empty: no message key, the records' keys are null (a keyless table in Debezium's
   * envelope).
   */
  readonly keyOrder?: readonly string[];
}

/** Kafka allows [a-zA-Z0-9._-] in topic names; the prefix's own dots are kept. */
export function topicName(prefix: string, schema: string, table: string): string {
  return [prefix, schema, table].map((part) => part.replace(/[^a-zA-Z0-9._-]/gu, '_')).join('.');
}

/** An Avro name ([A-Za-z_][A-Za-z0-9_]*) for a PostgreSQL identifier, which may hold anything. */
export function avroName(identifier: string): string {
  const name = identifier.replace(/[^A-Za-z0-9_]/gu, '_');
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
}

export function avroNamespace(prefix: string, schema: string, table: string): string {
  return [...prefix.split('.'), schema, table].map(avroName).join('.');
}

/** The Avro type of one (non-null) column value: the type mapping of docs/contracts.md. */
export function avroTypeFor(kind: ColumnKind): AvroSchema {
  switch (kind.kind) {
    case 'int16':
    case 'int32':
      return 'int';
    case 'int64':
      return 'long';
    case 'float32':
      return 'float';
    case 'float64':
      return 'double';
    case 'decimal':
      return { type: 'bytes', logicalType: 'decimal', precision: kind.precision, scale: kind.scale };
    case 'numeric-text':
    case 'text':
    case 'interval':
    case 'json':
    case 'other':
      return 'string';
    case 'bool':
      return 'boolean';
    case 'uuid':
      return { type: 'string', logicalType: 'uuid' };
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'time':
      return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp':
      return { type: 'long', logicalType: 'local-timestamp-micros' };
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros' };
    case 'bytea':
      return 'bytes';
    case 'array':
      return { type: 'array', items: ['null', avroTypeFor(kind.element)] }; // elements may be NULL
  }
}

/** Fields in column order; the original column name stays in "pg.column" since sanitising loses it. */
function fieldsOf(shape: TableShape, columns: readonly TableColumn[], forKey: boolean): AvroField[] {
  const owners = new Map<string, string>();
  return columns.map((column) => {
    const name = avroName(column.name);
    const owner = owners.get(name);
    if (owner !== undefined) {
      throw new CdcError(
        'SCHEMA_NAME_CLASH',
        `columns "${owner}" and "${column.name}" of ${shape.schema}.${shape.table} both become Avro field "${name}"`,
        {
          fix: 'rename one of the two columns',
          details: { schema: shape.schema, table: shape.table, columns: [owner, column.name], field: name },
        },
      );
    }
    owners.set(name, column.name);
    const type = avroTypeFor(column.kind);
    // In the row, every non-key field may be null whatever the column's NOT NULL says: a delete
    // under REPLICA IDENTITY DEFAULT sends only the key columns as `before`, and an unchanged
    // TOAST value is null in `after` (listed in unchanged_fields), never a made-up value. A key
    // field is null only where its column can be (a keyless table captured with REPLICA IDENTITY
    // FULL keys on all its columns). Nullable fields default to null so that adding one stays
    // BACKWARD compatible.
    const nullable = forKey ? column.nullable : column.nullable || !column.isKey;
    return nullable
      ? { name, type: ['null', type], default: null, 'pg.column': column.name }
      : { name, type, 'pg.column': column.name };
  });
}

/** The message key: the key columns only, in column order (a primary key's are never null). */
export function keySchema(shape: TableShape): AvroRecord {
  const keyColumns = shape.columns.filter((column) => column.isKey);
  if (keyColumns.length === 0) {
    throw new CdcError('NO_PRIMARY_KEY', `table ${shape.schema}.${shape.table} has no primary key`, {
      fix:
        'add a primary key, or capture it as a keyless table (REPLICA IDENTITY FULL, and its key columns in ' +
        'keyless.key_columns or the table in keyless.allow), or stop capturing the table',
      details: { schema: shape.schema, table: shape.table },
    });
  }
  return {
    type: 'record',
    name: 'Key',
    namespace: avroNamespace(shape.prefix, shape.schema, shape.table),
    fields: fieldsOf(shape, keyColumns, true),
  };
}

/** The row: every column. */
export function valueSchema(shape: TableShape): AvroRecord {
  return {
    type: 'record',
    name: 'Value',
    namespace: avroNamespace(shape.prefix, shape.schema, shape.table),
    fields: fieldsOf(shape, shape.columns, false),
  };
}

let sourceSchema: AvroRecord | undefined;

/** schemas/change-event-source.avsc, the shared `source` block, read once. */
function sourceRecord(): AvroRecord {
  sourceSchema ??= JSON.parse(
    readFileSync(new URL('../../../../schemas/change-event-source.avsc', import.meta.url), 'utf8'),
  ) as AvroRecord;
  return sourceSchema;
}

/** The change event (docs/contracts.md): Debezium's field names, so Debezium consumers read it. */
export function envelopeSchema(shape: TableShape): AvroRecord {
  const value = valueSchema(shape);
  return {
    type: 'record',
    name: 'Envelope',
    namespace: value.namespace,
    fields: [
      { name: 'before', type: ['null', value], default: null },
      // A named type is defined once per schema; later uses refer to it by full name.
      { name: 'after', type: ['null', `${value.namespace}.${value.name}`], default: null },
      { name: 'op', type: 'string' },
      { name: 'ts_ms', type: 'long' },
      { name: 'source', type: sourceRecord() },
      { name: 'unchanged_fields', type: { type: 'array', items: 'string' }, default: [] },
    ],
  };
}
