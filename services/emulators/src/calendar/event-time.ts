/**
 * An event's start and end (the EventDateTime of
 * https://developers.google.com/workspace/calendar/api/v3/reference/events#resource): either `date`
 * (yyyy-mm-dd, an all-day event) or `dateTime` (RFC 3339; "a time zone offset is required unless a
 * time zone is explicitly specified in timeZone"), with an optional IANA `timeZone`.
 */
import { errors } from './errors.ts';

export interface EventTime {
  readonly date?: string;
  readonly dateTime?: string;
  readonly timeZone?: string;
}

/** A parsed start or end: the instant it names, and what to answer with. */
export interface ResolvedTime {
  readonly ms: number;
  readonly allDay: boolean;
  readonly value: EventTime;
}

/** The emulator's calendars all keep UTC, the zone all-day dates and zone-less times are read in. */
export const CALENDAR_TIME_ZONE = 'UTC';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/i;

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterOf(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** The zone's offset from UTC at `ms`, in minutes. */
function offsetMinutes(zone: string, ms: number): number {
  const parts = Object.fromEntries(
    formatterOf(zone)
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

/** The instant a wall-clock time names in `zone` (the earlier one in a fall-back overlap). */
function zonedToUtc(wallMs: number, zone: string): number {
  let ms = wallMs - offsetMinutes(zone, wallMs) * 60_000;
  // A second pass settles times near a transition, where the first guess used the other side's offset.
  ms = wallMs - offsetMinutes(zone, ms) * 60_000;
  return ms;
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/** RFC 3339 in `zone`'s offset, seconds precision ("Z" for UTC), as Google answers dateTime. */
export function formatInZone(ms: number, zone: string): string {
  const offset = offsetMinutes(zone, ms);
  const wall = new Date(ms + offset * 60_000);
  const body =
    `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}` +
    `T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}`;
  if (offset === 0) return `${body}Z`;
  return `${body}${offset < 0 ? '-' : '+'}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

function validDate(y: number, m: number, d: number): boolean {
  const probe = new Date(Date.UTC(y, m - 1, d));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d;
}

/**
 * Parses one of start/end. `which` is 'start' or 'end' for the messages, which follow Google's
 * wording ("Missing end time.", "Invalid time zone definition for start time.").
 */
export function resolveTime(which: 'start' | 'end', raw: unknown): ResolvedTime {
  if (raw === undefined || raw === null) throw errors.required(`Missing ${which} time.`);
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw errors.invalid(`Invalid ${which} time: expected an object with date or dateTime.`);
  const time = raw as Record<string, unknown>;
  const zone = time.timeZone;
  if (zone !== undefined && zone !== null && (typeof zone !== 'string' || !isTimeZone(zone)))
    throw errors.invalid(`Invalid time zone definition for ${which} time.`);
  const timeZone = typeof zone === 'string' ? zone : undefined;
  const withZone = timeZone ? { timeZone } : {};

  if (time.date !== undefined && time.date !== null) {
    if (time.dateTime !== undefined && time.dateTime !== null)
      throw errors.invalid(`Invalid ${which} time: give either date (all-day) or dateTime, not both.`);
    const match = typeof time.date === 'string' ? DATE.exec(time.date) : null;
    if (!match || !validDate(Number(match[1]), Number(match[2]), Number(match[3])))
      throw errors.invalid(
        `Invalid ${which} time: date must be yyyy-mm-dd, got ${JSON.stringify(time.date)}.`,
      );
    const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
    return { ms, allDay: true, value: { date: time.date as string, ...withZone } };
  }

  if (time.dateTime === undefined || time.dateTime === null) throw errors.required(`Missing ${which} time.`);
  const match = typeof time.dateTime === 'string' ? DATE_TIME.exec(time.dateTime) : null;
  if (!match || !validDate(Number(match[1]), Number(match[2]), Number(match[3])))
    throw errors.invalid(
      `Invalid ${which} time: dateTime must be RFC 3339 (e.g. 2025-01-31T09:00:00+01:00), got ${JSON.stringify(time.dateTime)}.`,
    );
  const [, y, mo, d, h, mi, s, , offset] = match;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59)
    throw errors.invalid(`Invalid ${which} time: ${JSON.stringify(time.dateTime)} is not a time of day.`);
  // Calendar keeps times to the second (as iCalendar does); fractions are dropped.
  const wallMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  let ms: number;
  if (offset === undefined) {
    if (!timeZone) throw errors.required(`Missing time zone definition for ${which} time.`);
    ms = zonedToUtc(wallMs, timeZone);
  } else if (offset.toUpperCase() === 'Z') {
    ms = wallMs;
  } else {
    const sign = offset.startsWith('-') ? -1 : 1;
    ms = wallMs - sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6))) * 60_000;
  }
  // Google answers dateTime in the event's zone when it has one, else in the calendar's zone.
  return {
    ms,
    allDay: false,
    value: { dateTime: formatInZone(ms, timeZone ?? CALENDAR_TIME_ZONE), ...withZone },
  };
}

/**
 * Both ends, checked together. "end before start" -> 400 timeRangeEmpty; an all-day event's end date
 * is exclusive, so it must come after its start date. A timed event may last zero seconds
 * (the reference does not forbid it, and Calendar shows such events).
 */
export function resolveSpan(start: unknown, end: unknown): { start: ResolvedTime; end: ResolvedTime } {
  const s = resolveTime('start', start);
  const e = resolveTime('end', end);
  if (s.allDay !== e.allDay)
    throw errors.invalid('Invalid start/end: both must be dates (all-day) or both dateTimes.');
  if (e.ms < s.ms || (s.allDay && e.ms === s.ms)) throw errors.timeRangeEmpty();
  return { start: s, end: e };
}

/** An RFC 3339 timestamp of a query parameter ("with mandatory time zone offset"). */
export function parseTimestamp(name: string, value: string): number {
  const match = DATE_TIME.exec(value);
  if (!match || match[8] === undefined)
    throw errors.invalid(
      `Invalid ${name}: ${JSON.stringify(value)} must be an RFC 3339 timestamp with an offset, e.g. 2025-01-31T09:00:00Z.`,
      name,
    );
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw errors.invalid(`Invalid ${name}: ${JSON.stringify(value)}.`, name);
  return ms;
}
