import type { CalendarEvent } from './event-body.ts';

/**
 * The last state the sink saw of each event (its etag, our version and hashes in it), by id: the
 * answer of its last insert, update or read. It spares a read before each write: the next change
 * of the row is one update with If-Match on that etag, and a replayed change the event holds
 * already is stale with no request at all. When someone changed the event since (in Calendar,
 * or another instance of the sink after a rebalance), the etag no longer matches: Calendar
 * answers 412 and the sink reads the event and decides again. Least recently used entries go
 * first beyond `capacity`; a miss costs a request, never correctness.
 */
export class EventCache {
  readonly #capacity: number;
  readonly #events = new Map<string, CalendarEvent>();

  constructor(capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a whole number of at least 1');
    this.#capacity = capacity;
  }

  get(id: string): CalendarEvent | undefined {
    const event = this.#events.get(id);
    if (event === undefined) return undefined;
    // Map keeps insertion order: moving it last makes the first entry the least recently used.
    this.#events.delete(id);
    this.#events.set(id, event);
    return event;
  }

  set(id: string, event: CalendarEvent): void {
    this.#events.delete(id);
    this.#events.set(id, event);
    if (this.#events.size > this.#capacity) {
      const oldest = this.#events.keys().next();
      if (!oldest.done) this.#events.delete(oldest.value);
    }
  }

  delete(id: string): void {
    this.#events.delete(id);
  }

  get size(): number {
    return this.#events.size;
  }
}
