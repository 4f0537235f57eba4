/**
 * events.list (https://developers.google.com/workspace/calendar/api/v3/reference/events/list):
 * timeMin/timeMax, showDeleted, updatedMin, privateExtendedProperty/sharedExtendedProperty, q,
 * iCalUID, orderBy, maxResults and pageToken. Not served: syncToken/nextSyncToken, the `timeZone`
 * answer zone, and expanding recurring events (singleEvents is accepted, recurring events come back
 * as one item).
 */
import type { Calendar, StoredEvent } from './calendar-store.ts';
import { errors } from './errors.ts';
import { parseTimestamp } from './event-time.ts';
import { renderCalendar, renderEvent } from './render.ts';

type Query = Record<string, string | string[] | undefined>;

const DEFAULT_MAX_RESULTS = 250;
const MAX_MAX_RESULTS = 2500;

const many = (query: Query, name: string): string[] => {
  const value = query[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
};
const one = (query: Query, name: string): string | undefined => many(query, name).at(-1);

function flag(query: Query, name: string): boolean {
  const value = one(query, name);
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw errors.invalid(`Invalid value for ${name}: ${JSON.stringify(value)} (true or false).`, name);
}

/**
 * "propertyName=value"; the reference: "This parameter might be repeated multiple times to return
 * events that match all given constraints". (The extended-properties guide says the repeats are
 * OR'd; the reference is followed, and both ask for a constraint per repetition.)
 */
function constraints(query: Query, name: string): [string, string][] {
  return many(query, name).map((c) => {
    const at = c.indexOf('=');
    if (at <= 0)
      throw errors.invalid(`Invalid ${name}: ${JSON.stringify(c)} must be propertyName=value.`, name);
    return [c.slice(0, at), c.slice(at + 1)];
  });
}

function maxResultsOf(query: Query): number {
  const raw = one(query, 'maxResults');
  if (raw === undefined) return DEFAULT_MAX_RESULTS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw errors.invalid(`Invalid maxResults: ${JSON.stringify(raw)} (a positive integer).`, 'maxResults');
  // "The page size can never be larger than 2500 events."
  return Math.min(n, MAX_MAX_RESULTS);
}

interface Cursor {
  readonly key: number;
  readonly order: number;
}

// Opaque to clients; it names the last item answered, so a page never repeats or skips an event
// when events are inserted between page requests.
const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify([c.key, c.order])).toString('base64url');
function decodeCursor(token: string): Cursor {
  try {
    const [key, order] = JSON.parse(Buffer.from(token, 'base64url').toString()) as unknown[];
    if (typeof key === 'number' && typeof order === 'number') return { key, order };
  } catch {
    // falls through to the error below
  }
  throw errors.invalid(
    'Invalid pageToken: pass the nextPageToken of the previous page unchanged.',
    'pageToken',
  );
}

function sortKeyOf(query: Query): (e: StoredEvent) => number {
  const orderBy = one(query, 'orderBy');
  if (orderBy === undefined) return () => 0;
  if (orderBy === 'updated') return (e) => e.updatedMs;
  if (orderBy === 'startTime') {
    // The reference: startTime ordering "is only available when querying single events".
    if (!flag(query, 'singleEvents'))
      throw errors.invalid('The requested ordering is not available for the particular query.', 'orderBy');
    return (e) => e.startMs;
  }
  throw errors.invalid(`Invalid orderBy: ${JSON.stringify(orderBy)} (startTime or updated).`, 'orderBy');
}

function matchesText(event: StoredEvent, terms: string[]): boolean {
  const text = ['summary', 'description', 'location']
    .map((name) => event.fields[name])
    .filter((v): v is string => typeof v === 'string')
    .join('\n')
    .toLowerCase();
  return terms.every((term) => text.includes(term));
}

function extendedMatches(
  event: StoredEvent,
  visibility: 'private' | 'shared',
  wanted: [string, string][],
): boolean {
  const props = (event.fields.extendedProperties as Record<string, Record<string, string>> | undefined)?.[
    visibility
  ];
  return wanted.every(([key, value]) => props?.[key] === value);
}

export function listEvents(calendar: Calendar, query: Query): Record<string, unknown> {
  const timeMinRaw = one(query, 'timeMin');
  const timeMaxRaw = one(query, 'timeMax');
  const timeMin = timeMinRaw === undefined ? undefined : parseTimestamp('timeMin', timeMinRaw);
  const timeMax = timeMaxRaw === undefined ? undefined : parseTimestamp('timeMax', timeMaxRaw);
  if (timeMin !== undefined && timeMax !== undefined && timeMin >= timeMax)
    throw errors.timeRangeEmpty('timeMax');
  const updatedMinRaw = one(query, 'updatedMin');
  const updatedMin = updatedMinRaw === undefined ? undefined : parseTimestamp('updatedMin', updatedMinRaw);
  // "When specified [updatedMin], entries deleted since this time will always be included
  // regardless of showDeleted."
  const showDeleted = flag(query, 'showDeleted') || updatedMin !== undefined;
  const privateWanted = constraints(query, 'privateExtendedProperty');
  const sharedWanted = constraints(query, 'sharedExtendedProperty');
  const iCalUID = one(query, 'iCalUID');
  const terms = (one(query, 'q') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const maxResults = maxResultsOf(query);
  const sortKey = sortKeyOf(query);
  flag(query, 'singleEvents'); // checked for its form; recurring events are not expanded
  const pageToken = one(query, 'pageToken');
  const after = pageToken === undefined ? undefined : decodeCursor(pageToken);

  const matching = [...calendar.events.values()].filter(
    (e) =>
      (showDeleted || e.status !== 'cancelled') &&
      // timeMin bounds the end, timeMax the start, both exclusive.
      (timeMin === undefined || e.endMs > timeMin) &&
      (timeMax === undefined || e.startMs < timeMax) &&
      (updatedMin === undefined || e.updatedMs >= updatedMin) &&
      (iCalUID === undefined || `${e.id}@google.com` === iCalUID) &&
      extendedMatches(e, 'private', privateWanted) &&
      extendedMatches(e, 'shared', sharedWanted) &&
      matchesText(e, terms),
  );
  const keyed = matching
    .map((e) => ({ e, key: sortKey(e) }))
    .sort((a, b) => a.key - b.key || a.e.order - b.e.order)
    .filter(({ e, key }) => !after || key > after.key || (key === after.key && e.order > after.order));

  const page = keyed.slice(0, maxResults);
  const last = page.at(-1);
  const { etag, summary, timeZone } = renderCalendar(calendar);
  return {
    kind: 'calendar#events',
    etag,
    summary,
    updated: new Date(calendar.updatedMs).toISOString(),
    timeZone,
    accessRole: 'owner',
    defaultReminders: [],
    ...(keyed.length > maxResults && last
      ? { nextPageToken: encodeCursor({ key: last.key, order: last.e.order }) }
      : {}),
    items: page.map(({ e }) => renderEvent(calendar, e)),
  };
}
