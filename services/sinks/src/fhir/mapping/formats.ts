import { fhirDate, fhirDateTime, fhirInstant } from './date-time.ts';
import { ValueProblem, shown } from './value-problem.ts';

/** The `|format` of a placeholder: which FHIR value a row value becomes. */
export type Format =
  | { readonly name: 'date' | 'dateTime' | 'instant'; readonly local: boolean }
  | { readonly name: 'string' | 'integer' | 'decimal' | 'boolean' }
  | { readonly name: 'code'; readonly table: string };

const TIME_FORMATS = ['date', 'dateTime', 'instant'] as const;
const PLAIN_FORMATS = ['string', 'integer', 'decimal', 'boolean'] as const;
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/u;

const FORMATS_HELP =
  'formats: date, dateTime, instant (add :local for timestamp columns without a zone, e.g. dateTime:local), ' +
  'string, integer, decimal, boolean, code:<table>';

/** The format of `{field|spec}`, or what is wrong with it. */
export function parseFormat(spec: string): Format | string {
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const argument = colon < 0 ? undefined : spec.slice(colon + 1);
  if ((TIME_FORMATS as readonly string[]).includes(name)) {
    if (argument !== undefined && argument !== 'local') {
      return `${name} takes no :${argument}; only :local (for timestamp columns without a zone)`;
    }
    return { name: name as (typeof TIME_FORMATS)[number], local: argument === 'local' };
  }
  if ((PLAIN_FORMATS as readonly string[]).includes(name)) {
    if (argument !== undefined) return `${name} takes no :${argument}`;
    return { name: name as (typeof PLAIN_FORMATS)[number] };
  }
  if (name === 'code') {
    if (argument === undefined || !TABLE_NAME.test(argument)) {
      return 'code needs the name of a code table of codes:, such as code:cvx';
    }
    return { name: 'code', table: argument };
  }
  return `${spec} is not a format; ${FORMATS_HELP}`;
}

/** One `codes:` table: source values to codes of one code system. */
export interface CodeTable {
  readonly system: string;
  readonly values: Readonly<Record<string, string | { readonly code: string; readonly display?: string }>>;
}

export interface FormatContext {
  /** The zone of `timestamp` columns (the sink's time_zone). */
  readonly zone: string;
  readonly codes: Readonly<Record<string, CodeTable>>;
}

const FHIR_INTEGER_MIN = -2_147_483_648;
const FHIR_INTEGER_MAX = 2_147_483_647;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
// A double holds any decimal of up to 15 significant digits exactly (and prints it back the same).
const EXACT_DIGITS = 15;
const DECIMAL_TEXT = /^[+-]?(\d+)(?:\.(\d*))?(?:[eE][+-]?\d+)?$/u;
const INTEGER_TEXT = /^[+-]?\d+(?:\.0*)?$/u;

/**
 * The JSON value of a row value with no format: its own JSON type, as exact as JSON numbers allow
 * (a BigInt beyond 2^53 stays exact as text). Undefined: nothing to write (FHIR has no empty strings).
 */
function jsonValue(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
      return value === '' ? undefined : value;
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new ValueProblem(`${shown(value)} is not a number JSON can write`);
      return value;
    case 'bigint':
      return value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : value.toString();
    default:
      if (value instanceof Uint8Array)
        return value.length === 0 ? undefined : Buffer.from(value).toString('base64');
      throw new ValueProblem(`${shown(value)} is not a value a template can write`);
  }
}

/** A row value as text: what `{field|string}` and text around placeholders write. */
export function textOf(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value === '' ? undefined : value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(jsonValue(value));
    default:
      if (value instanceof Uint8Array) return jsonValue(value) as string | undefined;
      if (Array.isArray(value)) {
        throw new ValueProblem(`${shown(value)} can only fill a whole element ('{field}'), not text`);
      }
      throw new ValueProblem(`${shown(value)} is not a value a template can write`);
  }
}

