import { CdcError, type SinkRow } from '@cdc/core';
import type { FormatContext } from '../fhir/mapping/formats.ts';
import {
  TemplateFailure,
  compileTemplate,
  fillTemplate,
  parseTemplateString,
  placeholdersOf,
  type TemplateIssue,
  type TemplateNode,
} from '../fhir/mapping/template.ts';
import type { MappingFailure } from '../fhir/mapping/types.ts';
import { ValueProblem, shown } from '../fhir/mapping/value-problem.ts';
import {
  eventTime,
  fixedPoint,
  minutesBetween,
  plusDays,
  plusMinutes,
  readTime,
  timeValue,
  type EventTime,
  type TimePoint,
} from './event-times.ts';
import type { EventTemplateConfig, TimeType } from './template-config.ts';

/**
 * One table's template, compiled once. A row fills the *places* of an event the template names:
 * `summary`, `description`, `location`, `start`, `end`, `shared.<key>` and `private.<key>`
 * (extended properties). A place whose value comes out empty is cleared (null).
 */
export type PlaceValue = string | EventTime;
export type PlaceValues = Readonly<Record<string, PlaceValue | null>>;

export interface MappedEvent {
  readonly values: PlaceValues;
  /** Places whose template reads a field PostgreSQL did not send (unchanged TOAST): the calendar's value stays. */
  readonly keep: readonly string[];
}

export interface EventMapping {
  /** `<schema>.<table>`. */
  readonly table: string;
  /** The zone events are shown in (and of `timestamp` columns). */
  readonly zone: string;
  /** Every place the template writes. */
  readonly places: readonly string[];
  map(row: SinkRow, unchanged: readonly string[]): MappedEvent | MappingFailure;
  /** The template's places as an event holds them (what someone may have edited in Calendar). */
  placesOf(event: CalendarEventLike): PlaceValues;
  /**
   * The row fields that a place holds whole (`summary: '{name}'`, `start.field`, the minutes
   * between start and end of `end.minutes_field`), read back from places; null where empty.
   */
  readFields(values: PlaceValues): Record<string, unknown>;
  /** Where a readable field lives (merge copies that place from the calendar's event). */
  placeOf(field: string): string | undefined;
}

/** The parts of an event the mapping reads. */
export interface CalendarEventLike {
  readonly summary?: string | null;
  readonly description?: string | null;
  readonly location?: string | null;
  readonly start?: unknown;
  readonly end?: unknown;
  readonly extendedProperties?: {
    readonly private?: Readonly<Record<string, string>> | null;
    readonly shared?: Readonly<Record<string, string>> | null;
  } | null;
}

const TEXT_PLACES = ['summary', 'description', 'location'] as const;

interface TextPlace {
  readonly place: string;
  readonly node: TemplateNode;
  readonly fields: ReadonlySet<string>;
  /** The field a whole-placeholder template holds as it is. */
  readonly whole?: string;
}

function textPlace(place: string, template: string, issues: TemplateIssue[]): TextPlace {
  const node = compileTemplate(template, [place], issues);
  const fields = new Set([...placeholdersOf(node)].map(({ placeholder }) => placeholder.field));
  const parsed = parseTemplateString(template);
  const whole =
    typeof parsed !== 'string' &&
    parsed.kind === 'placeholders' &&
    parsed.placeholders.length === 1 &&
    parsed.literals.every((literal) => literal === '')
      ? parsed.placeholders[0]?.field
      : undefined;
  return { place, node, fields, ...(whole === undefined ? {} : { whole }) };
}

function asText(value: unknown, place: string, field: string | undefined): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const what = Array.isArray(value) ? `a list (${shown(value)})` : shown(value);
  throw new TemplateFailure(
    `${field ? `field ${field}: ` : ''}${what} cannot be the text of ${place}`,
    field ?? place,
  );
}

function propertyOf(event: CalendarEventLike, place: string): string | null {
  const dot = place.indexOf('.');
  const which = place.slice(0, dot) as 'shared' | 'private';
  return event.extendedProperties?.[which]?.[place.slice(dot + 1)] ?? null;
}

function eventTimeOf(value: unknown): EventTime | null {
  if (!value || typeof value !== 'object') return null;
  const { dateTime, timeZone, date } = value as Record<string, unknown>;
  if (typeof dateTime === 'string')
    return { dateTime, timeZone: typeof timeZone === 'string' ? timeZone : '' };
  return typeof date === 'string' ? { date } : null;
}

/** A time field of the row, or a failure naming it. */
function timeField(row: SinkRow, field: string, type: TimeType, zone: string, what: string): TimePoint {
  const value = row[field];
  if (value === null || value === undefined) {
    throw new TemplateFailure(`field ${field} is null: an event needs ${what}`, field);
  }
  try {
    return readTime(value, type, zone);
  } catch (problem) {
    if (problem instanceof ValueProblem)
      throw new TemplateFailure(`field ${field}: ${problem.message} (${what})`, field);
    throw problem;
  }
}

