import { CdcError } from '@cdc/core';
import { avroName, topicName, type TableColumn, type TableShape } from '../avro/table-schemas.ts';
import {
  field,
  optional,
  required,
  struct,
  type ConnectField,
  type ConnectSchema,
} from './connect-schema.ts';
import { unsupportedColumn, valueSchemaOf } from './postgres-types.ts';

/**
 * The Connect schemas of Debezium's PostgreSQL connector (3.6.1.Final) for one table: key, row
 * value, envelope, and the shared `source` and `transaction` blocks. Facts from debezium/debezium
 * at v3.6.1.Final:
 * - debezium-connector-common/.../schema/SchemaFactory.java: `sourceInfoSchemaBuilder` (version 1;
 *   version, connector, name, ts_ms, snapshot, db, sequence, ts_us, ts_ns), `snapshotRecordSchema`
 *   (io.debezium.data.Enum of every SnapshotRecord value, optional, default "false"),
 *   `transactionBlockSchema` (optional struct event.block, version 1: id, total_order,
 *   data_collection_order) and `datatypeEnvelopeSchema` (version Envelope.SCHEMA_VERSION = 2; op,
 *   ts_ms, ts_us, ts_ns appended after the fields given to the builder).
 * - debezium-connector-postgres/.../PostgresSourceInfoStructMaker.java: the record
 *   io.debezium.connector.postgresql.Source adds schema, table, txId, lsn, xmin, origin, origin_lsn.
 * - debezium-connector-common/.../relational/TableSchemaBuilder.java `create`: records
 *   `<prefix>.<schema>.<table>.Key` (required) and `.Value` (optional, all columns in table order),
 *   envelope `<topic>.Envelope` with before, after (the Value), source, transaction.
 * - debezium-connector-common/.../connector/SnapshotRecord.java for the snapshot values.
 */

/** A column with the catalog facts Debezium's mapping needs (pgType, which the shapes fill). */
export type DebeziumColumn = TableColumn;

export const SOURCE_SCHEMA_NAME = 'io.debezium.connector.postgresql.Source';
export const TRANSACTION_BLOCK_NAME = 'event.block';
export const ENVELOPE_VERSION = 2;

/** SnapshotRecord's values in declaration order, lower-cased, as snapshotRecordSchema lists them. */
export const SNAPSHOT_VALUES = [
  'true',
  'first',
  'first_in_data_collection',
  'last_in_data_collection',
  'last',
  'false',
  'incremental',
] as const;
export type SnapshotValue = (typeof SNAPSHOT_VALUES)[number];

const SNAPSHOT_SCHEMA: ConnectSchema = {
  type: 'string',
  optional: true,
  name: 'io.debezium.data.Enum',
  version: 1,
  parameters: { allowed: SNAPSHOT_VALUES.join(',') },
  defaultValue: 'false',
};

const STRING = required('string');
const INT64 = required('int64');
const OPTIONAL_INT64 = optional(INT64);

export const SOURCE_SCHEMA: ConnectSchema = struct(
  SOURCE_SCHEMA_NAME,
  [
    field('version', STRING),
    field('connector', STRING),
    field('name', STRING),
    field('ts_ms', INT64),
    field('snapshot', SNAPSHOT_SCHEMA),
    field('db', STRING),
    field('sequence', optional(STRING)),
    field('ts_us', OPTIONAL_INT64),
    field('ts_ns', OPTIONAL_INT64),
    field('schema', STRING),
    field('table', STRING),
    field('txId', OPTIONAL_INT64),
    field('lsn', OPTIONAL_INT64),
    field('xmin', OPTIONAL_INT64),
    field('origin', optional(STRING)),
    field('origin_lsn', OPTIONAL_INT64),
  ],
  { version: 1 },
);

export const TRANSACTION_SCHEMA: ConnectSchema = optional(
  struct(
    TRANSACTION_BLOCK_NAME,
    [field('id', STRING), field('total_order', INT64), field('data_collection_order', INT64)],
    { version: 1 },
  ),
);

/** A row field of Debezium mode: the Connect field and the row field of ours it is read from. */
export interface DebeziumField {
  readonly field: ConnectField;
  readonly column: DebeziumColumn;
}

/**
 * `<prefix>.<schema>.<table>` as record names: Debezium's default (schema.name.adjustment.mode
 * none) uses the topic's name as is, which the Avro converter refuses when a part is not a valid
 * Avro name; such parts are sanitised as in our own envelope (avro/table-schemas.ts), which is what
 * schema.name.adjustment.mode=avro does for the usual cases.
 */
export function recordNamePrefix(shape: TableShape): string {
  return topicName(shape.prefix, shape.schema, shape.table)
    .split('.')
    .map((part) => avroName(part))
    .join('.');
}

const tableFields = new WeakMap<TableShape, readonly DebeziumField[]>();

/**
 * Every column Debezium would emit, in table order: a column whose type Debezium leaves out
 * (include.unknown.datatypes=false) is left out here too. Field names are the Avro-sanitised
 * column names our envelope uses, so the row objects of change-event.ts apply unchanged.
 */
export function debeziumFields(shape: TableShape): readonly DebeziumField[] {
  let fields = tableFields.get(shape);
  if (!fields) {
    const table = `${shape.schema}.${shape.table}`;
    fields = shape.columns.flatMap((column) => {
      const refuse = (why: string): never => {
        throw unsupportedColumn(table, column.name, why);
      };
      const value = valueSchemaOf(column, refuse);
      if (value === undefined) return [];
      const schema = column.nullable ? optional(value) : value;
      return [{ field: field(avroName(column.name), schema), column }];
    });
    tableFields.set(shape, fields);
  }
  return fields;
}

/**
 * The key record: the key columns in the key's own order (shape.keyOrder: the primary key's
 * definition order, as Table.primaryKeyColumns gives them); undefined for a table without a
 * message key, whose records Debezium keys with null (and registers no key schema for).
 */
export function keyConnectSchema(shape: TableShape): ConnectSchema | undefined {
  const fields = debeziumFields(shape);
  const order = shape.keyOrder ?? shape.columns.filter((column) => column.isKey).map((column) => column.name);
  if (order.length === 0) return undefined;
  const keyFields = order.map((name) => {
    const found = fields.find(({ column }) => column.name === name);
    if (!found) {
      throw new CdcError(
        'DEBEZIUM_KEY_COLUMN',
        `${shape.schema}.${shape.table}.${name}: a message key column Debezium mode cannot map`,
        {
          fix: `key ${shape.schema}.${shape.table} by columns of mapped types, or leave it to the default envelope (envelope: cdc)`,
          details: { schema: shape.schema, table: shape.table, column: name },
        },
      );
    }
    return found.field;
  });
  return struct(`${recordNamePrefix(shape)}.Key`, keyFields);
}

export function valueConnectSchema(shape: TableShape): ConnectSchema {
  return optional(
    struct(
      `${recordNamePrefix(shape)}.Value`,
      debeziumFields(shape).map(({ field }) => field),
    ),
  );
}

export function envelopeConnectSchema(shape: TableShape): ConnectSchema {
  const value = valueConnectSchema(shape);
  return struct(
    `${recordNamePrefix(shape)}.Envelope`,
    [
      field('before', value),
      field('after', value),
      field('source', SOURCE_SCHEMA),
      field('transaction', TRANSACTION_SCHEMA),
      field('op', STRING),
      field('ts_ms', OPTIONAL_INT64),
      field('ts_us', OPTIONAL_INT64),
      field('ts_ns', OPTIONAL_INT64),
    ],
    { version: ENVELOPE_VERSION },
  );
}
