import { z } from 'zod';
import { MAPPING_ERROR, parseKeyTemplate } from '@cdc/core';
import { isTimeZone } from '../fhir/mapping/time-zone.ts';

/**
 * The `properties:` of one mapped table: for each Notion property, the row field (or text
 * template) it shows and the property's type, with that type's options. The types are the ones
 * a row value can become without Notion's help (https://developers.notion.com/reference/page-property-values);
 * formulas, rollups, people and files are Notion's own.
 */

export const NOTION_PROPERTY_TYPES = [
  'title',
  'rich_text',
  'number',
  'date',
  'select',
  'multi_select',
  'checkbox',
  'email',
  'phone_number',
  'url',
  'relation',
] as const;
export type NotionPropertyType = (typeof NOTION_PROPERTY_TYPES)[number];

/** A source table as `<schema>.<table>`, the key of its mapping. */
export const tableNameSetting = z
  .string({ error: 'must be a source table as <schema>.<table>, such as public.patients' })
  .regex(/^[^.\s]+\.[^.\s]+$/u, 'must be a source table as <schema>.<table>, such as public.patients');

// What a column name can be in Avro (and so in a row).
const fieldSetting = z
  .string({ error: 'must be the name of a row field, such as email' })
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/u,
    'must be the name of a row field (letters, digits and _), such as email',
  )
  .describe('The row field whose value the property shows');

/** `{first} {last}`: text made of row fields, as Redis keys are (core's key templates). */
export const textTemplateSetting = z
  .string({ error: "must be text with {field} placeholders, such as '{first} {last}'" })
  .check((ctx) => {
    const parsed = parseKeyTemplate(ctx.value, {
      placeholder: 'a row field',
      noField: "names no field; write {field} placeholders, such as '{first} {last}'",
    });
    if (typeof parsed === 'string') ctx.issues.push({ code: 'custom', input: ctx.value, message: parsed });
  });

const templateSetting = textTemplateSetting.describe(
  "Text made of row fields instead of one field, such as '{first} {last}' (null fields make empty text)",
);

const separatorSetting = z
  .string({ error: 'must be text, such as ,' })
  .min(1, 'must not be empty')
  .describe('Splits a text value into several; an array column needs none');

const common = { field: fieldSetting.optional() };

const typeSetting = <T extends NotionPropertyType>(type: T) =>
  z.literal(type).describe("The property's type in the data source (checked at start)");

const textProperty = (type: 'title' | 'rich_text') =>
  z.strictObject(
    {
      type: typeSetting(type),
      ...common,
      template: templateSetting.optional(),
    },
    MAPPING_ERROR,
  );

const plainProperty = <T extends NotionPropertyType>(type: T) =>
  z.strictObject({ type: typeSetting(type), ...common }, MAPPING_ERROR);

const dateProperty = z.strictObject(
  {
    type: typeSetting('date'),
    ...common,
    time_zone: z
      .string({ error: 'must be an IANA time zone such as Europe/Paris or UTC' })
      .refine(isTimeZone, { error: 'must be an IANA time zone such as Europe/Paris or UTC' })
      .optional()
      .describe(
        'IANA zone the time is shown in: Notion gets the wall clock of this zone and the zone ' +
          "(a timestamp column without zone is that zone's wall clock, see local); default: the instant in UTC",
      ),
    local: z
      .boolean({ error: 'must be true or false' })
      .default(false)
      .describe(
        'The column is a timestamp without time zone: its value is the wall clock of time_zone (default UTC), not an instant',
      ),
    date_only: z
      .boolean({ error: 'must be true or false' })
      .default(false)
      .describe("Write only the date (of time_zone for a timestamp), no time of day: Notion's all-day date"),
  },
  MAPPING_ERROR,
);

const multiSelectProperty = z.strictObject(
  {
    type: typeSetting('multi_select'),
    ...common,
    separator: separatorSetting
      .default(',')
      .describe(
        'Splits a text value into option names (default ,); an array column gives one option per element',
      ),
  },
  MAPPING_ERROR,
);

const relationProperty = z.strictObject(
  {
    type: typeSetting('relation'),
    ...common,
    template: templateSetting.optional(),
    table: tableNameSetting
      .optional()
      .describe(
        'The value is the key (key template) of a row of this other mapped table: the relation points at its page. ' +
          'Without it the value is Notion page ids',
      ),
    separator: separatorSetting
      .default(',')
      .describe('Splits a text value into several keys or page ids (default ,); an array column needs none'),
  },
  MAPPING_ERROR,
);

const TYPES_TEXT = NOTION_PROPERTY_TYPES.join(', ');
const TAKES_TEMPLATE: ReadonlySet<NotionPropertyType> = new Set(['title', 'rich_text', 'relation']);

export const notionPropertySchema = z
  .discriminatedUnion(
    'type',
    [
      textProperty('title'),
      textProperty('rich_text'),
      plainProperty('number'),
      dateProperty,
      plainProperty('select'),
      multiSelectProperty,
      plainProperty('checkbox'),
      plainProperty('email'),
      plainProperty('phone_number'),
      plainProperty('url'),
      relationProperty,
    ],
    {
      error: (issue) =>
        issue.code === 'invalid_union'
          ? `must be one of ${TYPES_TEXT}`
          : 'must be { field: <row field>, type: <Notion property type> }, such as { field: email, type: email }',
    },
  )
  .check((ctx) => {
    const { field, template } = ctx.value as { field?: string; template?: string };
    if ((field === undefined) === (template === undefined)) {
      const takesTemplate = TAKES_TEMPLATE.has(ctx.value.type);
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: ['field'],
        message: takesTemplate
          ? field === undefined
            ? 'needs field (a row field) or template (text of row fields)'
            : 'takes field or template, not both'
          : 'needs field: the row field whose value the property shows',
      });
    }
  })
  .describe(
    `A Notion property the sink writes: { field, type } (type one of ${TYPES_TEXT}) and the type's options`,
  );

export type NotionPropertyConfig = z.output<typeof notionPropertySchema>;
