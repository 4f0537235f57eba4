import type { calendar_v3 } from '@googleapis/calendar';
import { withBookkeeping, type Bookkeeping } from './bookkeeping.ts';
import type { PlaceValues } from './event-mapping.ts';

export type CalendarEvent = calendar_v3.Schema$Event;

/**
 * What Calendar sets itself, left out of a write: an update (PUT) takes the whole event, so the
 * sink sends what the calendar holds (attendees, reminders, colours a person added stay) with
 * the template's places and its bookkeeping replaced; `sequence` Calendar counts up on its own.
 */
const SERVER_OWNED = [
  'kind',
  'etag',
  'htmlLink',
  'created',
  'updated',
  'creator',
  'organizer',
  'iCalUID',
  'sequence',
  'hangoutLink',
  'privateCopy',
  'locked',
] as const;

export type EventStatus = 'confirmed' | 'tentative' | 'cancelled';

/** The event to write: `base` (what the calendar holds, if anything) with `values` in their places. */
export function eventToWrite(
  id: string,
  base: CalendarEvent | undefined,
  values: PlaceValues,
  status: EventStatus,
  ours: Bookkeeping,
): CalendarEvent {
  const event: Record<string, unknown> = { ...base };
  for (const field of SERVER_OWNED) delete event[field];
  const shared: Record<string, string> = { ...base?.extendedProperties?.shared };
  const others: Record<string, string> = { ...base?.extendedProperties?.private };
  for (const [place, value] of Object.entries(values)) {
    const dot = place.indexOf('.');
    if (dot > 0) {
      const properties = place.slice(0, dot) === 'shared' ? shared : others;
      const key = place.slice(dot + 1);
      if (typeof value === 'string') properties[key] = value;
      else delete properties[key];
    } else if (value === null) delete event[place];
    else event[place] = value;
  }
  event.id = id;
  event.status = status;
  event.extendedProperties = { private: withBookkeeping(others, ours), shared };
  return event;
}
