import { z } from 'zod';
import { MAPPING_ERROR } from '@cdc/core';
import { parseTemplateString } from '../fhir/mapping/template.ts';
import { isTimeZone } from '../fhir/mapping/time-zone.ts';
import { OUR_PREFIX, PROPERTY_KEY_MAX } from './property-limits.ts';

/**
 * The YAML of one table's event template: texts with `{field}` placeholders (the FHIR sink's
 * template syntax and formats, fhir/mapping/template.ts), the start and end from fields, and
 * extended properties.
 */

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/u;

const fieldName = z
  .string({ error: 'must be a column name' })
  .regex(FIELD_NAME, 'must be a column name (letters, digits and _, not starting with a digit)');

/** A text template; `{field|code:...}` makes a FHIR Coding, which no event field holds. */
const textTemplate = (example: string) =>
  z.string({ error: `must be text, such as '${example}'` }).check((ctx) => {
    const parsed = parseTemplateString(ctx.value);
    const problem =
      typeof parsed === 'string'
        ? parsed
        : parsed.kind === 'placeholders' &&
            parsed.placeholders.find((placeholder) => placeholder.format?.name === 'code')
          ? 'code:<table> formats make FHIR Codings; an event holds text: use {field} or {field|string}'
          : undefined;
    if (problem !== undefined) ctx.issues.push({ code: 'custom', input: ctx.value, message: problem });
  });

export const TIME_TYPES = ['timestamptz', 'timestamp', 'date'] as const;
export type TimeType = (typeof TIME_TYPES)[number];

const timeType = z
  .enum(TIME_TYPES, { error: `must be one of ${TIME_TYPES.join(', ')}` })
  .describe(
    "The column's type: timestamptz (an instant, shown at its local time in time_zone), timestamp " +
      '(a wall-clock time of time_zone) or date (an all-day event); default timestamptz',
  );

// RFC 3339 as Calendar takes it: a date, or a date-time with Z or an offset.
const DATE_TEXT = /^\d{4}-\d{2}-\d{2}$/u;
const DATE_TIME_TEXT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/u;

const fixedTime = z
  .string({ error: "must be a date or a date-time, such as '2025-03-30' or '2025-03-30T09:00:00Z'" })
  .refine(
    (text) =>
      (DATE_TEXT.test(text) || DATE_TIME_TEXT.test(text)) &&
      !Number.isNaN(Date.parse(DATE_TEXT.test(text) ? `${text}T00:00:00Z` : text)),
    {
      error:
        "must be a date or a date-time with Z or an offset, such as '2025-03-30' or '2025-03-30T09:00:00Z'",
    },
  );

/** Exactly one of `names` is set in `value`; otherwise an issue naming them. */
function oneOf(names: readonly string[], example: string) {
  return (ctx: z.core.ParsePayload<Record<string, unknown>>) => {
    const given = names.filter((name) => ctx.value[name] !== undefined);
    if (given.length === 1) return;
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message:
        given.length === 0
          ? `must set one of ${names.join(', ')}, such as ${example}`
          : `sets ${given.join(' and ')}: set only one of ${names.join(', ')}`,
    });
  };
}

const startSchema = z
  .strictObject(
    {
      field: fieldName.optional().describe('The column holding the start, such as starts_at'),
      type: timeType.optional(),
      value: fixedTime.optional().describe('A fixed start for every row (a date or a date-time)'),
    },
    MAPPING_ERROR,
  )
  .check(oneOf(['field', 'value'], '{ field: starts_at }'))
  .describe('When the event starts: { field: <column>, type? } or { value: <fixed date-time> }');

