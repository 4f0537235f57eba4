/**
 * Integer arithmetic on PostgreSQL's ISO date/time text (DateStyle ISO, TimeZone UTC). JS Date is
 * avoided on purpose: it truncates to milliseconds, stops at year 275760 (PostgreSQL timestamps
 * reach 294276) and has no notion of PostgreSQL's "BC" suffix.
 *
 * Every function returns undefined for text it does not recognise; the caller reports it.
 */

/** PostgreSQL stores date infinities as the int32 extremes and timestamp infinities as int64's. */
export const DATE_INFINITY = 2147483647;
export const DATE_MINUS_INFINITY = -2147483648;
export const TIMESTAMP_INFINITY = 9223372036854775807n;
export const TIMESTAMP_MINUS_INFINITY = -9223372036854775808n;

const MICROS_PER_SECOND = 1_000_000n;
const MICROS_PER_DAY = 86_400n * MICROS_PER_SECOND;

// Years have 4 or more digits (5874897-12-31 is a valid date); a " BC" suffix is handled apart.
const DATE = /^(\d{4,})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
// timestamptz puts its UTC offset before the era: "0044-03-15 12:00:00+00 BC". Offsets can carry
// seconds (local mean time before time zones, e.g. +00:19:32 for Amsterdam in 1900).
const TIMESTAMP =
  /^(\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)(?:([+-])(\d{2})(?::(\d{2})(?::(\d{2}))?)?)?( BC)?$/;

/**
 * Days from 1970-01-01 to a proleptic Gregorian date; `year` is astronomical (1 BC is year 0).
 * Howard Hinnant's days_from_civil: exact for every integer year, negative ones included.
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year; // the computation's year starts in March
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400; // 0..399
  const monthFromMarch = (month + 9) % 12; // March 0 .. February 11
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    return leap ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** "YYYY-MM-DD" with an optional " BC" (as separate text, since timestamptz puts it at the end). */
function civilDays(ymd: string, bc: boolean): number | undefined {
  const match = DATE.exec(ymd);
  if (!match) return undefined;
  const [, yearText = '', monthText = '', dayText = ''] = match;
  const year = Number(yearText);
  const month = Number(monthText);
  const day = Number(dayText);
  if (year < 1 || month < 1 || month > 12) return undefined;
  const astronomical = bc ? 1 - year : year; // there is no year 0 in BC/AD counting
  if (day < 1 || day > daysInMonth(astronomical, month)) return undefined;
  return daysFromCivil(astronomical, month, day);
}

/** A date column: days since 1970-01-01. */
export function dateToDays(text: string): number | undefined {
  if (text === 'infinity') return DATE_INFINITY;
  if (text === '-infinity') return DATE_MINUS_INFINITY;
  const bc = text.endsWith(' BC');
  const days = civilDays(bc ? text.slice(0, -3) : text, bc);
  if (days === undefined || days <= DATE_MINUS_INFINITY || days >= DATE_INFINITY) return undefined;
  return days;
}

/** "HH:MM:SS[.ffffff]" to microseconds since midnight; 24:00:00 only where `allow24` says so. */
function timeOfDayMicros(text: string, allow24: boolean): bigint | undefined {
  const match = TIME.exec(text);
  if (!match) return undefined;
  const [, hourText = '', minuteText = '', secondText = '', fractionText = ''] = match;
  const hour = BigInt(hourText);
  const minute = BigInt(minuteText);
  const second = BigInt(secondText);
  const fraction = BigInt(fractionText.padEnd(6, '0')); // ".5" is 500000 microseconds
  if (minute > 59n || second > 59n) return undefined;
  const midnightAtEnd = allow24 && hour === 24n && minute === 0n && second === 0n && fraction === 0n;
  if (hour > 23n && !midnightAtEnd) return undefined;
  return ((hour * 60n + minute) * 60n + second) * MICROS_PER_SECOND + fraction;
}

/** A time column: microseconds since midnight (PostgreSQL allows 24:00:00). */
export function timeToMicros(text: string): bigint | undefined {
  return timeOfDayMicros(text, true);
}

/**
 * A finite timestamp (`zoned` false) or timestamptz (`zoned` true, offset required): microseconds
 * since 1970-01-01T00:00:00, in UTC for timestamptz. Not range-checked: PostgreSQL counts from
 * 2000-01-01, so its last timestamps (after 294247-01-10) lie beyond int64 counted from 1970.
 */
export function timestampToMicros(text: string, zoned: boolean): bigint | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [, ymd = '', hms = '', sign, offsetHours, offsetMinutes = '0', offsetSeconds = '0', bc] = match;
  if ((sign !== undefined) !== zoned) return undefined;
  const days = civilDays(ymd, bc !== undefined);
  const timeOfDay = timeOfDayMicros(hms, false);
  if (days === undefined || timeOfDay === undefined) return undefined;
  const local = BigInt(days) * MICROS_PER_DAY + timeOfDay;
  let utc = local;
  if (sign !== undefined && offsetHours !== undefined) {
    const minutes = BigInt(offsetMinutes);
    const seconds = BigInt(offsetSeconds);
    if (minutes > 59n || seconds > 59n) return undefined;
    const offset = ((BigInt(offsetHours) * 60n + minutes) * 60n + seconds) * MICROS_PER_SECOND;
    // Local time is UTC plus the offset, so UTC is local time minus it.
    utc = sign === '+' ? local - offset : local + offset;
  }
  return utc;
}
