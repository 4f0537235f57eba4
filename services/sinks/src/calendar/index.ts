export {
  CALENDAR_REQUEST_RATE,
  CALENDAR_SUPPORTS,
  calendarSinkSchema,
  parseCalendarSinkConfig,
  type CalendarSinkConfig,
  type CalendarSinkInput,
} from './config.ts';
export { CalendarSink } from './calendar-sink.ts';
export { eventIdOf } from './event-id.ts';
export { googleCalendarKind } from './kind.ts';