const endSchema = z
  .strictObject(
    {
      field: fieldName.optional().describe('The column holding the end, such as ends_at'),
      type: timeType.optional().describe("The end column's type; default the start's"),
      value: fixedTime.optional().describe('A fixed end (a date or a date-time)'),
      minutes: z
        .int('must be a whole number of minutes')
        .min(1, 'must be at least 1')
        .optional()
        .describe('The event lasts this many minutes'),
      minutes_field: fieldName.optional().describe('The column holding how many minutes the event lasts'),
      days: z
        .int('must be a whole number of days')
        .min(1, 'must be at least 1')
        .optional()
        .describe('An all-day event lasts this many days'),
    },
    MAPPING_ERROR,
  )
  .check(oneOf(['field', 'value', 'minutes', 'minutes_field', 'days'], '{ minutes: 30 }'))
  .describe(
    'When the event ends: { field: <column> }, { minutes: N }, { minutes_field: <column> }, ' +
      '{ days: N } for all-day events, or { value: <fixed date-time> }; all-day ends are exclusive (Calendar’s rule)',
  );

const propertyName = z.string().min(1).max(PROPERTY_KEY_MAX);

const propertiesSchema = (which: 'shared' | 'private') =>
  z
    .record(propertyName, textTemplate('{visits}'), {
      error: (issue) =>
        issue.code === 'invalid_type'
          ? 'must be a mapping of property names to text templates'
          : issue.code === 'invalid_key'
            ? `property names must be 1 to ${PROPERTY_KEY_MAX} characters (Calendar drops longer keys)`
            : undefined,
    })
    .check((ctx) => {
      if (which !== 'private') return;
      for (const name of Object.keys(ctx.value)) {
        if (!name.startsWith(OUR_PREFIX)) continue;
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          path: [name],
          message: `private properties starting with ${OUR_PREFIX} are the sink's own bookkeeping; rename it`,
        });
      }
    })
    .optional()
    .describe(
      `${which === 'shared' ? 'Shared' : 'Private'} extended properties of the event: name -> text template, ` +
        `such as { visits: '{visits}' } (${which === 'shared' ? 'seen by every attendee’s copy' : 'seen through this calendar only'})`,
    );

const isAllDay = (spec: { type?: TimeType | undefined; value?: string | undefined }) =>
  spec.type === 'date' || (spec.value !== undefined && DATE_TEXT.test(spec.value));

/** How the rows of one table become events. */
export const eventTemplateSchema = z
  .strictObject(
    {
      summary: textTemplate('Appointment: {patient_name}').describe(
        "The event's title, a template such as 'Appointment: {patient_name}'",
      ),
      description: textTemplate('{notes}').optional().describe('The event’s description, a template'),
      location: textTemplate('{room}').optional().describe('The event’s location, a template'),
      start: startSchema,
      end: endSchema,
      time_zone: z
        .string({ error: 'must be an IANA time zone such as Europe/Paris or UTC' })
        .refine(isTimeZone, { error: 'must be an IANA time zone such as Europe/Paris or UTC' })
        .optional()
        .describe("This table's zone, when it is not the sink's time_zone"),
      shared: propertiesSchema('shared'),
      private: propertiesSchema('private'),
    },
    MAPPING_ERROR,
  )
  .check((ctx) => {
    const { start, end } = ctx.value;
    const allDay = isAllDay(start);
    const push = (path: string[], message: string) =>
      ctx.issues.push({ code: 'custom', input: ctx.value, path, message });
    if (allDay && (end.minutes !== undefined || end.minutes_field !== undefined)) {
      push(
        ['end'],
        'an all-day event (start type date) ends on a date: set end.field, end.days or end.value',
      );
    }
    if (!allDay && end.days !== undefined) {
      push(['end', 'days'], 'days is for all-day events (start type date); use minutes or minutes_field');
    }
    const endAllDay =
      end.field !== undefined
        ? (end.type ?? start.type) === 'date'
        : end.value !== undefined && isAllDay(end);
    if ((end.field !== undefined || end.value !== undefined) && endAllDay !== allDay) {
      push(['end'], 'the start and the end must both be dates (all-day) or both times');
    }
  })
  .describe('How the rows of one table become events of the calendar');

export type EventTemplateConfig = z.output<typeof eventTemplateSchema>;
