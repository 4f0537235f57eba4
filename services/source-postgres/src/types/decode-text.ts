import { CdcError } from '@cdc/core';
import { parse as parseArrayLiteral } from 'postgres-array';
import { type ColumnKind, type ColumnValue } from './column-kind.ts';
import {
  dateToDays,
  TIMESTAMP_INFINITY,
  TIMESTAMP_MINUS_INFINITY,
  timestampToMicros,
  timeToMicros,
} from './datetime.ts';

/**
 * Turns PostgreSQL's text output of one non-null value, as pgoutput sends it under
 * REPLICATION_SESSION_SETTINGS, into the value column-kind.ts prescribes for its kind. Nothing is
 * rounded or truncated: a value that cannot be carried exactly is an error, never a guess.
 * Errors name the kind and the text; the caller adds the table and column.
 */
export function decodeText(kind: ColumnKind, text: string): ColumnValue {
  switch (kind.kind) {
    case 'int16':
      return decodeInteger(kind, text, -32768, 32767);
    case 'int32':
      return decodeInteger(kind, text, -2147483648, 2147483647);
    case 'int64':
      return decodeInt64(kind, text);
    case 'float32':
    case 'float64':
      return decodeFloat(kind, text);
    case 'decimal':
      return decodeDecimal(kind, text);
    case 'bool':
      if (text === 't') return true;
      if (text === 'f') return false;
      return invalid(kind, text);
    // Travel as the exact text: money keeps its "$1,234.50", interval is already ISO 8601.
    case 'numeric-text':
    case 'text':
    case 'uuid':
    case 'interval':
    case 'json':
    case 'other':
      return text;
    case 'date':
      return dateToDays(text) ?? invalid(kind, text);
    case 'time':
      return timeToMicros(text) ?? invalid(kind, text);
    case 'timestamp':
    case 'timestamptz':
      return decodeTimestamp(kind, text);
    case 'bytea':
      return decodeBytea(kind, text);
    case 'array':
      return decodeArray(kind, text);
  }
}

/** A readable name of a kind for messages: "int32", "array of date", "other (inet)". */
function kindName(kind: ColumnKind): string {
  if (kind.kind === 'array') return `array of ${kindName(kind.element)}`;
  if (kind.kind === 'other') return `other (${kind.typeName})`;
  if (kind.kind === 'decimal') return `decimal(${kind.precision},${kind.scale})`;
  return kind.kind;
}

