/**
 * Calendars and their events, in memory, with the rules of insert/get/update/patch/delete
 * (https://developers.google.com/workspace/calendar/api/v3/reference/events).
 */
import { randomBytes } from 'node:crypto';
import { errors } from './errors.ts';
import { mergePatch, writableFields, type Fields } from './event-fields.ts';
import { checkEventId, newEventId } from './event-id.ts';
import { CALENDAR_TIME_ZONE, resolveSpan } from './event-time.ts';

export type EventStatus = 'confirmed' | 'tentative' | 'cancelled';

export interface StoredEvent {
  readonly id: string;
  /** Insertion order: list pages walk it, so an event inserted mid-walk never shifts a page. */
  readonly order: number;
  readonly createdMs: number;
  readonly creator: string;
  updatedMs: number;
  etag: string;
  sequence: number;
  status: EventStatus;
  startMs: number;
  endMs: number;
  /** Writable fields as answered: start/end normalized, extendedProperties within the limits. */
  fields: Fields;
}

export interface Calendar {
  readonly id: string;
  readonly summary: string;
  readonly timeZone: string;
  readonly events: Map<string, StoredEvent>;
  nextOrder: number;
  etag: string;
  updatedMs: number;
}

/** The fields whose change makes a new revision in iCalendar terms (RFC 5545 section 3.8.7.4). */
const REVISING = ['start', 'end', 'recurrence', 'status'] as const;

export class CalendarStore {
  readonly #calendars = new Map<string, Calendar>();
  // ETags are opaque quoted strings; a counter seeded with microseconds looks like Google's and
  // gives every change a new one, even two changes within one microsecond.
  #etagCounter = BigInt(Date.now()) * 1000n;

  #nextEtag(now: number): string {
    const floor = BigInt(now) * 1000n;
    this.#etagCounter = this.#etagCounter >= floor ? this.#etagCounter + 1n : floor;
    return `"${this.#etagCounter}"`;
  }

  createCalendar(summary: string, now = Date.now()): Calendar {
    const id = `${randomBytes(16).toString('hex')}@group.calendar.google.com`;
    const calendar: Calendar = {
      id,
      summary,
      timeZone: CALENDAR_TIME_ZONE,
      events: new Map(),
      nextOrder: 1,
      etag: this.#nextEtag(now),
      updatedMs: now,
    };
    this.#calendars.set(id, calendar);
    return calendar;
  }

  calendar(id: string): Calendar {
    const calendar = this.#calendars.get(id);
    if (!calendar) throw errors.notFound();
    return calendar;
  }

  event(calendar: Calendar, eventId: string): StoredEvent {
    const event = calendar.events.get(eventId);
    if (!event) throw errors.notFound();
    return event;
  }

  /** events.insert: a client-chosen id must be valid and unused, a cancelled event's id included. */
  insert(calendar: Calendar, body: unknown, creator: string, now = Date.now()): StoredEvent {
    const raw = (body ?? {}) as Fields;
    const id = raw.id === undefined || raw.id === null ? newEventId() : checkEventId(raw.id);
    if (calendar.events.has(id)) throw errors.duplicate();
    const fields = writableFields(body);
    const span = resolveSpan(fields.start, fields.end);
    const event: StoredEvent = {
      id,
      order: calendar.nextOrder++,
      createdMs: now,
      creator,
      updatedMs: now,
      etag: this.#nextEtag(now),
      sequence: typeof fields.sequence === 'number' ? fields.sequence : 0,
      status: (fields.status as EventStatus | undefined) ?? 'confirmed',
      startMs: span.start.ms,
      endMs: span.end.ms,
      fields: { ...fields, start: span.start.value, end: span.end.value },
    };
    delete event.fields.sequence;
    delete event.fields.status;
    calendar.events.set(id, event);
    this.#touch(calendar, now);
    return event;
  }

  /**
   * events.update: the body replaces the event, so a field it leaves out is cleared; status too,
   * which then falls back to confirmed. That is how an update restores a cancelled event.
   */
  update(calendar: Calendar, eventId: string, body: unknown, ifMatch: string | undefined, now = Date.now()) {
    const event = this.event(calendar, eventId);
    checkIfMatch(event, ifMatch);
    return this.#revise(calendar, event, writableFields(body), now);
  }

  /** events.patch: the body merges into the event (see mergePatch). */
  patch(calendar: Calendar, eventId: string, body: unknown, ifMatch: string | undefined, now = Date.now()) {
    const event = this.event(calendar, eventId);
    checkIfMatch(event, ifMatch);
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw errors.invalid('Invalid request body: expected the Event fields to change (a JSON object).');
    const current: Fields = { ...event.fields, status: event.status, sequence: event.sequence };
    const merged = mergePatch(current, body as Fields);
    return this.#revise(calendar, event, writableFields(merged), now);
  }

  /**
   * events.delete: the event stays, cancelled, with its id (list shows it with showDeleted, get
   * still answers it); deleting it again -> 410 deleted.
   */
  delete(calendar: Calendar, eventId: string, ifMatch: string | undefined, now = Date.now()): void {
    const event = this.event(calendar, eventId);
    if (event.status === 'cancelled') throw errors.deleted();
    checkIfMatch(event, ifMatch);
    event.status = 'cancelled';
    event.sequence += 1;
    event.updatedMs = now;
    event.etag = this.#nextEtag(now);
    this.#touch(calendar, now);
  }

  #revise(calendar: Calendar, event: StoredEvent, fields: Fields, now: number): StoredEvent {
    const span = resolveSpan(fields.start, fields.end);
    const status = (fields.status as EventStatus | undefined) ?? 'confirmed';
    const next: Fields = { ...fields, start: span.start.value, end: span.end.value };
    delete next.status;
    delete next.sequence;

    let sequence = event.sequence;
    if (typeof fields.sequence === 'number') {
      if (fields.sequence < event.sequence)
        throw errors.invalid(
          `Invalid sequence value. The specified sequence number (${fields.sequence}) is below the current sequence number of the resource (${event.sequence}).`,
        );
      sequence = fields.sequence;
    }
    const revised = REVISING.some((name) =>
      name === 'status'
        ? status !== event.status
        : JSON.stringify(next[name]) !== JSON.stringify(event.fields[name]),
    );
    if (revised && sequence === event.sequence) sequence += 1;

    event.fields = next;
    event.status = status;
    event.sequence = sequence;
    event.startMs = span.start.ms;
    event.endMs = span.end.ms;
    event.updatedMs = now;
    event.etag = this.#nextEtag(now);
    this.#touch(calendar, now);
    return event;
  }

  #touch(calendar: Calendar, now: number): void {
    calendar.updatedMs = now;
    calendar.etag = this.#nextEtag(now);
  }
}

/**
 * The version-resources guide
 * (https://developers.google.com/workspace/calendar/api/guides/version-resources): a write with
 * If-Match succeeds only while the stored ETag is the one given; otherwise 412. `*` matches any
 * existing resource (RFC 9110 section 13.1.1), and a list of ETags matches any of them.
 */
function checkIfMatch(event: StoredEvent, ifMatch: string | undefined): void {
  if (ifMatch === undefined) return;
  const tags = ifMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (tags.includes('*') || tags.includes(event.etag)) return;
  throw errors.conditionNotMet();
}
