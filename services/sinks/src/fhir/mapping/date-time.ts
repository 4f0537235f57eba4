import { instantOfWallTime, offsetAt, offsetText } from './time-zone.ts';
import { ValueProblem, shown } from './value-problem.ts';

/**
 * FHIR's date, dateTime and instant from the row values of docs/contracts.md (type mapping): a
 * `date` column is a day number (int), `timestamp` and `timestamptz` columns are BigInt
 * microseconds. The row does not say which of the two a BigInt came from, so the template does:
 * `local` (the format's `:local`) reads it as the wall clock of `zone`, else as UTC.
 */
export interface TimeReading {
  /** The IANA zone of the source's wall clock (the sink's time_zone). */
  readonly zone: string;
  /** The value is a `timestamp` column (no zone): a wall-clock time of `zone`. */
  readonly local: boolean;
}

// FHIR R4's own regular expressions (datatypes.html), anchored.
const YEAR = '([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)';
const MONTH_DAY = '(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])';
const TIME =
  'T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))';
const DATE_TEXT = new RegExp(`^${YEAR}${MONTH_DAY})?)?$`);
const DATE_TIME_TEXT = new RegExp(`^${YEAR}${MONTH_DAY}(${TIME})?)?)?$`);
const INSTANT_TEXT = new RegExp(`^${YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])${TIME}$`);

const DAY_MS = 86_400_000;
// FHIR writes four-digit years: 0001-01-01 to 9999-12-31.
const FIRST_DAY = -719_162;
const LAST_DAY = 2_932_896;
const FIRST_MICROS = BigInt(FIRST_DAY) * 86_400_000_000n;
const END_MICROS = BigInt(LAST_DAY + 1) * 86_400_000_000n;
// How PostgreSQL's infinity and -infinity arrive (source-postgres types/datetime.ts).
const DATE_INFINITIES = new Set([2_147_483_647, -2_147_483_648]);
const TIMESTAMP_INFINITIES = new Set([2n ** 63n - 1n, -(2n ** 63n)]);

const OUT_OF_RANGE = 'is outside the years 0001 to 9999 that FHIR can write';
const INFINITE = 'is infinity, which FHIR cannot write';

function dayText(days: number): string {
  if (!Number.isInteger(days)) throw new ValueProblem(`${shown(days)} is not a day number (a date column)`);
  if (DATE_INFINITIES.has(days)) throw new ValueProblem(`the date ${INFINITE}`);
  if (days < FIRST_DAY || days > LAST_DAY) throw new ValueProblem(`the date ${OUT_OF_RANGE}`);
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

/** The time in ms, floored: the microseconds below it are written by `fraction`. */
function checkedMs(micros: bigint): number {
  if (TIMESTAMP_INFINITIES.has(micros)) throw new ValueProblem(`the timestamp ${INFINITE}`);
  if (micros < FIRST_MICROS || micros >= END_MICROS) throw new ValueProblem(`the timestamp ${OUT_OF_RANGE}`);
  const ms = micros / 1000n;
  return Number(micros < 0n && ms * 1000n !== micros ? ms - 1n : ms);
}

/** `.123456` with trailing zeros dropped, nothing for a whole second: microseconds are never lost. */
function fraction(micros: bigint): string {
  const within = Number(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n);
  return within === 0 ? '' : `.${String(within).padStart(6, '0').replace(/0+$/u, '')}`;
}

/** YYYY-MM-DDThh:mm:ss of a time in ms read as UTC. */
function secondsText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function timestampText(micros: bigint, reading: TimeReading): string {
  const ms = checkedMs(micros);
  if (!reading.local) return `${secondsText(ms)}${fraction(micros)}Z`;
  const { utcMs, offsetMs } = instantOfWallTime(reading.zone, ms);
  const offset = offsetText(offsetMs);
  // Local mean times (before ~1900) have offsets in seconds, which FHIR cannot write: the same instant in UTC.
  if (offset === undefined || offsetMs === 0) return `${secondsText(utcMs)}${fraction(micros)}Z`;
  return `${secondsText(utcMs + offsetMs)}${fraction(micros)}${offset}`;
}

function unreadable(value: unknown, what: string): ValueProblem {
  return new ValueProblem(`${shown(value)} is not ${what}`);
}

/** FHIR date: a date column, the date of a timestamp (a timestamptz's in `zone`), or date text. */
export function fhirDate(value: unknown, reading: TimeReading): string {
  if (typeof value === 'number') return dayText(value);
  if (typeof value === 'bigint') {
    const ms = checkedMs(value);
    // A timestamptz is an instant: its date is the one the source's clock showed then.
    return secondsText(reading.local ? ms : ms + offsetAt(reading.zone, ms)).slice(0, 10);
  }
  if (typeof value === 'string') {
    if (DATE_TEXT.test(value)) return value;
    if (DATE_TIME_TEXT.test(value)) return value.slice(0, 10);
  }
  throw unreadable(value, 'a date (YYYY, YYYY-MM or YYYY-MM-DD)');
}

/** FHIR dateTime: a timestamp with its offset, a date column as a date, or dateTime text. */
export function fhirDateTime(value: unknown, reading: TimeReading): string {
  if (typeof value === 'bigint') return timestampText(value, reading);
  if (typeof value === 'number') return dayText(value);
  if (typeof value === 'string' && DATE_TIME_TEXT.test(value)) return value;
  throw unreadable(value, 'a dateTime (YYYY-MM-DD, or YYYY-MM-DDThh:mm:ss with Z or an offset)');
}

/** FHIR instant: a timestamp, or instant text; a date has no time of day, so it cannot be one. */
export function fhirInstant(value: unknown, reading: TimeReading): string {
  if (typeof value === 'bigint') return timestampText(value, reading);
  if (typeof value === 'number') {
    throw new ValueProblem(`${shown(value)} is a date (a day number); an instant needs a time of day`);
  }
  if (typeof value === 'string' && INSTANT_TEXT.test(value)) return value;
  throw unreadable(value, 'an instant (YYYY-MM-DDThh:mm:ss with Z or an offset)');
}