function minutesOf(row: SinkRow, field: string): number {
  const value = row[field];
  const minutes = typeof value === 'bigint' ? Number(value) : value;
  if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 0) {
    const problem =
      value === null || value === undefined ? 'is null' : `is ${shown(value)}, not a whole number of minutes`;
    throw new TemplateFailure(
      `field ${field} ${problem}: the event's end is its start plus these minutes`,
      field,
    );
  }
  return minutes;
}

/** Compiles a template the schema accepted (template-config.ts) for the rows of `table`. */
export function compileEventMapping(
  table: string,
  config: EventTemplateConfig,
  sinkZone: string,
): EventMapping {
  const zone = config.time_zone ?? sinkZone;
  const issues: TemplateIssue[] = [];
  const texts: TextPlace[] = [];
  for (const place of TEXT_PLACES) {
    const template = config[place];
    if (template !== undefined) texts.push(textPlace(place, template, issues));
  }
  for (const which of ['shared', 'private'] as const) {
    for (const [key, template] of Object.entries(config[which] ?? {})) {
      texts.push(textPlace(`${which}.${key}`, template, issues));
    }
  }
  if (issues.length > 0) {
    const problems = issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new CdcError('INVALID_CONFIG', `invalid event template of ${table}: ${problems.join('; ')}`, {
      fix: 'check the template with eventTemplateSchema before compiling it',
      details: { problems },
    });
  }
  const context: FormatContext = { zone, codes: {} };
  const { start, end } = config;
  const startType: TimeType = start.type ?? 'timestamptz';

  const startOf = (row: SinkRow): TimePoint =>
    start.field !== undefined
      ? timeField(row, start.field, startType, zone, 'a start (start.field)')
      : fixedPoint(start.value as string);
  const endOf = (row: SinkRow, from: TimePoint): TimePoint => {
    if (end.field !== undefined)
      return timeField(row, end.field, end.type ?? startType, zone, 'an end (end.field)');
    if (end.value !== undefined) return fixedPoint(end.value);
    if (end.minutes !== undefined) return plusMinutes(from, end.minutes);
    if (end.days !== undefined) return plusDays(from, end.days);
    return plusMinutes(from, minutesOf(row, end.minutes_field as string));
  };
  const endFields = new Set([end.field, end.minutes_field].filter((field) => field !== undefined));
  const startFields = new Set(start.field === undefined ? [] : [start.field]);
  // An end counted from the start moves with it.
  const endFollowsStart = end.field === undefined && end.value === undefined;

  const readers = new Map<string, { place: string; read: (values: PlaceValues) => unknown }>();
  const readable = (field: string | undefined, place: string, read: (values: PlaceValues) => unknown) => {
    if (field !== undefined && !readers.has(field)) readers.set(field, { place, read });
  };
  for (const text of texts) readable(text.whole, text.place, (values) => values[text.place] ?? null);
  readable(start.field, 'start', (values) => timeValue(values.start));
  readable(end.field, 'end', (values) => timeValue(values.end));
  readable(end.minutes_field, 'end', (values) => minutesBetween(values.start, values.end));

  const places = [...texts.map((text) => text.place), 'start', 'end'];

  return {
    table,
    zone,
    places,
    map(row, unchanged) {
      const isUnchanged = (fields: ReadonlySet<string>) => unchanged.some((field) => fields.has(field));
      const values: Record<string, PlaceValue | null> = {};
      const keep: string[] = [];
      try {
        for (const text of texts) {
          if (isUnchanged(text.fields)) keep.push(text.place);
          else values[text.place] = asText(fillTemplate(text.node, row, context), text.place, text.whole);
        }
        const startKept = isUnchanged(startFields);
        const from = startOf(row);
        if (startKept) keep.push('start');
        else values.start = eventTime(from, zone);
        if (isUnchanged(endFields) || (startKept && endFollowsStart)) keep.push('end');
        else {
          const to = endOf(row, from);
          values.end = eventTime(to, zone);
        }
      } catch (error) {
        if (error instanceof TemplateFailure) return { reason: error.message, field: error.field };
        if (error instanceof ValueProblem) return { reason: error.message };
        throw error;
      }
      return { values, keep };
    },
    placesOf(event) {
      const values: Record<string, PlaceValue | null> = {};
      for (const place of places) {
        if (place === 'start' || place === 'end') values[place] = eventTimeOf(event[place]);
        else if (place.includes('.')) values[place] = propertyOf(event, place);
        else values[place] = (event[place as (typeof TEXT_PLACES)[number]] ?? null) || null;
      }
      return values;
    },
    readFields: (values) =>
      Object.fromEntries([...readers].map(([field, { read }]) => [field, read(values)])),
    placeOf: (field) => readers.get(field)?.place,
  };
}
