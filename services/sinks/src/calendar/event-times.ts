import { instantOfWallTime, offsetAt, offsetText, utcMsOf } from '../fhir/mapping/time-zone.ts';
import { ValueProblem, shown } from '../fhir/mapping/value-problem.ts';
import type { TimeType } from './template-config.ts';

/**
 * An event's start and end from row values (docs/contracts.md, type mapping): `timestamptz` and
 * `timestamp` columns are BigInt microseconds (an instant, or the wall clock of the zone), `date`
 * columns day numbers. Calendar shows a time in the zone its `timeZone` names; the sink writes
 * the local time there with its offset, so that an appointment stored at 08:00Z in Paris on a
 * summer day reads 10:00+02:00 (https://developers.google.com/workspace/calendar/api/v3/reference/events,
 * start.dateTime and start.timeZone). Calendar keeps times to the second: below it is dropped.
 */

/** A point of the calendar: an instant (ms since the epoch, whole seconds), or a day (all-day events). */
export type TimePoint =
  { readonly kind: 'instant'; readonly ms: number } | { readonly kind: 'day'; readonly day: number };

/** `start` or `end` of a Calendar event. */
export type EventTime = { readonly dateTime: string; readonly timeZone: string } | { readonly date: string };

const DAY_MS = 86_400_000;
const FIRST_MS = utcMsOf(1, 1, 1);
const END_MS = utcMsOf(10_000, 1, 1);
// How PostgreSQL's infinity and -infinity arrive (source-postgres types/datetime.ts).
const TIMESTAMP_INFINITIES = new Set([2n ** 63n - 1n, -(2n ** 63n)]);
const DATE_INFINITIES = new Set([2_147_483_647, -2_147_483_648]);

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/u;
const ZONED_TEXT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/u;
const WALL_TEXT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/u;

function inRange(ms: number, value: unknown): number {
  if (!(ms >= FIRST_MS && ms < END_MS)) {
    throw new ValueProblem(`${shown(value)} is outside the years 0001 to 9999 that Calendar can show`);
  }
  return ms;
}

/** Whole seconds of BigInt microseconds, as ms, rounded down (also before 1970). */
function secondsMs(micros: bigint, value: unknown): number {
  if (TIMESTAMP_INFINITIES.has(micros))
    throw new ValueProblem('the timestamp is infinity, which Calendar cannot show');
  let seconds = micros / 1_000_000n;
  if (micros < 0n && seconds * 1_000_000n !== micros) seconds -= 1n;
  return inRange(Number(seconds) * 1000, value);
}

function wallInstant(zone: string, wallMs: number, value: unknown): TimePoint {
  return { kind: 'instant', ms: inRange(instantOfWallTime(zone, inRange(wallMs, value)).utcMs, value) };
}

function dayOf(value: unknown): TimePoint {
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (DATE_INFINITIES.has(value))
      throw new ValueProblem('the date is infinity, which Calendar cannot show');
    inRange(value * DAY_MS, value);
    return { kind: 'day', day: value };
  }
  const match = typeof value === 'string' ? DATE_TEXT.exec(value) : null;
  if (match) {
    const ms = utcMsOf(Number(match[1]), Number(match[2]), Number(match[3]));
    if (new Date(ms).toISOString().slice(0, 10) === value) return { kind: 'day', day: ms / DAY_MS };
  }
  throw new ValueProblem(`${shown(value)} is not a date (a date column, or text YYYY-MM-DD)`);
}

/**
 * The point a row value stands for, read as its column's type says; `zone` is the wall clock of
 * `timestamp` columns. Throws ValueProblem for a value that is not one.
 */
export function readTime(value: unknown, type: TimeType, zone: string): TimePoint {
  if (type === 'date') return dayOf(value);
  if (typeof value === 'bigint') {
    const ms = secondsMs(value, value);
    return type === 'timestamp' ? wallInstant(zone, ms, value) : { kind: 'instant', ms };
  }
  if (typeof value === 'number') {
    throw new ValueProblem(`${shown(value)} is a date (a day number); set type: date for an all-day event`);
  }
  if (typeof value === 'string') {
    if (ZONED_TEXT.test(value)) {
      const ms = Date.parse(value.replace(' ', 'T'));
      if (!Number.isNaN(ms)) return { kind: 'instant', ms: inRange(Math.floor(ms / 1000) * 1000, value) };
    }
    const wall = type === 'timestamp' ? WALL_TEXT.exec(value) : null;
    if (wall) {
      const [year, month, day, hour, minute, second] = wall.slice(1, 7).map((part) => Number(part ?? 0)) as [
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      return wallInstant(zone, utcMsOf(year, month, day, hour, minute, second), value);
    }
  }
  const expected =
    type === 'timestamp'
      ? 'a timestamp (a timestamp column, or text YYYY-MM-DDThh:mm:ss)'
      : 'a timestamptz (a timestamptz column, or text YYYY-MM-DDThh:mm:ss with Z or an offset)';
  throw new ValueProblem(`${shown(value)} is not ${expected}`);
}

/** A fixed time of the template (a date, or a date-time with Z or an offset), as a point. */
export function fixedPoint(text: string): TimePoint {
  return DATE_TEXT.test(text) ? dayOf(text) : readTime(text, 'timestamptz', 'UTC');
}

export function plusMinutes(point: TimePoint, minutes: number): TimePoint {
  if (point.kind === 'day') throw new ValueProblem('an all-day event ends on a date, not after minutes');
  return { kind: 'instant', ms: point.ms + minutes * 60_000 };
}

export function plusDays(point: TimePoint, days: number): TimePoint {
  if (point.kind === 'instant')
    throw new ValueProblem('an event with a start time ends at a time, not after days');
  return { kind: 'day', day: point.day + days };
}

/** The point as Calendar's start or end: the local date-time of `zone` with its offset, or a date. */
export function eventTime(point: TimePoint, zone: string): EventTime {
  if (point.kind === 'day') return { date: new Date(point.day * DAY_MS).toISOString().slice(0, 10) };
  const offsetMs = offsetAt(zone, point.ms);
  const offset = offsetText(offsetMs);
  // Local mean times (before ~1900) have offsets in seconds, which RFC 3339 cannot write: UTC then.
  if (offset === undefined || offsetMs === 0) {
    return { dateTime: `${new Date(point.ms).toISOString().slice(0, 19)}Z`, timeZone: zone };
  }
  return { dateTime: `${new Date(point.ms + offsetMs).toISOString().slice(0, 19)}${offset}`, timeZone: zone };
}

/**
 * A start or end as compared for conflicts: the instant in ms (whatever offset or zone Calendar
 * writes it with), or the date text of an all-day event; null when there is none.
 */
export function timeValue(time: unknown): number | string | null {
  if (!time || typeof time !== 'object') return null;
  const { dateTime, date } = time as { dateTime?: unknown; date?: unknown };
  if (typeof dateTime === 'string') {
    const ms = Date.parse(dateTime);
    return Number.isNaN(ms) ? dateTime : ms;
  }
  return typeof date === 'string' ? date : null;
}

/** How many minutes lie between a start and an end (timed events only); null otherwise. */
export function minutesBetween(start: unknown, end: unknown): number | null {
  const from = timeValue(start);
  const to = timeValue(end);
  return typeof from === 'number' && typeof to === 'number' ? (to - from) / 60_000 : null;
}
