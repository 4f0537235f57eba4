import { CdcError } from '@cdc/core';
import type { ColumnKind } from '../types/column-kind.ts';
import type { PgColumnType } from '../types/type-catalog.ts';
import { array, optional, required, struct, field, type ConnectSchema } from './connect-schema.ts';

/**
 * Debezium's default type mapping of the PostgreSQL connector (3.6.1.Final), as Connect schemas:
 * time.precision.mode=adaptive, decimal.handling.mode=precise, interval.handling.mode=numeric,
 * binary.handling.mode=bytes, hstore.handling.mode=json, include.unknown.datatypes=false.
 *
 * Facts from debezium/debezium at v3.6.1.Final:
 * - debezium-connector-postgres/.../PostgresValueConverter.java `schemaBuilder(Column)`: per type
 *   OID (timestamptz -> ZonedTimestamp, interval -> MicroDuration, json/jsonb -> Json, uuid -> Uuid,
 *   money -> Decimal(money.fraction.digits = 2), numeric without modifier -> VariableScaleDecimal,
 *   inet/cidr/macaddr/ranges/bpchar -> string, enums -> Enum with `allowed`, the array cases; the
 *   arrays money[], name[], interval[], varbit[], xml[], point[] have no schema, so the column is
 *   left out) and `getTimePrecision` (a column's precision is its JDBC scale: the typmod, 6 without).
 * - debezium-connector-common/.../jdbc/JdbcValueConverters.java `schemaBuilder(Column)` for the rest
 *   by JDBC type (smallint -> INT16, real -> FLOAT32, ...; unknown types -> no schema: left out).
 * - debezium-connector-common/.../jdbc/TemporalPrecisionMode.java ADAPTIVE: time(p<=3) ->
 *   io.debezium.time.Time, else MicroTime; timestamp(p<=3) -> io.debezium.time.Timestamp, else
 *   MicroTimestamp; date -> io.debezium.time.Date.
 * - debezium-connector-common/.../data/SpecialValueDecimal.java `builder`: Decimal with the
 *   parameter connect.decimal.precision; .../data/VariableScaleDecimal.java, Enum.java, Json.java,
 *   Uuid.java, Xml.java, TsVector.java; .../time/*.java for names and versions (all version 1).
 * - debezium-connector-common/.../relational/TableSchemaBuilder.java `addField`: a column is
 *   optional exactly when it is nullable; a NOT NULL column is required.
 *
 * Types whose Debezium mapping this module does not reproduce yet (bit, varbit, timetz, hstore,
 * point and the PostGIS types, unknown pg_catalog types) are refused with a CdcError naming the
 * column, rather than sent in a form no Debezium consumer expects.
 */

/** A column's type as Debezium mode sees it: our kind, refined by the catalog facts when known. */
export interface DebeziumColumnType {
  readonly kind: ColumnKind;
  /** Without it: no enum labels, precision 6 for times, and numeric-text read as unbounded numeric. */
  readonly pgType?: PgColumnType;
}

export const DEBEZIUM_NAMES = {
  date: 'io.debezium.time.Date',
  time: 'io.debezium.time.Time',
  microTime: 'io.debezium.time.MicroTime',
  timestamp: 'io.debezium.time.Timestamp',
  microTimestamp: 'io.debezium.time.MicroTimestamp',
  zonedTimestamp: 'io.debezium.time.ZonedTimestamp',
  microDuration: 'io.debezium.time.MicroDuration',
  json: 'io.debezium.data.Json',
  uuid: 'io.debezium.data.Uuid',
  enum: 'io.debezium.data.Enum',
  xml: 'io.debezium.data.Xml',
  tsvector: 'io.debezium.data.Tsvector',
  ltree: 'io.debezium.data.Ltree',
  variableScaleDecimal: 'io.debezium.data.VariableScaleDecimal',
  decimal: 'org.apache.kafka.connect.data.Decimal',
} as const;

/** PostgresConnectorConfig money.fraction.digits, default 2. */
export const MONEY_FRACTION_DIGITS = 2;

const semantic = (type: ConnectSchema['type'], name: string, extra: Partial<ConnectSchema> = {}) =>
  required(type, { name, version: 1, ...extra });

/** org.apache.kafka.connect.data.Decimal.builder(scale) plus SpecialValueDecimal's precision. */
export function decimalSchema(scale: number, precision?: number): ConnectSchema {
  const parameters: Record<string, string> = { scale: String(scale) };
  if (precision !== undefined) parameters['connect.decimal.precision'] = String(precision);
  return semantic('bytes', DEBEZIUM_NAMES.decimal, { parameters });
}

export const VARIABLE_SCALE_DECIMAL: ConnectSchema = struct(
  DEBEZIUM_NAMES.variableScaleDecimal,
  [field('scale', required('int32')), field('value', required('bytes'))],
  { version: 1, doc: 'Variable scaled decimal' },
);

/** Types Debezium maps to a plain Connect string (PostgresValueConverter's string cases). */
const STRING_TYPES = new Set([
  'inet',
  'cidr',
  'macaddr',
  'macaddr8',
  'int4range',
  'int8range',
  'numrange',
  'tsrange',
  'tstzrange',
  'daterange',
]);

/** Arrays PostgresValueConverter answers with no schema: Debezium leaves such columns out. */
const ARRAYS_LEFT_OUT = new Set(['_money', '_name', '_interval', '_varbit', '_xml', '_point', '_refcursor']);

