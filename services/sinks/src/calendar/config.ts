import { z } from 'zod';
import { PUBLIC_API_URLS, secretSetting, stackEnvSchema } from '@cdc/core';
import { concurrencySetting, requestsSetting, timeoutMsSetting } from '../http/http-settings.ts';
import { isTimeZone } from '../fhir/mapping/time-zone.ts';
import { parseSinkEntry, sinkEntry } from '../shared-settings.ts';
import { eventTemplateSchema } from './template-config.ts';

/**
 * The sink compares versions with what the calendar holds (our version travels in each event's
 * private extended properties, bookkeeping.ts) and sees what people changed there since its write
 * (conflicts.ts). A deleted row stays as a cancelled event carrying the delete's version: Calendar
 * keeps cancelled events with their id, so the marker needs no retention setting.
 */
export const CALENDAR_SUPPORTS = { conflicts: true, deleteMarkers: false, versionGuard: 'target' } as const;

/**
 * https://developers.google.com/workspace/calendar/api/guides/quota: 600 requests per minute per
 * user per project, in a sliding window (10 per second on average). The burst is half of what a
 * second of that allows, so that requests bunched by the network on their way still fit.
 */
export const CALENDAR_REQUEST_RATE = { perSecond: 10, burst: 5 } as const;

/** A source table as `<schema>.<table>`, the key of its template. */
const tableName = z
  .string()
  .regex(/^[^.\s]+\.[^.\s]+$/u, 'must be a source table as <schema>.<table>, such as public.appointments');

const ZONE_ERROR = 'must be an IANA time zone such as Europe/Paris or UTC';

/**
 * The `sinks:` entry of a Google Calendar sink, e.g.
 *
 *   - kind: google_calendar
 *     name: clinic-calendar
 *     topics: [cdc.public.appointments]
 *     credentials: { file: /run/secrets/calendar-key.json }
 *     calendar_id: c_0123456789abcdef@group.calendar.google.com
 *     time_zone: Europe/Paris
 *     tables:
 *       public.appointments:
 *         summary: 'Appointment: {patient_name}'
 *         start: { field: starts_at }
 *         end: { minutes_field: duration_minutes }
 */
export const calendarSinkSchema = sinkEntry('google_calendar', CALENDAR_SUPPORTS, {
  url: stackEnvSchema.shape.GOOGLE_CALENDAR_URL.optional().describe(
    'Root URL of the Google APIs (default: google_calendar.url, else env GOOGLE_CALENDAR_URL, else ' +
      `${PUBLIC_API_URLS.GOOGLE_CALENDAR_URL}); the Calendar API is under calendar/v3/`,
  ),
  credentials: secretSetting.describe(
    'The service account key, as the JSON text Google Cloud gives (type service_account, client_email, ' +
      'private_key, token_uri): the text itself, { env: NAME } or { file: PATH }. Share the calendar with ' +
      "the account's client_email, with permission to make changes to events",
  ),
  calendar_id: z
    .string({ error: 'must be a calendar id, such as c_0123abcd@group.calendar.google.com' })
    .min(1, 'must not be empty')
    .describe(
      'The calendar the events go to: its id (Calendar settings, Integrate calendar), such as c_0123abcd@group.calendar.google.com',
    ),
  time_zone: z
    .string({ error: ZONE_ERROR })
    .refine(isTimeZone, { error: ZONE_ERROR })
    .default('UTC')
    .describe(
      "IANA zone the events are shown in (the clinic's, e.g. Europe/Paris): an appointment stored in UTC " +
        'is written at its local time there; also the wall clock of timestamp columns (no zone). ' +
        'A table may set its own; default UTC',
    ),
  tables: z
    .record(tableName, eventTemplateSchema, {
      error: (issue) =>
        issue.code === 'invalid_type'
          ? 'must be a mapping of source tables to event templates, such as { public.appointments: { summary: ..., start: ..., end: ... } }'
          : undefined,
    })
    .refine((tables) => Object.keys(tables).length > 0, {
      error:
        'must map at least one source table, such as { public.appointments: { summary: ..., start: ..., end: ... } }',
    })
    .describe(
      "For each source table (<schema>.<table>, as a change event's source names it): the calendar event its rows become",
    ),
  requests: requestsSetting(CALENDAR_REQUEST_RATE).describe(
    'Request budget of the service account: Google documents 600 requests per minute per user ' +
      '(developers.google.com/workspace/calendar/api/guides/quota), so the default is 10 per second, ' +
      'bursts of 5; set your project’s quota if it is another. A rate-limit answer pauses every request',
  ),
  timeout_ms: timeoutMsSetting,
  concurrency: concurrencySetting(4),
}).describe(
  'Google Calendar sink: each row an event of one calendar, with an id made from the row key, never written backwards',
);

export type CalendarSinkConfig = z.output<typeof calendarSinkSchema>;
export type CalendarSinkInput = z.input<typeof calendarSinkSchema>;

export function parseCalendarSinkConfig(input: unknown): CalendarSinkConfig {
  return parseSinkEntry(calendarSinkSchema, input, 'Google Calendar');
}
