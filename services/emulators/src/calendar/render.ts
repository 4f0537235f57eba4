/** The JSON answers: Event and Calendar resources as the v3 reference lists their fields. */
import type { Calendar, StoredEvent } from './calendar-store.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export function renderEvent(calendar: Calendar, event: StoredEvent): Record<string, unknown> {
  const eid = Buffer.from(`${event.id} ${calendar.id}`).toString('base64url');
  return {
    kind: 'calendar#event',
    etag: event.etag,
    id: event.id,
    status: event.status,
    htmlLink: `https://www.google.com/calendar/event?eid=${eid}`,
    created: iso(event.createdMs),
    updated: iso(event.updatedMs),
    creator: { email: event.creator },
    organizer: { email: calendar.id, displayName: calendar.summary, self: true },
    iCalUID: `${event.id}@google.com`,
    sequence: event.sequence,
    reminders: { useDefault: true },
    eventType: 'default',
    ...event.fields,
  };
}

export function renderCalendar(calendar: Calendar): Record<string, unknown> {
  return {
    kind: 'calendar#calendar',
    etag: calendar.etag,
    id: calendar.id,
    summary: calendar.summary,
    timeZone: calendar.timeZone,
  };
}
