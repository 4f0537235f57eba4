import { instantOfWallTime, offsetAt, utcMsOf } from '../fhir/mapping/time-zone.ts';
import { ValueProblem, shown } from '../fhir/mapping/value-problem.ts';

/**
 * A Notion date property value (https://developers.notion.com/reference/page-property-values#date)
 * from the row values of docs/contracts.md: a `date` column is a day number (int), `timestamp`
 * and `timestamptz` columns are BigInt microseconds (the row does not say which: `local` does).
 * Notion keeps times to the millisecond at best, so the microseconds below it go.
 */
export interface DateOptions {
  /** The zone Notion shows the time in; undefined: the instant in UTC. */
  readonly timeZone: string | undefined;
  /** The value is a timestamp without zone: the wall clock of timeZone (UTC without one). */
  readonly local: boolean;
  /** Only the date: an all-day date in Notion. */
  readonly dateOnly: boolean;
}

export interface NotionDate {
  readonly start: string;
  readonly end?: string | null;
  readonly time_zone?: string | null;
}

const DAY_MS = 86_400_000;
// ISO 8601 years Notion shows: 0000 to 9999.
const FIRST_MS = utcMsOf(0, 1, 1);
const END_MS = utcMsOf(10_000, 1, 1);
// How PostgreSQL's infinity and -infinity arrive (source-postgres types/datetime.ts).
const DATE_INFINITIES = new Set([2_147_483_647, -2_147_483_648]);
const TIMESTAMP_INFINITIES = new Set([2n ** 63n - 1n, -(2n ** 63n)]);

const DATE_TEXT = /^\d{4}-\d{2}-\d{2}$/u;
const DATE_TIME_TEXT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/u;
const OFFSET = /(Z|[+-]\d{2}:\d{2})$/u;

export function notionDate(value: unknown, options: DateOptions): NotionDate | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return { start: dayText(value) };
  if (typeof value === 'bigint') return timestampDate(value, options);
  if (typeof value === 'string' && (DATE_TEXT.test(value) || DATE_TIME_TEXT.test(value))) {
    if (Number.isNaN(Date.parse(DATE_TEXT.test(value) ? value : withOffset(value))))
      throw new ValueProblem(`${shown(value)} is not a date`);
    return { start: options.dateOnly ? value.slice(0, 10) : value };
  }
  throw new ValueProblem(
    `${shown(value)} is not a date (a date or timestamp column, or ISO 8601 text such as 2026-12-04 or 2026-12-04T10:00:00Z)`,
  );
}

function dayText(days: number): string {
  if (!Number.isInteger(days)) throw new ValueProblem(`${shown(days)} is not a day number (a date column)`);
  if (DATE_INFINITIES.has(days)) throw new ValueProblem('the date is infinity, which Notion cannot show');
  return isoText(days * DAY_MS).slice(0, 10);
}

function timestampDate(micros: bigint, options: DateOptions): NotionDate {
  if (TIMESTAMP_INFINITIES.has(micros))
    throw new ValueProblem('the timestamp is infinity, which Notion cannot show');
  const floored = micros / 1000n - (micros < 0n && micros % 1000n !== 0n ? 1n : 0n);
  const ms = Number(floored);
  const zone = options.timeZone ?? 'UTC';
  // The wall clock of `zone` read as if it were UTC.
  const wall = options.local ? ms : ms + offsetAt(zone, ms);
  if (options.dateOnly) return { start: isoText(wall).slice(0, 10) };
  // No zone: UTC's wall clock is the instant.
  if (options.timeZone === undefined) return { start: isoText(wall) };
  // With a time zone Notion takes the wall clock without an offset.
  return { start: isoText(wall).slice(0, 23), time_zone: options.timeZone };
}

function isoText(ms: number): string {
  if (!(ms >= FIRST_MS && ms < END_MS))
    throw new ValueProblem('is outside the years 0000 to 9999 Notion shows');
  return new Date(ms).toISOString();
}

function withOffset(text: string): string {
  return OFFSET.test(text) ? text : `${text}Z`;
}

/**
 * A date value read back from Notion, reduced to what it means: a day, or an instant in ms. Two
 * spellings of one time (an offset or a time zone, with or without milliseconds) are the same.
 */
export function dateMeaning(date: unknown): { start: string; end: string | null } | null {
  if (date === null || typeof date !== 'object') return null;
  const { start, end, time_zone: zone } = date as { start?: unknown; end?: unknown; time_zone?: unknown };
  if (typeof start !== 'string') return null;
  const zoneName = typeof zone === 'string' && zone !== '' ? zone : undefined;
  return {
    start: pointMeaning(start, zoneName),
    end: typeof end === 'string' ? pointMeaning(end, zoneName) : null,
  };
}

function pointMeaning(text: string, zone: string | undefined): string {
  if (DATE_TEXT.test(text)) return text;
  if (OFFSET.test(text) || zone === undefined) {
    const ms = Date.parse(withOffset(text));
    return Number.isNaN(ms) ? text : `@${ms}`;
  }
  const wall = Date.parse(`${text}Z`);
  return Number.isNaN(wall) ? text : `@${instantOfWallTime(zone, wall).utcMs}`;
}

/** A time Notion shows (ISO text of a date property, `last_edited_time`) in ms since the epoch. */
export function timeMs(text: string, zone?: string): number | undefined {
  const meaning = pointMeaning(text, zone);
  if (meaning.startsWith('@')) return Number(meaning.slice(1));
  const ms = Date.parse(meaning);
  return Number.isNaN(ms) ? undefined : ms;
}
