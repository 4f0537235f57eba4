import { describe, expect, it } from 'vitest';
import { fhirDate, fhirDateTime, fhirInstant } from './date-time.ts';
import { day, localMicros, utcMicros } from './test-values.ts';
import { instantOfWallTime, isTimeZone, offsetAt, offsetText } from './time-zone.ts';

const utc = { zone: 'UTC', local: false };
const paris = { zone: 'Europe/Paris', local: false };
const parisWallClock = { zone: 'Europe/Paris', local: true };
const HOUR = 3_600_000;

describe('time zones', () => {
  it('knows IANA zones and refuses others', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Europe/Pariss')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });

  it('gives the offset in force at an instant', () => {
    expect(offsetAt('Europe/Paris', Date.parse('2021-01-15T12:00:00Z'))).toBe(HOUR);
    expect(offsetAt('Europe/Paris', Date.parse('2021-07-15T12:00:00Z'))).toBe(2 * HOUR);
    expect(offsetAt('America/New_York', Date.parse('2021-07-15T12:00:00Z'))).toBe(-4 * HOUR);
    expect(offsetText(-4 * HOUR)).toBe('-04:00');
    expect(offsetText(5.5 * HOUR)).toBe('+05:30');
    // Paris mean time (until 1911) is 9 min 21 s ahead: not writable as an ISO offset.
    expect(offsetText(561_000)).toBeUndefined();
  });

  it('reads wall clocks across DST changes as java.time does', () => {
    const wall = (text: string) => Date.parse(`${text}Z`);
    expect(instantOfWallTime('Europe/Paris', wall('2021-03-04T10:00:00'))).toEqual({
      utcMs: Date.parse('2021-03-04T09:00:00Z'),
      offsetMs: HOUR,
    });
    // 02:30 never happened on 2021-03-28 (02:00 -> 03:00): pushed later by the gap, to 03:30 CEST.
    expect(instantOfWallTime('Europe/Paris', wall('2021-03-28T02:30:00'))).toEqual({
      utcMs: Date.parse('2021-03-28T01:30:00Z'),
      offsetMs: 2 * HOUR,
    });
    // 02:30 happened twice on 2021-10-31 (03:00 -> 02:00): the first time, still in summer time.
    expect(instantOfWallTime('Europe/Paris', wall('2021-10-31T02:30:00'))).toEqual({
      utcMs: Date.parse('2021-10-31T00:30:00Z'),
      offsetMs: 2 * HOUR,
    });
  });
});

describe('FHIR date, dateTime and instant', () => {
  it('writes date columns, timestamps and ISO text as dates', () => {
    expect(fhirDate(day('1985-07-14'), utc)).toBe('1985-07-14');
    expect(fhirDate(day('0001-01-01'), utc)).toBe('0001-01-01');
    expect(fhirDate(day('9999-12-31'), utc)).toBe('9999-12-31');
    // 23:30 UTC is already the next day in Paris: a timestamptz's date is the source clock's.
    expect(fhirDate(utcMicros('2021-03-04T23:30:00Z'), utc)).toBe('2021-03-04');
    expect(fhirDate(utcMicros('2021-03-04T23:30:00Z'), paris)).toBe('2021-03-05');
    expect(fhirDate(localMicros('2021-03-04T23:30:00'), parisWallClock)).toBe('2021-03-04');
    expect(fhirDate('2021-03', utc)).toBe('2021-03');
    expect(fhirDate('2021-03-04T10:00:00+01:00', utc)).toBe('2021-03-04');
  });

  it('writes timestamptz in UTC and timestamp with the zone offset, microseconds kept', () => {
    expect(fhirDateTime(utcMicros('2021-03-04T09:00:00Z'), paris)).toBe('2021-03-04T09:00:00Z');
    expect(fhirDateTime(utcMicros('2021-03-04T09:00:00.120Z', 34n), utc)).toBe('2021-03-04T09:00:00.120034Z');
    expect(fhirDateTime(utcMicros('1960-01-01T00:00:00.500Z'), utc)).toBe('1960-01-01T00:00:00.5Z');
    expect(fhirDateTime(localMicros('2021-03-04T10:00:00'), parisWallClock)).toBe(
      '2021-03-04T10:00:00+01:00',
    );
    expect(fhirDateTime(localMicros('2021-07-01T10:00:00'), parisWallClock)).toBe(
      '2021-07-01T10:00:00+02:00',
    );
    expect(fhirDateTime(localMicros('2021-03-28T02:30:00'), parisWallClock)).toBe(
      '2021-03-28T03:30:00+02:00',
    );
    expect(fhirDateTime(localMicros('2021-03-04T10:00:00'), { zone: 'UTC', local: true })).toBe(
      '2021-03-04T10:00:00Z',
    );
    // Before 1911 Paris kept its mean time: the same instant, written in UTC.
    expect(fhirDateTime(localMicros('1900-01-01T12:00:00'), parisWallClock)).toBe('1900-01-01T11:50:39Z');
    expect(fhirDateTime(day('2021-03-04'), utc)).toBe('2021-03-04');
    expect(fhirDateTime('2021-03-04T10:00:00+01:00', utc)).toBe('2021-03-04T10:00:00+01:00');
    expect(fhirDateTime('2021', utc)).toBe('2021');
  });

  it('writes instants, which need a time of day', () => {
    expect(fhirInstant(utcMicros('2024-05-02T08:30:00Z'), utc)).toBe('2024-05-02T08:30:00Z');
    expect(fhirInstant(localMicros('2024-05-02T08:30:00'), parisWallClock)).toBe('2024-05-02T08:30:00+02:00');
    expect(fhirInstant('2024-05-02T08:30:00.25Z', utc)).toBe('2024-05-02T08:30:00.25Z');
    expect(() => fhirInstant(day('2024-05-02'), utc)).toThrow(
      'is a date (a day number); an instant needs a time of day',
    );
    expect(() => fhirInstant('2024-05-02', utc)).toThrow("'2024-05-02' is not an instant");
  });

  it('refuses what FHIR cannot write', () => {
    expect(() => fhirDate(2_147_483_647, utc)).toThrow('the date is infinity, which FHIR cannot write');
    expect(() => fhirDateTime(2n ** 63n - 1n, utc)).toThrow('the timestamp is infinity');
    expect(() => fhirDate(day('9999-12-31') + 1, utc)).toThrow('outside the years 0001 to 9999');
    expect(() => fhirDateTime(utcMicros('0001-01-01T00:00:00Z') - 1n, utc)).toThrow('outside the years');
    expect(() => fhirDate(1.5, utc)).toThrow('1.5 is not a day number');
    expect(() => fhirDateTime('2021-03-04 10:00:00', utc)).toThrow("'2021-03-04 10:00:00' is not a dateTime");
    expect(() => fhirDateTime('2021-03-04T10:00:00', utc)).toThrow('is not a dateTime');
    expect(() => fhirDate(true, utc)).toThrow('true is not a date');
  });
});
