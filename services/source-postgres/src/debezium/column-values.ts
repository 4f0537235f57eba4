import { CdcError, twosComplementBytes } from '@cdc/core';
import type { ColumnValue } from '../types/column-kind.ts';
import {
  DATE_INFINITY,
  DATE_MINUS_INFINITY,
  TIMESTAMP_INFINITY,
  TIMESTAMP_MINUS_INFINITY,
} from '../types/datetime.ts';
import type { ConnectSchema } from './connect-schema.ts';
import { DEBEZIUM_NAMES, MONEY_FRACTION_DIGITS } from './postgres-types.ts';
import {
  DEBEZIUM_DATE_INFINITY_DAYS,
  DEBEZIUM_DATE_MINUS_INFINITY_DAYS,
  DEBEZIUM_SNAPSHOT_DATE_INFINITY_DAYS,
  DEBEZIUM_SNAPSHOT_DATE_MINUS_INFINITY_DAYS,
  DEBEZIUM_TIMESTAMP_INFINITY_MICROS,
  DEBEZIUM_TIMESTAMP_MINUS_INFINITY_MICROS,
  microDuration,
  zonedTimestamp,
} from './temporal.ts';

/**
 * One column value (decoded by types/decode-text.ts) in Debezium's form for its Connect schema,
 * as our avsc options encode it (avro/avro-types.ts in @cdc/core: longs as BigInt, Decimal as the
 * exact text with `scale` digits). Debezium's converters are in debezium/debezium at v3.6.1.Final,
 * debezium-connector-postgres/.../PostgresValueConverter.java (`converter`) and
 * debezium-connector-common/.../jdbc/JdbcValueConverters.java; see the notes per case.
 */

export interface ValueOptions {
  /** Fraction width of a ZonedTimestamp: the column's precision, 6 without one. */
  readonly fractionWidth: number;
  /** A snapshot row: Debezium reads those through JDBC, whose infinity dates differ from the stream's. */
  readonly snapshot?: boolean;
}

function invalid(schema: ConnectSchema, value: unknown): never {
  throw new CdcError(
    'DEBEZIUM_VALUE',
    `value ${JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))} does not fit ${schema.name ?? schema.type}`,
  );
}

const DECIMAL_TEXT = /^-?\d+(?:\.\d+)?$/u;

/** "12.5" at scale 2 -> "12.50"; Java's setScale(HALF_UP) when digits must go. */
function atScale(text: string, scale: number): string {
  const negative = text.startsWith('-');
  const [integer = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  let unscaled = BigInt(integer + fraction.slice(0, scale).padEnd(scale, '0'));
  if ((fraction[scale] ?? '0') >= '5') unscaled += 1n;
  const digits = unscaled.toString().padStart(scale + 1, '0');
  const body = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative && unscaled !== 0n ? `-${body}` : body;
}

/** money's text under lc_monetary C/en_US ("-$1,234.50", "($1.00)"): the amount as decimal text. */
function moneyText(text: string): string | undefined {
  const negative = text.includes('-') || text.startsWith('(');
  const amount = text.replace(/[^0-9.]/gu, '');
  if (!DECIMAL_TEXT.test(amount)) return undefined;
  return atScale(negative ? `-${amount}` : amount, MONEY_FRACTION_DIGITS);
}

/**
 * VariableScaleDecimal: the unscaled value (BigInteger.toByteArray) and the scale after
 * stripTrailingZeros (never negative). NaN and infinities have no form there: Debezium's precise
 * mode gives null (SpecialValueDecimal.fromLogical).
 */
function variableScaleDecimal(text: string): { scale: number; value: Buffer } | null {
  if (!DECIMAL_TEXT.test(text)) return null;
  const negative = text.startsWith('-');
  const [integer = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const trimmed = fraction.replace(/0+$/u, '');
  const unscaled = BigInt(integer + trimmed) * (negative ? -1n : 1n);
  return { scale: unscaled === 0n ? 0 : trimmed.length, value: twosComplementBytes(unscaled) };
}

export function debeziumValue(schema: ConnectSchema, value: ColumnValue, options: ValueOptions): unknown {
  if (value === null) return null;
  switch (schema.name) {
    case DEBEZIUM_NAMES.decimal: {
      const scale = Number(schema.parameters?.scale ?? 0);
      if (typeof value !== 'string') return invalid(schema, value);
      if (DECIMAL_TEXT.test(value)) return atScale(value, scale); // numeric(p,s): already exact
      return moneyText(value) ?? invalid(schema, value);
    }
    case DEBEZIUM_NAMES.variableScaleDecimal:
      return typeof value === 'string' ? variableScaleDecimal(value) : invalid(schema, value);
    case DEBEZIUM_NAMES.date:
      // Epoch days; PostgreSQL's infinities become PostgresValueConverter's infinity dates in
      // the stream, and what pgjdbc's infinity Date comes to in a snapshot.
      if (value === DATE_INFINITY) {
        return options.snapshot ? DEBEZIUM_SNAPSHOT_DATE_INFINITY_DAYS : DEBEZIUM_DATE_INFINITY_DAYS;
      }
      if (value === DATE_MINUS_INFINITY) {
        return options.snapshot
          ? DEBEZIUM_SNAPSHOT_DATE_MINUS_INFINITY_DAYS
          : DEBEZIUM_DATE_MINUS_INFINITY_DAYS;
      }
      return value;
    case DEBEZIUM_NAMES.time:
      // Milliseconds of the day (Duration.toMillis truncates; times are never negative).
      return typeof value === 'bigint' ? Number(value / 1000n) : invalid(schema, value);
    case DEBEZIUM_NAMES.timestamp:
    case DEBEZIUM_NAMES.microTimestamp: {
      if (typeof value !== 'bigint') return invalid(schema, value);
      let micros = value;
      if (value === TIMESTAMP_INFINITY) micros = DEBEZIUM_TIMESTAMP_INFINITY_MICROS;
      if (value === TIMESTAMP_MINUS_INFINITY) micros = DEBEZIUM_TIMESTAMP_MINUS_INFINITY_MICROS;
      if (schema.name === DEBEZIUM_NAMES.microTimestamp) return micros;
      return micros >= 0n || micros % 1000n === 0n ? micros / 1000n : micros / 1000n - 1n; // floorDiv
    }
    case DEBEZIUM_NAMES.zonedTimestamp:
      if (value === TIMESTAMP_INFINITY) return 'infinity';
      if (value === TIMESTAMP_MINUS_INFINITY) return '-infinity';
      return typeof value === 'bigint'
        ? zonedTimestamp(value, options.fractionWidth)
        : invalid(schema, value);
    case DEBEZIUM_NAMES.microDuration: {
      const micros = typeof value === 'string' ? microDuration(value) : undefined;
      return micros ?? invalid(schema, value);
    }
  }
  switch (schema.type) {
    case 'array': {
      if (!Array.isArray(value) || !schema.items) return invalid(schema, value);
      const items = schema.items;
      return value.map((item) => debeziumValue(items, item, options));
    }
    case 'int64':
      // oid travels as its text in our kinds ('other'); Debezium reads it as a long.
      if (typeof value === 'string' && /^\d+$/u.test(value)) return BigInt(value);
      return typeof value === 'bigint' ? value : invalid(schema, value);
    default:
      return value;
  }
}
