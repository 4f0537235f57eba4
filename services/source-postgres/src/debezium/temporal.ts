/**
 * Debezium's text and number forms of times, computed with integers (no JS Date: it stops at
 * millisecond precision and year 275760). Facts from debezium/debezium at v3.6.1.Final:
 * - debezium-connector-common/.../time/ZonedTimestamp.java: ISO_OFFSET_DATE_TIME, or, for a fraction
 *   width 1..9 (the column's precision, 6 without one), exactly that many fraction digits; in UTC
 *   ("Z"); ISO_LOCAL_DATE's years: 4 digits, "+" beyond 9999, "-" before year 0 (proleptic).
 * - debezium-connector-postgres/.../PostgresValueConverter.java: timestamptz infinities are the
 *   strings "infinity" and "-infinity"; dates and timestamps map their infinities to
 *   POSITIVE/NEGATIVE_INFINITY_LOCAL_DATE (-5877611-06-21, -5877611-06-22) and the instants of
 *   PGStatement.DATE_POSITIVE/NEGATIVE_INFINITY (as microseconds, per toInstantFromMicros).
 * - debezium-connector-common/.../time/MicroDuration.java `durationMicros`: years and months at
 *   DAYS_PER_MONTH_AVG = 365.25 / 12 days, in doubles, truncated to a long.
 */

const MICROS_PER_DAY = 86_400_000_000n;

/** Howard Hinnant's civil_from_days: the proleptic Gregorian date of a day count from 1970-01-01. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Days from 1970-01-01 to a proleptic Gregorian date (astronomical year). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

const pad = (n: number | bigint, width: number) => String(n).padStart(width, '0');

/** java.time's ISO_LOCAL_DATE year: at least 4 digits, a sign beyond 9999 and before year 0. */
function isoYear(year: number): string {
  if (year > 9999) return `+${year}`;
  if (year < 0) return `-${pad(-year, 4)}`;
  return pad(year, 4);
}

/** ZonedTimestamp.toIsoString of a UTC instant in microseconds, with the column's fraction width. */
export function zonedTimestamp(micros: bigint, fractionWidth: number): string {
  let days = micros / MICROS_PER_DAY;
  let micro = micros % MICROS_PER_DAY;
  if (micro < 0n) {
    micro += MICROS_PER_DAY;
    days -= 1n;
  }
  const { year, month, day } = civilFromDays(Number(days));
  const seconds = micro / 1_000_000n;
  const fraction = pad(micro % 1_000_000n, 6) + '000'; // nanoseconds, 9 digits
  const hms = `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}`;
  let fractionText: string;
  if (fractionWidth >= 1 && fractionWidth <= 9) fractionText = `.${fraction.slice(0, fractionWidth)}`;
  else {
    // ISO_LOCAL_TIME: the nanoseconds without trailing zeros, nothing when zero.
    const trimmed = fraction.replace(/0+$/u, '');
    fractionText = trimmed === '' ? '' : `.${trimmed}`;
  }
  return `${isoYear(year)}-${pad(month, 2)}-${pad(day, 2)}T${hms}${fractionText}Z`;
}

/** PGStatement.DATE_POSITIVE_INFINITY / DATE_NEGATIVE_INFINITY, read by Debezium as microseconds. */
export const DEBEZIUM_TIMESTAMP_INFINITY_MICROS = 9223372036825200000n;
export const DEBEZIUM_TIMESTAMP_MINUS_INFINITY_MICROS = -9223372036832400000n;
/** PostgresValueConverter.POSITIVE/NEGATIVE_INFINITY_LOCAL_DATE as epoch days: the stream's. */
export const DEBEZIUM_DATE_INFINITY_DAYS = daysFromCivil(-5877611, 6, 21);
export const DEBEZIUM_DATE_MINUS_INFINITY_DAYS = daysFromCivil(-5877611, 6, 22);
/**
 * A snapshot reads dates through JDBC: pgjdbc gives 'infinity' and '-infinity' as java.sql.Date
 * at PGStatement.DATE_POSITIVE/NEGATIVE_INFINITY, which Debezium's io.debezium.time.Date turns,
 * through java.util.Date's calendar and an int cast, into these day counts (as Debezium Server
 * 3.6.1 wrote them in scripts/debezium-compare.ts; test/debezium/debezium-server-3.6.1.json).
 */
export const DEBEZIUM_SNAPSHOT_DATE_INFINITY_DAYS = -622191234;
export const DEBEZIUM_SNAPSHOT_DATE_MINUS_INFINITY_DAYS = -625821272;

// PostgreSQL's iso_8601 IntervalStyle (REPLICATION_SESSION_SETTINGS): each part signed on its own.
const ISO_INTERVAL =
  /^(-)?P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?)(\d+)(?:\.(\d{1,6}))?S)?)?$/u;

const DAYS_PER_MONTH_AVG = 365.25 / 12.0;

/**
 * MicroDuration of an interval's ISO 8601 text: the same parts Debezium reads through pgjdbc's
 * PGInterval (whole seconds plus microseconds / 1e6 as a double), the same double arithmetic, and
 * Java's (long) cast (truncation). Undefined for text that is not an interval.
 */
export function microDuration(text: string): bigint | undefined {
  const match = ISO_INTERVAL.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return undefined;
  const [, negateAll, y, mo, d, h, mi, secondSign, whole, fraction] = match;
  const sign = negateAll ? -1 : 1;
  const part = (value: string | undefined) => sign * Number(value ?? 0);
  const secondsSign = (secondSign === '-' ? -1 : 1) * sign;
  const wholeSeconds = secondsSign * Number(whole ?? 0);
  const microSeconds = secondsSign * Number((fraction ?? '').padEnd(6, '0'));
  const seconds = wholeSeconds + microSeconds / 1_000_000;
  const numberOfDays = (part(y) * 12 + part(mo)) * DAYS_PER_MONTH_AVG + part(d);
  const numberOfSeconds = ((numberOfDays * 24 + part(h)) * 60 + part(mi)) * 60 + seconds;
  return BigInt(Math.trunc(numberOfSeconds * 1e6));
}
