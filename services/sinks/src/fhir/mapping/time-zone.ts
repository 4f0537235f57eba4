/**
 * Wall-clock times of an IANA zone, through Intl (ICU's zone data ships with Node): a `timestamp`
 * column (no zone) holds the wall clock of the source, and FHIR wants an instant with its offset.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, format);
  }
  return format;
}

/** True for a zone Intl knows (IANA names such as Europe/Paris, and UTC). */
export function isTimeZone(zone: string): boolean {
  if (zone.trim() === '') return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** A UTC time in ms from its calendar fields; Date.UTC alone reads years 0-99 as 1900-1999. */
export function utcMsOf(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const date = new Date(Date.UTC(2000, 0, 1, hour, minute, second));
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

/** How far `zone`'s wall clock is ahead of UTC at the instant `utcMs`, in ms. */
export function offsetAt(zone: string, utcMs: number): number {
  if (zone === 'UTC') return 0;
  const fields: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(utcMs))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const wall = utcMsOf(
    fields['year'] ?? 0,
    fields['month'] ?? 1,
    fields['day'] ?? 1,
    fields['hour'] ?? 0,
    fields['minute'] ?? 0,
    fields['second'] ?? 0,
  );
  const wholeSecond = utcMs - (((utcMs % 1000) + 1000) % 1000);
  return wall - wholeSecond;
}

const DAY_MS = 86_400_000;

/**
 * The instant a wall-clock time of `zone` names (wallMs: the wall clock read as if it were UTC),
 * decided as java.time does: a time that happens twice (clocks turned back) is its first
 * occurrence; a time that never happens (clocks turned forward) is pushed later by the gap,
 * 02:30 becoming 03:30. Zone changes are months apart, so the offsets a day either side are the
 * only candidates.
 */
export function instantOfWallTime(zone: string, wallMs: number): { utcMs: number; offsetMs: number } {
  const before = offsetAt(zone, wallMs - DAY_MS);
  const after = offsetAt(zone, wallMs + DAY_MS);
  const fits = (offset: number) => offsetAt(zone, wallMs - offset) === offset;
  // The larger offset gives the earlier instant: the first occurrence in an overlap.
  for (const offset of before >= after ? [before, after] : [after, before]) {
    if (fits(offset)) return { utcMs: wallMs - offset, offsetMs: offset };
  }
  const utcMs = wallMs - before;
  return { utcMs, offsetMs: offsetAt(zone, utcMs) };
}

/** `+01:00`, or undefined for offsets of the local mean times before 1900 (not whole minutes). */
export function offsetText(offsetMs: number): string | undefined {
  if (offsetMs % 60_000 !== 0) return undefined;
  const minutes = Math.abs(offsetMs / 60_000);
  const sign = offsetMs < 0 ? '-' : '+';
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
