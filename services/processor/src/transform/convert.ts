import type { ValueKind } from './avro-kind.ts';

/**
 * Value conversions shared by coerce (from a known Avro type) and compute (from whatever an
 * expression returns). They throw a plain Error whose message says why; the step wraps it into a
 * TransformError naming itself and the field.
 */

export type TargetType = 'string' | 'int' | 'long' | 'double' | 'boolean';

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const INTEGER_TEXT = /^[+-]?\d+$/;
// Decimal texts whose fraction is only zeros are whole numbers too ("12.00", as numeric columns write them).
const WHOLE_DECIMAL_TEXT = /^([+-]?\d+)\.0*$/;
const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_DOUBLES: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '+Infinity': Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};
const TRUE_TEXTS = new Set(['true', 't', 'yes', 'y', 'on', '1']);
const FALSE_TEXTS = new Set(['false', 'f', 'no', 'n', 'off', '0']);

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}`;
  if (Buffer.isBuffer(value)) return `${value.length} bytes`;
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'a list' : 'an object';
  return String(value);
}

function wholeText(text: string): string | undefined {
  const trimmed = text.trim();
  if (INTEGER_TEXT.test(trimmed)) return trimmed;
  return WHOLE_DECIMAL_TEXT.exec(trimmed)?.[1];
}

export function toInt(value: unknown): number {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = value >= INT_MIN && value <= INT_MAX ? Number(value) : undefined;
  else if (typeof value === 'boolean') n = value ? 1 : 0;
  else if (typeof value === 'string') {
    const text = wholeText(value);
    n = text === undefined ? undefined : Number(text);
  }
  if (n === undefined || !Number.isInteger(n) || n < INT_MIN || n > INT_MAX) {
    throw new Error(`${show(value)} is not a whole number between ${INT_MIN} and ${INT_MAX}`);
  }
  return n;
}

export function toLong(value: unknown): bigint {
  let n: bigint | undefined;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number') n = Number.isInteger(value) ? BigInt(value) : undefined;
  else if (typeof value === 'boolean') n = value ? 1n : 0n;
  else if (typeof value === 'string') {
    const text = wholeText(value);
    n = text === undefined ? undefined : BigInt(text);
  }
  if (n === undefined || n < LONG_MIN || n > LONG_MAX) {
    throw new Error(`${show(value)} is not a whole number in the 64-bit range`);
  }
  return n;
}

export function toDouble(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const text = value.trim();
    if (NUMBER_TEXT.test(text)) return Number(text);
    const special = SPECIAL_DOUBLES[text];
    if (special !== undefined) return special;
  }
  throw new Error(`${show(value)} is not a number`);
}

export function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 0n) return false;
  if (value === 1 || value === 1n) return true;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (TRUE_TEXTS.has(text)) return true;
    if (FALSE_TEXTS.has(text)) return false;
  }
  throw new Error(`${show(value)} is not a boolean (true/false, t/f, yes/no, on/off, 1/0)`);
}

export function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  throw new Error(`${show(value)} has no text form`);
}

/** Conversion of a dynamically typed value (an expression's result) to a declared type. */
export function convert(value: unknown, to: TargetType): unknown {
  switch (to) {
    case 'string':
      return toText(value);
    case 'int':
      return toInt(value);
    case 'long':
      return toLong(value);
    case 'double':
      return toDouble(value);
    case 'boolean':
      return toBoolean(value);
  }
}

/** The Avro type a target type is written as. */
export const TARGET_SCHEMA: Readonly<Record<TargetType, string>> = {
  string: 'string',
  int: 'int',
  long: 'long',
  double: 'double',
  boolean: 'boolean',
};

const NUMERIC_SOURCES: readonly ValueKind[] = [
  'string',
  'enum',
  'int',
  'long',
  'float',
  'double',
  'boolean',
  'decimal',
];
const TIME_SOURCES: readonly ValueKind[] = [
  'date',
  'time-micros',
  'timestamp-micros',
  'local-timestamp-micros',
];

/** Which input kinds coerce accepts for each target; the rest are refused when binding the schema. */
export const COERCIBLE: Readonly<Record<TargetType, readonly ValueKind[]>> = {
  string: [...NUMERIC_SOURCES, 'uuid', ...TIME_SOURCES],
  int: NUMERIC_SOURCES,
  long: NUMERIC_SOURCES,
  double: NUMERIC_SOURCES,
  boolean: ['string', 'enum', 'int', 'long', 'boolean'],
};

const MICROS_PER_MS = 1000n;
const MS_PER_DAY = 86_400_000;

/** Floor division, so that instants before 1970 keep a positive sub-millisecond part. */
export function splitMicros(micros: bigint): { ms: number; micros: number } {
  let ms = micros / MICROS_PER_MS;
  let rest = micros - ms * MICROS_PER_MS;
  if (rest < 0n) {
    ms -= 1n;
    rest += MICROS_PER_MS;
  }
  return { ms: Number(ms), micros: Number(rest) };
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

/** "2024-03-01T10:30:00.123456" from milliseconds since the epoch (read as UTC) and extra micros. */
export function wallClockText(ms: number, micros: number): string {
  // Ends in ".sssZ" whatever the year (years past 9999 get a sign and six digits).
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, -1)}${pad3(micros)}`;
}

/** The ISO 8601 text of a date or time value, as coerce to string writes it (micros kept). */
export function timeText(kind: ValueKind, value: unknown): string {
  if (kind === 'date' && typeof value === 'number') {
    const iso = new Date(value * MS_PER_DAY).toISOString();
    return iso.slice(0, iso.indexOf('T'));
  }
  if (typeof value !== 'bigint') throw new Error(`${show(value)} is not a ${kind} value`);
  const { ms, micros } = splitMicros(value);
  const text = wallClockText(ms, micros);
  if (kind === 'timestamp-micros') return `${text}Z`;
  if (kind === 'time-micros') return text.slice(11);
  return text;
}