/** The JDBC scale Debezium reads a time or timestamp precision from: the typmod, else 6. */
function timePrecision(pgType: PgColumnType | undefined): number {
  return pgType && pgType.typeMod >= 0 ? pgType.typeMod : 6;
}

type Refusal = (why: string) => never;

/**
 * The Connect schema of a non-null value of this type (optionality is the caller's), or undefined
 * where Debezium leaves the column out of its events.
 */
export function valueSchemaOf(type: DebeziumColumnType, refuse: Refusal): ConnectSchema | undefined {
  const { kind, pgType } = type;
  switch (kind.kind) {
    case 'int16':
      return required('int16');
    case 'int32':
      return required('int32');
    case 'int64':
      return required('int64');
    case 'float32':
      return required('float32');
    case 'float64':
      return required('float64');
    case 'decimal':
      return decimalSchema(kind.scale, kind.precision);
    case 'numeric-text':
      // money and unbounded numeric share our kind (both travel as exact text); Debezium tells
      // them apart. Negative scales (PostgreSQL 15) also land here; Debezium has no mapping for
      // them that we can reproduce, so they are refused.
      if (pgType?.name === 'money') return decimalSchema(MONEY_FRACTION_DIGITS);
      if (pgType !== undefined && pgType.typeMod >= 0) {
        return refuse('numeric with a negative scale or a scale above its precision');
      }
      return VARIABLE_SCALE_DECIMAL;
    case 'bool':
      return required('boolean');
    case 'text':
      if (pgType?.enumLabels) {
        return semantic('string', DEBEZIUM_NAMES.enum, {
          parameters: { allowed: pgType.enumLabels.join(',') },
        });
      }
      return required('string');
    case 'uuid':
      return semantic('string', DEBEZIUM_NAMES.uuid);
    case 'date':
      return semantic('int32', DEBEZIUM_NAMES.date);
    case 'time':
      return timePrecision(pgType) <= 3
        ? semantic('int32', DEBEZIUM_NAMES.time)
        : semantic('int64', DEBEZIUM_NAMES.microTime);
    case 'timestamp':
      return timePrecision(pgType) <= 3
        ? semantic('int64', DEBEZIUM_NAMES.timestamp)
        : semantic('int64', DEBEZIUM_NAMES.microTimestamp);
    case 'timestamptz':
      return semantic('string', DEBEZIUM_NAMES.zonedTimestamp);
    case 'interval':
      return semantic('int64', DEBEZIUM_NAMES.microDuration);
    case 'json':
      return semantic('string', DEBEZIUM_NAMES.json);
    case 'bytea':
      return required('bytes');
    case 'array':
      return arraySchemaOf(kind, pgType, refuse);
    case 'other':
      return otherSchemaOf(kind.typeName, refuse);
  }
}

function arraySchemaOf(
  kind: ColumnKind & { kind: 'array' },
  pgType: PgColumnType | undefined,
  refuse: Refusal,
): ConnectSchema | undefined {
  if (pgType && ARRAYS_LEFT_OUT.has(pgType.name)) return undefined;
  const element: DebeziumColumnType = pgType?.element
    ? { kind: kind.element, pgType: pgType.element }
    : { kind: kind.element };
  // An enum array's elements are required (PostgresValueConverter builds Enum without optional()).
  if (kind.element.kind === 'text' && element.pgType?.enumLabels) {
    return array(valueSchemaOf(element, refuse)!);
  }
  if (kind.element.kind === 'numeric-text' && element.pgType?.name === 'money') return undefined;
  if (kind.element.kind === 'interval') return undefined;
  if (kind.element.kind === 'array') return refuse('multi-dimensional array types');
  const items = valueSchemaOf(element, refuse);
  if (items === undefined) return undefined;
  // Arrays of the types PostgresValueConverter lists by OID have optional elements; the others go
  // through its arrayElementSchema, which leaves the element required.
  const listed =
    kind.element.kind !== 'other' ||
    STRING_TYPES.has(kind.element.typeName) ||
    kind.element.typeName === 'oid' ||
    kind.element.typeName.endsWith('.ltree');
  return array(listed ? optional(items) : items);
}

function otherSchemaOf(typeName: string, refuse: Refusal): ConnectSchema | undefined {
  if (STRING_TYPES.has(typeName)) return required('string');
  switch (typeName) {
    case 'oid':
      return required('int64');
    case 'xml':
      return semantic('string', DEBEZIUM_NAMES.xml);
    case 'tsvector':
      return semantic('string', DEBEZIUM_NAMES.tsvector);
  }
  if (typeName.endsWith('.ltree')) return semantic('string', DEBEZIUM_NAMES.ltree);
  if (typeName.endsWith('.isbn')) return required('string');
  return refuse(`type ${typeName}`);
}

/** The error for a column Debezium mode cannot map; the message names the table and column. */
export function unsupportedColumn(table: string, column: string, why: string): CdcError {
  return new CdcError(
    'DEBEZIUM_TYPE_UNSUPPORTED',
    `${table}.${column}: Debezium mode does not map ${why} yet`,
    {
      fix: `leave ${table} to the default envelope (envelope: cdc), or change the column's type`,
      details: { table, column, why },
    },
  );
}
