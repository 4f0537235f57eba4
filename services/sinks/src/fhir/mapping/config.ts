import { z } from 'zod';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { MAPPING_ERROR, parseKeyTemplate } from '@cdc/core';
import { onDeleteDefault } from './on-delete.ts';
import { isR4ResourceType, r4ResourceTypeLike, topLevelElements } from './r4-definitions.ts';
import { compileTemplate, placeholdersOf, type TemplateIssue } from './template.ts';
import { isTimeZone } from './time-zone.ts';
import { validateFhirResource } from './validate.ts';

/**
 * The YAML of the FHIR mapping: one topic's rows as resources of one type (fhirResourceMappingSchema),
 * the sink's code tables (fhirCodeTablesSchema) and the zone of its `timestamp` columns.
 */

/** A record's error: a scalar where a mapping belongs gets plain words; its keys keep their own. */
const mappingOf = (what: string, badKey?: string) => ({
  error: (issue: { code: string }) =>
    issue.code === 'invalid_type'
      ? `must be a mapping of ${what}`
      : issue.code === 'invalid_key'
        ? badKey
        : undefined,
});

const URI_ERROR = 'must be an absolute URI such as https://example.org/fhir/patient-id or urn:oid:1.2.3';

const uriSetting = z
  .string({ error: URI_ERROR })
  .refine((text) => !/\s/u.test(text) && URL.canParse(text), { error: URI_ERROR });

// FHIR's code: no whitespace at either end, single spaces inside.
const codeSetting = z
  .string({ error: "must be a code as text (quote numbers: '208')" })
  .regex(/^\S+( \S+)*$/u, 'must be a code: no spaces at either end, single spaces inside');

const codedValue = z.union(
  [
    codeSetting,
    z.strictObject(
      {
        code: codeSetting.describe('The code'),
        display: z
          .string({ error: 'must be text' })
          .min(1, 'must not be empty')
          .optional()
          .describe('Its display text'),
      },
      MAPPING_ERROR,
    ),
  ],
  { error: "must be a code as text (quote numbers: '208') or { code, display }" },
);

const codeTableSchema = z
  .strictObject(
    {
      system: uriSetting.describe('The code system of the codes, e.g. http://hl7.org/fhir/sid/cvx'),
      values: z
        .record(z.string(), codedValue, mappingOf('source values to codes'))
        .refine((values) => Object.keys(values).length > 0, { error: 'must map at least one source value' })
        .describe(
          "Source value (as text) -> its code, or { code, display }, e.g. { pfizer_covid: { code: '208', display: ... } }",
        ),
    },
    MAPPING_ERROR,
  )
  .describe('One code table: what {field|code:<table>} turns a source value into');

/** The sink's `codes:`: tables that `{field|code:<table>}` placeholders look values up in. */
export const fhirCodeTablesSchema = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/u),
    codeTableSchema,
    mappingOf('table names to { system, values }', 'is not a table name: letters, digits, _ and - only'),
  )
  .describe(
    'Code tables by name: a source value -> a Coding { system, code, display } (placeholder {field|code:<name>})',
  );

/** The sink's `time_zone`: the zone `timestamp` columns (without zone) were written in. */
export const timeZoneSetting = z
  .string({ error: 'must be an IANA time zone such as Europe/Paris or UTC' })
  .refine(isTimeZone, { error: 'must be an IANA time zone such as Europe/Paris or UTC' })
  .default('UTC')
  .describe(
    'IANA zone of the wall clock in timestamp columns without zone (read by the :local formats, e.g. ' +
      "{given_at|dateTime:local} -> 2021-03-04T10:00:00+01:00), and of a timestamptz's date ({at|date}); default UTC",
  );

const identifierSchema = z
  .strictObject(
    {
      system: uriSetting.describe(
        'Namespace of the identifier values, e.g. https://ministry.example.org/immunization-id',
      ),
      value: z
        .string({ error: "must be a template such as 'imm-{id}'" })
        .check((ctx) => {
          const parsed = parseKeyTemplate(ctx.value, {
            placeholder: 'a primary key column name',
            noField:
              "must name at least one primary key column, such as 'imm-{id}' (else all rows are one resource)",
          });
          if (typeof parsed === 'string') {
            ctx.issues.push({ code: 'custom', input: ctx.value, message: parsed });
          }
        })
        .describe(
          "The identifier value: text with {column} placeholders of the row's primary key, e.g. 'imm-{id}'",
        ),
    },
    MAPPING_ERROR,
  )
  .describe(
    'The business identifier the sink finds and writes the resource by (identifier [{ system, value }])',
  );

/** Elements the sink sets itself, and what to write instead. */
const OWNED: Readonly<Record<string, string>> = {
  resourceType: 'the sink sets resourceType from type:; remove it here',
  identifier: 'the sink sets identifier from the identifier: setting ({ system, value }); remove it here',
  id: 'the FHIR server assigns id (the sink finds resources by identifier); remove it here',
  meta: 'the FHIR server keeps meta (versionId, lastUpdated); remove it here',
};

type Push = (path: readonly PropertyKey[], message: string) => void;

function pusher(ctx: z.core.ParsePayload<unknown>): Push {
  return (path, message) => ctx.issues.push({ code: 'custom', input: ctx.value, path: [...path], message });
}

/** Top-level elements as JSON; what each setting allows of them is checked by `check`. */
const elementsSetting = (
  what: string,
  check: (elements: Record<string, z.core.util.JSONType>, push: Push) => void,
) => z.record(z.string(), z.json(), mappingOf(what)).check((ctx) => check(ctx.value, pusher(ctx)));

