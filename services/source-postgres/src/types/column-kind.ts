/**
 * What a PostgreSQL column's type means for us: the Avro mapping of docs/contracts.md decides
 * one kind per type, and both the schema generator and the value decoder switch on it.
 */
export type ColumnKind =
  | { kind: 'int16' } // smallint -> Avro int
  | { kind: 'int32' } // integer -> Avro int
  | { kind: 'int64' } // bigint -> Avro long (exact beyond 2^53)
  | { kind: 'float32' } // real -> Avro float
  | { kind: 'float64' } // double precision -> Avro double
  | { kind: 'decimal'; precision: number; scale: number } // numeric(p,s) -> bytes/decimal
  | { kind: 'numeric-text' } // numeric without precision, money -> exact text
  | { kind: 'bool' }
  | { kind: 'text' } // text, varchar, char, citext, enums, name
  | { kind: 'uuid' }
  | { kind: 'date' } // -> int/date (days since 1970-01-01)
  | { kind: 'time' } // -> long/time-micros
  | { kind: 'timestamp' } // -> long/local-timestamp-micros
  | { kind: 'timestamptz' } // -> long/timestamp-micros (UTC)
  | { kind: 'interval' } // -> ISO 8601 duration string
  | { kind: 'json' } // json, jsonb -> the JSON text
  | { kind: 'bytea' } // -> bytes
  | { kind: 'array'; element: ColumnKind } // -> array of the element's mapping
  | { kind: 'other'; typeName: string }; // anything else -> the type's text form

/** Well-known type OIDs (pg_type.oid is fixed for built-in types). */
export const BUILTIN_KINDS: ReadonlyMap<number, ColumnKind> = new Map<number, ColumnKind>([
  [16, { kind: 'bool' }],
  [17, { kind: 'bytea' }],
  [18, { kind: 'text' }], // "char"
  [19, { kind: 'text' }], // name
  [20, { kind: 'int64' }],
  [21, { kind: 'int16' }],
  [23, { kind: 'int32' }],
  [25, { kind: 'text' }],
  [114, { kind: 'json' }],
  [700, { kind: 'float32' }],
  [701, { kind: 'float64' }],
  [790, { kind: 'numeric-text' }], // money
  [1042, { kind: 'text' }], // char(n)
  [1043, { kind: 'text' }], // varchar
  [1082, { kind: 'date' }],
  [1083, { kind: 'time' }],
  [1114, { kind: 'timestamp' }],
  [1184, { kind: 'timestamptz' }],
  [1186, { kind: 'interval' }],
  [2950, { kind: 'uuid' }],
  [3802, { kind: 'json' }], // jsonb
]);

export const NUMERIC_OID = 1700;

/**
 * numeric(p,s) stores its precision and scale in the type modifier: ((p << 16) | (s & 0x7ff)) + 4,
 * the scale as an 11-bit signed number (PostgreSQL 15 allows negative scales and scales above the
 * precision). Avro's decimal needs 0 <= scale <= precision, so other columns, and columns without
 * a modifier (any precision), travel as exact text.
 */
export function numericKind(typeMod: number): ColumnKind {
  if (typeMod < 4) return { kind: 'numeric-text' };
  const packed = typeMod - 4;
  const precision = (packed >> 16) & 0xffff;
  const scale = ((packed & 0x7ff) ^ 0x400) - 0x400;
  if (scale < 0 || scale > precision) return { kind: 'numeric-text' };
  return { kind: 'decimal', precision, scale };
}

/**
 * The value of a column in our pipeline, as decoded from PostgreSQL's text output and as given
 * to (and read back from) our Avro types:
 *
 * | kind                                  | value                                                     |
 * | ------------------------------------- | --------------------------------------------------------- |
 * | int16, int32                          | number                                                    |
 * | int64                                 | bigint (exact beyond 2^53)                                |
 * | float32, float64                      | number; NaN, Infinity and -Infinity are kept              |
 * | decimal                               | string: the exact decimal with exactly `scale` fraction digits, e.g. "-12.340" |
 * | numeric-text, text, uuid, interval, json, other | string                                          |
 * | bool                                  | boolean                                                   |
 * | date                                  | number: days since 1970-01-01 (infinity: 2147483647, -infinity: -2147483648, as PostgreSQL stores them) |
 * | time                                  | bigint: microseconds since midnight (24:00:00 is 86400000000) |
 * | timestamp, timestamptz                | bigint: microseconds since 1970-01-01T00:00:00 (UTC for timestamptz); infinity: 2^63-1, -infinity: -2^63 |
 * | bytea                                 | Buffer                                                    |
 * | array                                 | array of element values or null (one dimension)           |
 *
 * SQL NULL is null.
 */
export type ColumnValue = null | boolean | number | bigint | string | Buffer | ColumnValue[];

/**
 * Session settings of the replication connection, so that PostgreSQL's text output of every
 * value is canonical: ISO dates, ISO 8601 intervals, timestamptz in UTC, floats that round-trip,
 * bytea in hex.
 */
export const REPLICATION_SESSION_SETTINGS: Readonly<Record<string, string>> = {
  DateStyle: 'ISO, YMD',
  IntervalStyle: 'iso_8601',
  TimeZone: 'UTC',
  extra_float_digits: '3',
  bytea_output: 'hex',
};
