import { PUBLIC_API_URLS } from '@cdc/core';
import type { SinkKind } from '../sink-kind.ts';
import { CalendarSink } from './calendar-sink.ts';
import { CALENDAR_SUPPORTS, calendarSinkSchema } from './config.ts';

/** Google Calendar (a clinic's appointments as events) in the registry of sink kinds (kinds.ts). */
export const googleCalendarKind = {
  kind: 'google_calendar',
  title: 'Google Calendar',
  entry: calendarSinkSchema,
  supports: CALENDAR_SUPPORTS,
  defaultTarget: 'google_calendar',
  verifiable: false,
  create: (entry, context) =>
    new CalendarSink(
      entry,
      context.url ?? PUBLIC_API_URLS.GOOGLE_CALENDAR_URL,
      context.path,
      context.rateLimitWaits,
    ),
} as const satisfies SinkKind<typeof calendarSinkSchema>;