function checkOwned(elements: Record<string, unknown>, push: Push): void {
  for (const name of Object.keys(elements)) {
    const owned = OWNED[name];
    if (owned) push([name], owned);
  }
}

function checkTemplate(resource: Record<string, unknown>, push: Push): void {
  checkOwned(resource, push);
  const issues: TemplateIssue[] = [];
  compileTemplate(resource, [], issues);
  for (const issue of issues) push(issue.path, issue.message);
}

function checkConstants(onDelete: Record<string, unknown>, push: Push): void {
  if (Object.keys(onDelete).length === 0) {
    push([], 'must set at least one element, e.g. { status: entered-in-error }');
  }
  checkOwned(onDelete, push);
  for (const [name, json] of Object.entries(onDelete)) {
    if (!placeholdersOf(compileTemplate(json, [], [])).next().done) {
      push([name], 'on_delete sets constants: a deleted row has no fields to fill placeholders from');
    }
  }
}

/** The names of `elements` that `type` has (the sink's own are refused by checkOwned). */
function checkElementNames(
  type: string,
  elements: Record<string, unknown>,
  at: string,
  push: Push,
): string[] {
  const known = topLevelElements(type);
  const usable: string[] = [];
  for (const name of Object.keys(elements)) {
    if (OWNED[name]) continue;
    if (known.has(name.startsWith('_') ? name.slice(1) : name)) usable.push(name);
    else push([at, name], `${type} has no element ${name}`);
  }
  return usable;
}

function checkOnDelete(type: string, onDelete: Record<string, unknown> | undefined, push: Push): void {
  if (onDelete === undefined) {
    if (!onDeleteDefault(type)) {
      push(
        ['on_delete'],
        `${type} has no default for deleted rows; set on_delete to the elements that mark its resource ` +
          'deleted, e.g. { status: entered-in-error } or { active: false }',
      );
    }
    return;
  }
  const usable = checkElementNames(type, onDelete, 'on_delete', push);
  if (usable.length === 0) return;
  // Checked as a resource of these elements alone: only what is said about them counts.
  const partial = { resourceType: type, ...Object.fromEntries(usable.map((name) => [name, onDelete[name]])) };
  const outcome = validateFhirResource(partial)?.outcome as OperationOutcome | undefined;
  for (const issue of outcome?.issue ?? []) {
    const where = issue.expression?.[0] ?? '';
    const name = usable.find((element) => {
      const path = `${type}.${element}`;
      return where === path || where.startsWith(`${path}.`) || where.startsWith(`${path}[`);
    });
    if (name) push(['on_delete', name], `${where}: ${issue.details?.text ?? issue.code}`);
  }
}

/** One topic's rows as FHIR resources of one type. */
export const fhirResourceMappingSchema = z
  .strictObject(
    {
      type: z
        .string({ error: 'must be a FHIR R4 resource type such as Patient' })
        .check((ctx) => {
          if (isR4ResourceType(ctx.value)) return;
          const like = r4ResourceTypeLike(ctx.value);
          pusher(ctx)(
            [],
            `${ctx.value} is not a FHIR R4 resource type; ` +
              (like
                ? `write ${like}`
                : 'write one such as Patient, Immunization, Observation or Appointment'),
          );
        })
        .describe('FHIR R4 resource type the rows become, e.g. Patient or Immunization'),
      identifier: identifierSchema,
      resource: elementsSetting('the elements of the resource', checkTemplate).describe(
        'The resource as a template, without resourceType, identifier, id and meta: strings hold ' +
          "{field} (the row value, its JSON type kept) or {field|format} placeholders, e.g. '{given_at|dateTime}'; " +
          'an element whose fields are null is left out',
      ),
      on_delete: elementsSetting('elements to set', checkConstants)
        .optional()
        .describe(
          'Top-level elements set on the resource when its row is deleted, e.g. { status: entered-in-error }; ' +
            'default: { active: false } for Patient, Practitioner, PractitionerRole, Organization; ' +
            'entered-in-error status for Immunization, Observation, Encounter, Medication; Location inactive; ' +
            'Appointment cancelled',
        ),
    },
    MAPPING_ERROR,
  )
  // Runs once every setting is valid on its own: the elements a type has, and its delete marker.
  .check((ctx) => {
    const { type, resource, on_delete: onDelete } = ctx.value;
    const push = pusher(ctx);
    checkElementNames(type, resource, 'resource', push);
    checkOnDelete(type, onDelete, push);
  })
  .describe('How the rows of one topic become FHIR resources of one type');

export type FhirResourceMappingConfig = z.output<typeof fhirResourceMappingSchema>;
export type FhirCodeTables = z.output<typeof fhirCodeTablesSchema>;

/**
 * The `{field|code:<table>}` placeholders of a mapping that name no table of `codes`, with their
 * path from the mapping: the sink entry, which holds both, reports them (the mapping alone cannot).
 */
export function codeTableIssues(mapping: FhirResourceMappingConfig, codes: FhirCodeTables): TemplateIssue[] {
  const template = compileTemplate(mapping.resource, [], []);
  const known = Object.keys(codes);
  const issues: TemplateIssue[] = [];
  for (const { placeholder, path } of placeholdersOf(template)) {
    const format = placeholder.format;
    if (format?.name !== 'code' || Object.hasOwn(codes, format.table)) continue;
    issues.push({
      path: ['resource', ...path],
      message:
        `${placeholder.source}: there is no code table ${format.table} under codes ` +
        `(${known.length > 0 ? `tables: ${known.join(', ')}` : 'none defined'}); add it there or correct the name`,
    });
  }
  return issues;
}
