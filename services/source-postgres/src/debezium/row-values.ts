import { createHash } from 'node:crypto';
import type { Row } from '../events/change-event.ts';
import { debeziumValue } from './column-values.ts';
import type { ConnectSchema } from './connect-schema.ts';
import type { DebeziumField } from './debezium-schemas.ts';
import { DEBEZIUM_NAMES } from './postgres-types.ts';

/**
 * A row of ours (change-event.ts) as Debezium's Value or Key struct. Where PostgreSQL sent no
 * value, Debezium writes what its converters make of one (debezium/debezium at v3.6.1.Final):
 * - an unchanged TOAST value (our unchanged_fields) becomes the unavailable-value placeholder
 *   (unavailable.value.placeholder, default "__debezium_unavailable_value"), whether the column is
 *   nullable or not, in the form of its type (UnchangedToastedPlaceholder, and
 *   UnchangedToastedReplicationMessageColumn for arrays: text-like arrays hold the text, int4 and
 *   date arrays the placeholder's bytes as ints, int8 arrays as longs, uuid arrays the name-based
 *   UUID of its bytes, bytea arrays its bytes);
 * - a NOT NULL column left out of a key-only old row (REPLICA IDENTITY DEFAULT) becomes its
 *   converter's fallback, 0, "", false or empty (JdbcValueConverters `convertValue`).
 */

export const UNAVAILABLE_VALUE = '__debezium_unavailable_value';
const UNAVAILABLE_BYTES = Buffer.from(UNAVAILABLE_VALUE);

/** java.util.UUID.nameUUIDFromBytes: an MD5 name-based (version 3) UUID. */
function nameUuid(bytes: Buffer): string {
  const hash = createHash('md5').update(bytes).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x30;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The placeholder of an unchanged TOAST value of a column of this PostgreSQL type and schema. */
function unavailable(pgTypeName: string | undefined, schema: ConnectSchema): unknown {
  switch (pgTypeName) {
    case '_text':
    case '_varchar':
    case '_bpchar':
    case '_json':
    case '_jsonb':
      return [UNAVAILABLE_VALUE];
    case '_bytea':
      return [UNAVAILABLE_BYTES];
    case '_int4':
    case '_date':
      return [...UNAVAILABLE_BYTES];
    case '_int8':
      return [...UNAVAILABLE_BYTES].map(BigInt);
    case '_uuid':
      return [nameUuid(UNAVAILABLE_BYTES)];
  }
  if (schema.type === 'string') return UNAVAILABLE_VALUE;
  if (schema.type === 'bytes' && schema.name === undefined) return UNAVAILABLE_BYTES;
  // Other types (a TOASTed numeric, say) have no placeholder form Debezium's schema accepts.
  return null;
}

/** A required field's value where a key-only old row has none: the converter's fallback. */
function fallback(schema: ConnectSchema): unknown {
  if (schema.name === DEBEZIUM_NAMES.variableScaleDecimal) return { scale: 0, value: Buffer.from([0]) };
  if (schema.name === DEBEZIUM_NAMES.decimal) {
    const scale = Number(schema.parameters?.scale ?? 0);
    return scale === 0 ? '0' : `0.${'0'.repeat(scale)}`;
  }
  switch (schema.type) {
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    case 'array':
      return [];
    case 'boolean':
      return false;
    case 'int64':
      return 0n;
    default:
      return 0;
  }
}

/**
 * The struct of these fields read from `row`; `unchanged` names the fields whose values
 * PostgreSQL did not send (unchanged TOAST); `snapshot` for a snapshot row (column-values.ts).
 */
export function debeziumRow(
  fields: readonly DebeziumField[],
  row: Row | null,
  unchanged: ReadonlySet<string> = new Set(),
  snapshot = false,
): Record<string, unknown> | null {
  if (row === null) return null;
  const out: Record<string, unknown> = {};
  for (const { field, column } of fields) {
    if (unchanged.has(field.name)) {
      out[field.name] = unavailable(column.pgType?.name, field.schema);
      continue;
    }
    const fractionWidth = column.pgType && column.pgType.typeMod >= 0 ? column.pgType.typeMod : 6;
    const value = debeziumValue(field.schema, row[field.name] ?? null, { fractionWidth, snapshot });
    out[field.name] = value === null && !field.schema.optional ? fallback(field.schema) : value;
  }
  return out;
}