/** Long values (json, arrays) are cut in messages; the full text is in `details`. */
function quote(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

function invalid(kind: ColumnKind, text: string, cause?: unknown): never {
  throw new CdcError('INVALID_VALUE', `invalid ${kindName(kind)} value ${quote(text)}`, {
    details: { kind: kindName(kind), text },
    cause,
  });
}

function unrepresentable(kind: ColumnKind, text: string, why: string): never {
  throw new CdcError('UNREPRESENTABLE_VALUE', `${kindName(kind)} value ${quote(text)} ${why}`, {
    details: { kind: kindName(kind), text },
  });
}

const INTEGER = /^-?\d+$/;

function decodeInteger(kind: ColumnKind, text: string, min: number, max: number): number {
  if (!INTEGER.test(text)) return invalid(kind, text);
  const value = Number(text); // exact: anything in int32 range is far below 2^53
  if (value < min || value > max) return invalid(kind, text);
  return value;
}

function decodeInt64(kind: ColumnKind, text: string): bigint {
  if (!INTEGER.test(text)) return invalid(kind, text);
  const value = BigInt(text); // Number would round beyond 2^53
  if (value < -(2n ** 63n) || value >= 2n ** 63n) return invalid(kind, text);
  return value;
}

// PostgreSQL prints floats as "0.1", "1e+300", "-0", "NaN", "Infinity" or "-Infinity".
const FLOAT = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const NON_FINITE: ReadonlyMap<string, number> = new Map([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
]);

function decodeFloat(kind: ColumnKind, text: string): number {
  const special = NON_FINITE.get(text);
  if (special !== undefined) return special;
  if (!FLOAT.test(text)) return invalid(kind, text);
  // extra_float_digits=3 gives the shortest text that round-trips, so Number() is exact for
  // float8. A float4's text is the shortest that round-trips through float4; Math.fround gives
  // the very float4 value PostgreSQL holds, which is also what Avro's float decodes to.
  const value = Number(text);
  const stored = kind.kind === 'float32' ? Math.fround(value) : value;
  if (!Number.isFinite(stored)) return invalid(kind, text); // a finite literal beyond the range
  return stored;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Exactly `scale` fraction digits, no more than `precision` digits in all, as Avro's decimal needs. */
function decodeDecimal(kind: ColumnKind & { kind: 'decimal' }, text: string): string {
  if (NON_FINITE.has(text)) {
    return unrepresentable(
      kind,
      text,
      'cannot be an Avro decimal; only numeric without precision travels as text and can hold it',
    );
  }
  const match = DECIMAL.exec(text);
  if (!match) return invalid(kind, text);
  const [, sign = '', integerText = '', fractionText = ''] = match;
  // PostgreSQL already prints the column's scale; digits beyond it may only be zeros, or
  // dropping them would change the value.
  const extra = fractionText.slice(kind.scale);
  if (/[^0]/.test(extra)) return invalid(kind, text);
  const fraction = fractionText.slice(0, kind.scale).padEnd(kind.scale, '0');
  const integer = integerText.replace(/^0+(?=\d)/, '');
  const integerDigits = integer === '0' ? 0 : integer.length;
  if (integerDigits + kind.scale > kind.precision) return invalid(kind, text);
  const isZero = integer === '0' && !/[^0]/.test(fraction);
  return `${isZero ? '' : sign}${integer}${kind.scale > 0 ? `.${fraction}` : ''}`;
}

function decodeTimestamp(kind: ColumnKind & { kind: 'timestamp' | 'timestamptz' }, text: string): bigint {
  if (text === 'infinity') return TIMESTAMP_INFINITY;
  if (text === '-infinity') return TIMESTAMP_MINUS_INFINITY;
  const micros = timestampToMicros(text, kind.kind === 'timestamptz') ?? invalid(kind, text);
  // PostgreSQL's range ends at 294276-12-31 counted from 2000; from 1970 an Avro long ends at
  // 294247-01-10 04:00:54.775807, and that last value already means infinity.
  if (micros <= TIMESTAMP_MINUS_INFINITY || micros >= TIMESTAMP_INFINITY) {
    return unrepresentable(kind, text, 'is beyond microseconds since 1970 in a long (last: 294247-01-10)');
  }
  return micros;
}

// bytea_output=hex: a backslash, "x", then two hex digits per byte ("\x" alone is empty).
const BYTEA_HEX = /^\\x((?:[0-9a-fA-F]{2})*)$/;

function decodeBytea(kind: ColumnKind, text: string): Buffer {
  const match = BYTEA_HEX.exec(text);
  if (!match) return invalid(kind, text); // Buffer.from would silently drop bad hex
  return Buffer.from(match[1] ?? '', 'hex');
}

// "{...}", optionally after explicit bounds "[0:1]=" (one "[lo:hi]" per dimension).
const ARRAY_LITERAL = /^(?:(?:\[-?\d+:-?\d+\])+=)?\{[\s\S]*\}$/;

/**
 * A one-dimensional array; explicit lower bounds are dropped (Avro arrays have none, the values
 * and their order are what matter). Quoting and NULL are the package's business: a quoted
 * "NULL" is the string, a bare NULL is SQL NULL.
 */
function decodeArray(kind: ColumnKind & { kind: 'array' }, text: string): ColumnValue[] {
  const { element } = kind;
  if (element.kind === 'other' && element.typeName === 'box') {
    // box is the one built-in type whose array delimiter is ";" not ",", which the parser does
    // not know: it would split "(1,1),(0,0)" into four wrong elements.
    return unrepresentable(kind, text, 'cannot be parsed: box arrays are delimited by ";"');
  }
  if (!ARRAY_LITERAL.test(text)) return invalid(kind, text);
  let items: unknown[];
  try {
    items = parseArrayLiteral(text);
  } catch (error) {
    return invalid(kind, text, error);
  }
  if (items.some((item) => Array.isArray(item))) {
    return unrepresentable(
      kind,
      text,
      'is multi-dimensional; the Avro mapping is an array of the element type, one dimension only',
    );
  }
  return items.map((item) => (typeof item === 'string' ? decodeElement(kind, text, item) : null));
}

/** An element's error keeps its code and also shows the whole array. */
function decodeElement(kind: ColumnKind & { kind: 'array' }, text: string, item: string): ColumnValue {
  try {
    return decodeText(kind.element, item);
  } catch (error) {
    if (!(error instanceof CdcError)) throw error;
    throw new CdcError(error.code, `${error.message} in ${kindName(kind)} value ${quote(text)}`, {
      details: { ...error.details, array: text },
      cause: error,
    });
  }
}
