import { describe, expect, it } from 'vitest';
import {
  eventTime,
  fixedPoint,
  minutesBetween,
  plusMinutes,
  readTime,
  timeValue,
  type TimePoint,
} from './event-times.ts';

// Row values (docs/contracts.md: timestamptz and timestamp as BigInt microseconds, date as a day
// number) as Calendar's start and end, shown at the clinic's local time.

const micros = (iso: string) => BigInt(Date.parse(iso)) * 1000n;
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
const localTime = (point: TimePoint, zone: string) =>
  (eventTime(point, zone) as { dateTime: string }).dateTime;

describe('an instant at the clinic', () => {
  it('shows an appointment stored at 08:00Z on the day Paris moves to summer time at 10:00+02:00', () => {
    // 2025-03-30: clocks in Europe/Paris go from 02:00 to 03:00 (01:00Z).
    const point = readTime(micros('2025-03-30T08:00:00Z'), 'timestamptz', 'Europe/Paris');
    expect(eventTime(point, 'Europe/Paris')).toEqual({
      dateTime: '2025-03-30T10:00:00+02:00',
      timeZone: 'Europe/Paris',
    });
    // The day before, still winter time.
    const before = readTime(micros('2025-03-29T08:00:00Z'), 'timestamptz', 'Europe/Paris');
    expect(localTime(before, 'Europe/Paris')).toBe('2025-03-29T09:00:00+01:00');
  });

  it('ends after minutes at the offset of the end, across the change', () => {
    const start = readTime(micros('2025-03-30T00:30:00Z'), 'timestamptz', 'Europe/Paris');
    expect(localTime(start, 'Europe/Paris')).toBe('2025-03-30T01:30:00+01:00');
    expect(localTime(plusMinutes(start, 60), 'Europe/Paris')).toBe('2025-03-30T03:30:00+02:00');
  });

  it('writes UTC with Z, and drops what is below a second', () => {
    const point = readTime(micros('2025-01-02T03:04:05.678Z') + 9n, 'timestamptz', 'UTC');
    expect(eventTime(point, 'UTC')).toEqual({ dateTime: '2025-01-02T03:04:05Z', timeZone: 'UTC' });
    const before1970 = readTime(-1n, 'timestamptz', 'UTC');
    expect(localTime(before1970, 'UTC')).toBe('1969-12-31T23:59:59Z');
  });

  it('reads ISO text with an offset as the instant it names', () => {
    const point = readTime('2025-07-01T12:00:00-04:00', 'timestamptz', 'Europe/Paris');
    expect(localTime(point, 'Europe/Paris')).toBe('2025-07-01T18:00:00+02:00');
  });
});

describe('a wall-clock time (timestamp column)', () => {
  it('is the local time of the zone', () => {
    const point = readTime(micros('2025-07-01T09:15:00Z'), 'timestamp', 'Europe/Paris');
    expect(localTime(point, 'Europe/Paris')).toBe('2025-07-01T09:15:00+02:00');
    expect(readTime('2025-07-01T09:15', 'timestamp', 'Europe/Paris')).toEqual(point);
  });

  it('takes the first of a time that happens twice, and pushes one that never happens by the gap', () => {
    // 2025-10-26 03:00 Paris goes back to 02:00: 02:30 happens twice.
    const twice = readTime(micros('2025-10-26T02:30:00Z'), 'timestamp', 'Europe/Paris');
    expect(localTime(twice, 'Europe/Paris')).toBe('2025-10-26T02:30:00+02:00');
    const never = readTime(micros('2025-03-30T02:30:00Z'), 'timestamp', 'Europe/Paris');
    expect(localTime(never, 'Europe/Paris')).toBe('2025-03-30T03:30:00+02:00');
  });
});

describe('an all-day event', () => {
  it('is a date from a date column or date text', () => {
    expect(eventTime(readTime(day('2025-03-30'), 'date', 'Europe/Paris'), 'Europe/Paris')).toEqual({
      date: '2025-03-30',
    });
    expect(readTime('2025-03-30', 'date', 'UTC')).toEqual({ kind: 'day', day: day('2025-03-30') });
    expect(fixedPoint('2025-03-30')).toEqual({ kind: 'day', day: day('2025-03-30') });
  });
});

describe('values that are no time', () => {
  it('say why', () => {
    expect(() => readTime(2n ** 63n - 1n, 'timestamptz', 'UTC')).toThrow(/infinity/u);
    expect(() => readTime(19000, 'timestamptz', 'UTC')).toThrow(
      /is a date \(a day number\); set type: date/u,
    );
    expect(() => readTime('tomorrow', 'timestamptz', 'UTC')).toThrow(/'tomorrow' is not a timestamptz/u);
    expect(() => readTime('2025-02-30', 'date', 'UTC')).toThrow(/is not a date/u);
    expect(() => readTime(micros('2025-01-01T00:00:00Z'), 'date', 'UTC')).toThrow(/is not a date/u);
    expect(() => readTime(BigInt(Date.UTC(10_000, 0, 1)) * 1000n, 'timestamptz', 'UTC')).toThrow(
      /outside the years 0001 to 9999/u,
    );
  });
});

describe('reading back what Calendar holds', () => {
  it('compares instants whatever offset they are written with, and dates as text', () => {
    expect(timeValue({ dateTime: '2025-03-30T10:00:00+02:00', timeZone: 'Europe/Paris' })).toBe(
      timeValue({ dateTime: '2025-03-30T08:00:00Z' }),
    );
    expect(timeValue({ date: '2025-03-30' })).toBe('2025-03-30');
    expect(timeValue(undefined)).toBeNull();
    expect(
      minutesBetween({ dateTime: '2025-03-30T10:00:00+02:00' }, { dateTime: '2025-03-30T08:45:00Z' }),
    ).toBe(45);
    expect(minutesBetween({ date: '2025-03-30' }, { date: '2025-03-31' })).toBeNull();
  });
});