function fhirInteger(value: unknown): number {
  let number: number | undefined;
  if (typeof value === 'number' && Number.isInteger(value)) number = value;
  else if (typeof value === 'bigint')
    number = value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : Infinity;
  else if (typeof value === 'string' && INTEGER_TEXT.test(value)) number = Number.parseInt(value, 10);
  if (number === undefined) throw new ValueProblem(`${shown(value)} is not a whole number`);
  if (number < FHIR_INTEGER_MIN || number > FHIR_INTEGER_MAX) {
    throw new ValueProblem(
      `${shown(value)} is outside FHIR's integer range (${FHIR_INTEGER_MIN} to ${FHIR_INTEGER_MAX})`,
    );
  }
  return number;
}

function fhirDecimal(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint' && value >= -MAX_SAFE && value <= MAX_SAFE) return Number(value);
  const match = typeof value === 'string' ? DECIMAL_TEXT.exec(value) : null;
  if (typeof value !== 'string' || !match) {
    if (typeof value === 'bigint')
      throw new ValueProblem(`${shown(value)} has more digits than a JSON number holds`);
    throw new ValueProblem(`${shown(value)} is not a decimal number`);
  }
  // Exact decimals (numeric columns) must not come out altered: refuse what a double would round.
  const digits = `${match[1] ?? ''}${match[2] ?? ''}`.replace(/^0+/u, '').replace(/0+$/u, '');
  const number = Number(value);
  if (digits.length > EXACT_DIGITS || !Number.isFinite(number)) {
    throw new ValueProblem(
      `${shown(value)} has more digits than a JSON number holds exactly (${EXACT_DIGITS})`,
    );
  }
  return number;
}

function fhirBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 1 || value === 1n) return true;
  if (value === 'false' || value === 0 || value === 0n) return false;
  throw new ValueProblem(`${shown(value)} is not a boolean (true or false)`);
}

/** A Coding from a code table; an unknown source value is the row's problem, never a guess. */
function coding(value: unknown, tableName: string, context: FormatContext): unknown {
  const table = context.codes[tableName];
  // compileResourceMapping refuses unknown tables; this keeps a hand-built context honest.
  if (!table) throw new ValueProblem(`there is no code table ${tableName}`);
  const key = textOf(value);
  if (key === undefined) return undefined;
  const entry = Object.hasOwn(table.values, key) ? table.values[key] : undefined;
  if (entry === undefined)
    throw new ValueProblem(`'${key}' is not in code table ${tableName} (${table.system})`);
  if (typeof entry === 'string') return { system: table.system, code: entry };
  return {
    system: table.system,
    code: entry.code,
    ...(entry.display === undefined ? {} : { display: entry.display }),
  };
}

function formatOne(value: unknown, format: Format, context: FormatContext): unknown {
  switch (format.name) {
    case 'date':
      return fhirDate(value, { zone: context.zone, local: format.local });
    case 'dateTime':
      return fhirDateTime(value, { zone: context.zone, local: format.local });
    case 'instant':
      return fhirInstant(value, { zone: context.zone, local: format.local });
    case 'string':
      return textOf(value);
    case 'integer':
      return fhirInteger(value);
    case 'decimal':
      return fhirDecimal(value);
    case 'boolean':
      return fhirBoolean(value);
    case 'code':
      return coding(value, format.table, context);
  }
}

/**
 * What a whole-string placeholder writes for a (non-null) row value; undefined: nothing. A list
 * (an array column) is formatted element by element, its nulls left out. Throws ValueProblem.
 */
export function formatValue(value: unknown, format: Format | undefined, context: FormatContext): unknown {
  if (Array.isArray(value)) {
    const items = value
      .filter((item) => item !== null && item !== undefined)
      .map((item: unknown) => formatValue(item, format, context))
      .filter((item) => item !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (format === undefined) return jsonValue(value);
  return formatOne(value, format, context);
}

/** What a placeholder inside text writes: its formatted value as text. */
export function formatText(
  value: unknown,
  format: Format | undefined,
  context: FormatContext,
): string | undefined {
  if (format === undefined || Array.isArray(value)) return textOf(value);
  const formatted = formatOne(value, format, context);
  return formatted === undefined ? undefined : textOf(formatted);
}
