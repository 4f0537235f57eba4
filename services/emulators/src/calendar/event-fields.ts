/**
 * The writable fields of an Event resource
 * (https://developers.google.com/workspace/calendar/api/v3/reference/events#resource), their checks,
 * and the patch merge. Read-only fields a client sends back (kind, etag, created, updated, creator,
 * htmlLink, ...) are ignored, as Google ignores them; so are names the resource does not have.
 */
import { errors } from './errors.ts';

export type Fields = Record<string, unknown>;

const STRING_FIELDS = ['summary', 'description', 'location', 'colorId'] as const;
const ENUM_FIELDS: Readonly<Record<string, readonly string[]>> = {
  status: ['confirmed', 'tentative', 'cancelled'],
  transparency: ['opaque', 'transparent'],
  visibility: ['default', 'public', 'private', 'confidential'],
};
/** Kept as sent: the emulator has no behaviour tied to them, but a round trip must not lose them. */
const KEPT_AS_SENT = [
  'attendees',
  'recurrence',
  'reminders',
  'source',
  'attachments',
  'conferenceData',
  'guestsCanInviteOthers',
  'guestsCanModify',
  'guestsCanSeeOtherGuests',
  'anyoneCanAddSelf',
  'endTimeUnspecified',
  'eventType',
  'locked',
];
const WRITABLE = new Set<string>([
  ...STRING_FIELDS,
  ...Object.keys(ENUM_FIELDS),
  ...KEPT_AS_SENT,
  'start',
  'end',
  'extendedProperties',
  'sequence',
]);

/**
 * The extended-properties guide
 * (https://developers.google.com/workspace/calendar/api/guides/extended-properties#limits): keys over
 * 44 characters are silently dropped, values over 1024 characters silently truncated, and an event
 * holds at most 300 properties of at most 32 kB in all (keys and values). The guide names no error for
 * going over the last two; this answers 400 invalid naming the limit.
 */
export const EXTENDED_LIMITS = { keyChars: 44, valueChars: 1024, properties: 300, totalBytes: 32 * 1024 };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function extendedProperties(raw: unknown): Fields | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw))
    throw errors.invalid('Invalid extendedProperties: expected { private?: {...}, shared?: {...} }.');
  const out: Record<string, Record<string, string>> = {};
  let count = 0;
  let bytes = 0;
  for (const visibility of ['private', 'shared'] as const) {
    const map = raw[visibility];
    if (map === undefined || map === null) continue;
    if (!isObject(map))
      throw errors.invalid(`Invalid extendedProperties.${visibility}: expected an object of string values.`);
    const kept: Record<string, string> = {};
    for (const [key, value] of Object.entries(map)) {
      if (value === null) continue; // a patch's "delete this key"; in a full resource, nothing to keep
      if (typeof value !== 'string')
        throw errors.invalid(`Invalid extendedProperties.${visibility}.${key}: values must be strings.`);
      if (key.length > EXTENDED_LIMITS.keyChars) continue;
      const kept1 = value.slice(0, EXTENDED_LIMITS.valueChars);
      kept[key] = kept1;
      count += 1;
      bytes += Buffer.byteLength(key) + Buffer.byteLength(kept1);
    }
    if (Object.keys(kept).length) out[visibility] = kept;
  }
  if (count > EXTENDED_LIMITS.properties)
    throw errors.invalid(
      `Invalid extendedProperties: ${count} properties, an event may hold at most ${EXTENDED_LIMITS.properties}.`,
    );
  if (bytes > EXTENDED_LIMITS.totalBytes)
    throw errors.invalid(
      `Invalid extendedProperties: ${bytes} bytes of keys and values, an event may hold at most ${EXTENDED_LIMITS.totalBytes}.`,
    );
  return Object.keys(out).length ? out : undefined;
}

/** The writable fields of `body`, checked; start/end stay raw here (event-time.ts resolves them). */
export function writableFields(body: unknown): Fields {
  if (!isObject(body))
    throw errors.invalid('Invalid request body: expected an Event resource (a JSON object).');
  const out: Fields = {};
  for (const [name, value] of Object.entries(body)) {
    if (!WRITABLE.has(name) || value === null || value === undefined) continue;
    if ((STRING_FIELDS as readonly string[]).includes(name) && typeof value !== 'string')
      throw errors.invalid(`Invalid value for ${name}: expected a string.`);
    const allowed = ENUM_FIELDS[name];
    if (allowed && (typeof value !== 'string' || !allowed.includes(value)))
      throw errors.invalid(
        `Invalid value for ${name}: ${JSON.stringify(value)} (one of ${allowed.join(', ')}).`,
      );
    if (name === 'sequence' && (typeof value !== 'number' || !Number.isInteger(value) || value < 0))
      throw errors.invalid(`Invalid value for sequence: ${JSON.stringify(value)} (a non-negative integer).`);
    if (name === 'extendedProperties') {
      const props = extendedProperties(value);
      if (props) out[name] = props;
      continue;
    }
    out[name] = value;
  }
  return out;
}

/**
 * Patch semantics (https://developers.google.com/workspace/calendar/api/v3/reference/events/patch and
 * the extended-properties guide): objects merge key by key, a null removes, arrays and scalars
 * replace. start/end are the exception: giving `date` drops the stored `dateTime` and the reverse,
 * or an all-day event could never become a timed one by patch.
 */
export function mergePatch(current: Fields, patch: Fields): Fields {
  const out: Fields = { ...current };
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[name];
      continue;
    }
    const before = out[name];
    if (isObject(value) && isObject(before)) {
      const base = { ...before };
      if ((name === 'start' || name === 'end') && ('date' in value || 'dateTime' in value)) {
        delete base.date;
        delete base.dateTime;
      }
      out[name] = mergePatch(base, value);
    } else {
      out[name] = value;
    }
  }
  return out;
}
