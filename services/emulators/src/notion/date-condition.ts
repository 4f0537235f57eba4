/**
 * Date conditions of filters (https://developers.notion.com/reference/filter-data-source-entries#date):
 * absolute, relative ("today", "one_week_ago", ...) and windows (past_week, this_week, ...), in UTC.
 */
import { invalid } from './errors.ts';
import { existence, oneCondition, unknownOp } from './conditions.ts';
import type { DateValue } from './model.ts';
import { describe, isObject } from './rich-text.ts';
import { isIsoDate } from './values.ts';

const DAY = 86_400_000;

const RELATIVE_DAYS: Record<string, number> = {
  today: 0,
  tomorrow: 1,
  yesterday: -1,
  one_week_ago: -7,
  one_week_from_now: 7,
};

/** A condition date: a whole UTC day for a date without a time, an instant otherwise (the reference: "if a date string with a time is provided, the comparison is done with millisecond precision; if no timezone is provided, the timezone defaults to UTC"). */
export function conditionDate(
  arg: unknown,
  path: string,
  now: number,
): { from: number; to: number; instant: boolean } {
  const startOfDay = (ms: number) => Math.floor(ms / DAY) * DAY;
  if (typeof arg === 'string' && arg in RELATIVE_DAYS) {
    const from = startOfDay(now) + (RELATIVE_DAYS[arg] as number) * DAY;
    return { from, to: from + DAY, instant: false };
  }
  if (arg === 'one_month_ago' || arg === 'one_month_from_now') {
    const d = new Date(startOfDay(now));
    d.setUTCMonth(d.getUTCMonth() + (arg === 'one_month_ago' ? -1 : 1));
    return { from: d.getTime(), to: d.getTime() + DAY, instant: false };
  }
  if (typeof arg !== 'string' || !isIsoDate(arg))
    throw invalid(
      `${path} should be an ISO 8601 date or date-time, or a relative date, instead was ${describe(arg)}.`,
    );
  const instant = arg.includes('T');
  // A date-time without an offset is UTC, as the reference says; Date.parse would read it as local time.
  const ms = Date.parse(instant && !/(Z|[+-]\d{2}:?\d{2})$/.test(arg) ? `${arg}Z` : arg);
  return instant ? { from: ms, to: ms, instant } : { from: ms, to: ms + DAY, instant };
}

export function dateCondition(condition: unknown, path: string, now: number): (ms: number | null) => boolean {
  const [op, arg] = oneCondition(condition, path);
  if (op === 'is_empty' || op === 'is_not_empty') {
    existence(op, arg, path, true);
    return (v) => (op === 'is_empty') === (v === null);
  }
  const windows: Record<string, [number, number]> = {
    past_week: [now - 7 * DAY, now],
    past_month: [now - 30 * DAY, now],
    past_year: [now - 365 * DAY, now],
    next_week: [now, now + 7 * DAY],
    next_month: [now, now + 30 * DAY],
    next_year: [now, now + 365 * DAY],
  };
  if (op === 'this_week') {
    // Weeks start on Sunday, as in Notion's default calendar (UTC here).
    const today = Math.floor(now / DAY) * DAY;
    const sunday = today - new Date(today).getUTCDay() * DAY;
    windows.this_week = [sunday, sunday + 7 * DAY - 1];
  }
  const window = windows[op];
  if (window) {
    if (!isObject(arg) || Object.keys(arg).length > 0)
      throw invalid(`${path}.${op} should be an empty object, instead was ${describe(arg)}.`);
    return (v) => v !== null && v >= window[0] && v <= window[1];
  }
  const c = conditionDate(arg, `${path}.${op}`, now);
  const tests: Record<string, (v: number) => boolean> = c.instant
    ? {
        equals: (v) => v === c.from,
        before: (v) => v < c.from,
        after: (v) => v > c.from,
        on_or_before: (v) => v <= c.from,
        on_or_after: (v) => v >= c.from,
      }
    : {
        equals: (v) => v >= c.from && v < c.to,
        before: (v) => v < c.from,
        after: (v) => v >= c.to,
        on_or_before: (v) => v < c.to,
        on_or_after: (v) => v >= c.from,
      };
  const f = tests[op];
  if (!f)
    return unknownOp(
      op,
      path,
      'equals, before, after, on_or_before, on_or_after, past_week, past_month, past_year, next_week, next_month, next_year, this_week, is_empty, is_not_empty',
    );
  return (v) => v !== null && f(v);
}

/** Instant of a date value: a date without a time is midnight UTC. */
export function dateInstant(value: DateValue | null): number | null {
  if (!value) return null;
  const s = value.start;
  return Date.parse(s.includes('T') && !/(Z|[+-]\d{2}:?\d{2})$/.test(s) ? `${s}Z` : s);
}
