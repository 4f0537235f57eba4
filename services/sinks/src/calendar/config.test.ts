import { describe, expect, it } from 'vitest';
import { CdcError } from '@cdc/core';
import { parseCalendarSinkConfig } from './config.ts';
import { APPOINTMENT_TEMPLATE } from './test-templates.ts';

const entry = (
  overrides: Record<string, unknown> = {},
  template: Record<string, unknown> = APPOINTMENT_TEMPLATE,
) => ({
  kind: 'google_calendar',
  name: 'clinic',
  topics: ['cdc.public.appointments'],
  credentials: { env: 'CALENDAR_KEY' },
  calendar_id: 'clinic@group.calendar.google.com',
  tables: { 'public.appointments': template },
  ...overrides,
});

function problems(input: unknown): string[] {
  try {
    parseCalendarSinkConfig(input);
  } catch (error) {
    if (error instanceof CdcError) return error.details.problems as string[];
    throw error;
  }
  return [];
}

describe('google_calendar sink entry', () => {
  it('takes the defaults: its documented quota, UTC, source_wins', () => {
    const config = parseCalendarSinkConfig(entry());
    expect(config.url).toBeUndefined(); // google_calendar.url, else GOOGLE_CALENDAR_URL, else Google's
    expect(config).toMatchObject({
      time_zone: 'UTC',
      requests: { per_second: 10, burst: 5 },
      timeout_ms: 10_000,
      concurrency: 4,
      conflict: { policy: 'source_wins' },
    });
    expect(config.tables['public.appointments']?.end).toEqual({ minutes_field: 'minutes' });
  });

  it('names what is wrong, where, and how to write it', () => {
    expect(problems(entry({ calendar_id: '', time_zone: 'Paris' }))).toEqual([
      'sinks.calendar_id: must not be empty',
      'sinks.time_zone: must be an IANA time zone such as Europe/Paris or UTC',
    ]);
    expect(problems(entry({}, { ...APPOINTMENT_TEMPLATE, summary: '{patient name}', end: {} }))).toEqual([
      expect.stringMatching(
        /^sinks\.tables\['public\.appointments'\]\.summary: \{patient name\} is not a placeholder/u,
      ),
      "sinks.tables['public.appointments'].end: must set one of field, value, minutes, minutes_field, days, such as { minutes: 30 }",
    ]);
    expect(
      problems(entry({}, { ...APPOINTMENT_TEMPLATE, start: { field: 'starts_at', value: '2025-01-01' } })),
    ).toEqual([
      "sinks.tables['public.appointments'].start: sets field and value: set only one of field, value",
    ]);
  });

  it('refuses an all-day start with an end in minutes, and private keys of its own bookkeeping', () => {
    expect(
      problems(
        entry(
          {},
          { ...APPOINTMENT_TEMPLATE, start: { field: 'day', type: 'date' }, private: { cdc_version: 'x' } },
        ),
      ),
    ).toEqual([
      "sinks.tables['public.appointments'].private.cdc_version: private properties starting with cdc_ are the sink's own bookkeeping; rename it",
    ]);
    expect(problems(entry({}, { ...APPOINTMENT_TEMPLATE, start: { field: 'day', type: 'date' } }))).toEqual([
      "sinks.tables['public.appointments'].end: an all-day event (start type date) ends on a date: set end.field, end.days or end.value",
    ]);
    expect(problems(entry({}, { ...APPOINTMENT_TEMPLATE, shared: { ['k'.repeat(45)]: '{x}' } }))).toEqual([
      expect.stringContaining('property names must be 1 to 44 characters (Calendar drops longer keys)'),
    ]);
  });

  it('refuses FHIR codings, which no event field holds', () => {
    expect(problems(entry({}, { ...APPOINTMENT_TEMPLATE, location: '{room|code:rooms}' }))).toEqual([
      "sinks.tables['public.appointments'].location: code:<table> formats make FHIR Codings; an event holds text: use {field} or {field|string}",
    ]);
  });
});
