import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAPPING_ERROR, describeIssues } from '@cdc/core';
import {
  codeTableIssues,
  fhirCodeTablesSchema,
  fhirResourceMappingSchema,
  timeZoneSetting,
} from './config.ts';
import { loadR4Definitions } from './r4-definitions.ts';

const immunization = {
  type: 'Immunization',
  identifier: { system: 'https://ministry.example.org/immunization-id', value: 'imm-{id}' },
  resource: {
    status: 'completed',
    vaccineCode: { coding: ['{vaccine|code:cvx}'] },
    patient: { identifier: { system: 'https://ministry.example.org/patient-id', value: '{patient_id}' } },
    occurrenceDateTime: '{given_at|dateTime}',
  },
};

/** What a sink entry holding mappings and code tables looks like to these schemas. */
const entrySchema = z
  .strictObject(
    {
      codes: fhirCodeTablesSchema.default({}),
      time_zone: timeZoneSetting,
      resources: z.record(z.string(), fhirResourceMappingSchema),
    },
    MAPPING_ERROR,
  )
  .check((ctx) => {
    for (const [topic, mapping] of Object.entries(ctx.value.resources)) {
      for (const issue of codeTableIssues(mapping, ctx.value.codes)) {
        ctx.issues.push({
          code: 'custom',
          input: mapping,
          path: ['resources', topic, ...issue.path],
          message: issue.message,
        });
      }
    }
  });

const problems = (input: unknown): string[] => {
  const parsed = entrySchema.safeParse(input);
  return parsed.success ? [] : describeIssues(parsed.error.issues, entrySchema, { prefix: ['sinks'] });
};

const withMapping = (mapping: Record<string, unknown>, rest: Record<string, unknown> = {}) =>
  problems({
    codes: { cvx: { system: 'http://hl7.org/fhir/sid/cvx', values: { pfizer_covid: '208' } } },
    ...rest,
    resources: { 'cdc.public.immunizations': { ...immunization, ...mapping } },
  });

const AT = "sinks.resources['cdc.public.immunizations']";

describe('FHIR mapping config', () => {
  beforeAll(() => void loadR4Definitions(), 60_000);

  it('accepts a mapping and fills its defaults', () => {
    expect(withMapping({})).toEqual([]);
    expect(timeZoneSetting.parse(undefined)).toBe('UTC');
    const parsed = fhirResourceMappingSchema.parse({ ...immunization, on_delete: { status: 'not-done' } });
    expect(parsed.on_delete).toEqual({ status: 'not-done' });
  });

  it('refuses types that are not R4 resources', () => {
    expect(withMapping({ type: 'Vaccination' })).toEqual([
      `${AT}.type: Vaccination is not a FHIR R4 resource type; write one such as Patient, Immunization, Observation or Appointment`,
    ]);
    expect(withMapping({ type: 'immunization' })).toEqual([
      `${AT}.type: immunization is not a FHIR R4 resource type; write Immunization`,
    ]);
    // medplum's own resource types are no FHIR server's.
    expect(withMapping({ type: 'Bot' })[0]).toContain('Bot is not a FHIR R4 resource type');
  });

  it('refuses elements the sink or the server own, and elements the type lacks', () => {
    expect(
      withMapping({
        resource: {
          ...immunization.resource,
          identifier: [{ value: '{id}' }],
          meta: { tag: [] },
          id: '{id}',
        },
      }),
    ).toEqual([
      `${AT}.resource.identifier: the sink sets identifier from the identifier: setting ({ system, value }); remove it here`,
      `${AT}.resource.meta: the FHIR server keeps meta (versionId, lastUpdated); remove it here`,
      `${AT}.resource.id: the FHIR server assigns id (the sink finds resources by identifier); remove it here`,
    ]);
    expect(withMapping({ resource: { resourceType: 'Immunization' } })).toEqual([
      `${AT}.resource.resourceType: the sink sets resourceType from type:; remove it here`,
    ]);
    expect(
      withMapping({
        resource: { ...immunization.resource, occurrence: '{given_at|dateTime}', _lotNumber: {} },
      }),
    ).toEqual([`${AT}.resource.occurrence: Immunization has no element occurrence`]);
  });

  it('says what is wrong with placeholders and code tables', () => {
    expect(withMapping({ resource: { lotNumber: '{lot|text}' } })[0]).toContain(
      `${AT}.resource.lotNumber: {lot|text}: text is not a format; formats: date, dateTime, instant (add :local`,
    );
    expect(withMapping({ resource: { vaccineCode: { coding: ['{vaccine|code:cvz}'] } } })).toEqual([
      `${AT}.resource.vaccineCode.coding[0]: {vaccine|code:cvz}: there is no code table cvz under codes ` +
        '(tables: cvx); add it there or correct the name',
    ]);
    expect(withMapping({ identifier: { system: 'ministry', value: 'imm' } })).toEqual([
      `${AT}.identifier.system: must be an absolute URI such as https://example.org/fhir/patient-id or urn:oid:1.2.3`,
      `${AT}.identifier.value: must name at least one primary key column, such as 'imm-{id}' (else all rows are one resource)`,
    ]);
  });

  it('needs on_delete for types without a default, and checks it', () => {
    expect(withMapping({ type: 'Condition', resource: { onsetDateTime: '{at|dateTime}' } })).toEqual([
      `${AT}.on_delete: Condition has no default for deleted rows; set on_delete to the elements that mark ` +
        'its resource deleted, e.g. { status: entered-in-error } or { active: false }',
    ]);
    expect(withMapping({ on_delete: {} })).toEqual([
      `${AT}.on_delete: must set at least one element, e.g. { status: entered-in-error }`,
    ]);
    expect(withMapping({ on_delete: { statusReason: { text: '{reason}' } } })).toEqual([
      `${AT}.on_delete.statusReason: on_delete sets constants: a deleted row has no fields to fill placeholders from`,
    ]);
    expect(
      withMapping({ on_delete: { status: 'entered-in-error', active: false, isSubpotent: 'yes' } }),
    ).toEqual([
      `${AT}.on_delete.active: Immunization has no element active`,
      `${AT}.on_delete.isSubpotent: Immunization.isSubpotent: Invalid JSON type: expected boolean, but got string`,
    ]);
  });

  it('checks zones and code tables', () => {
    expect(withMapping({}, { time_zone: 'Europe/Pariss' })).toEqual([
      'sinks.time_zone: must be an IANA time zone such as Europe/Paris or UTC',
    ]);
    expect(
      withMapping(
        {},
        {
          codes: {
            cvx: { system: 'cvx', values: { a: 208, b: ' 208' } },
            'bad name': { system: 'http://x.org', values: {} },
          },
        },
      ),
    ).toEqual([
      'sinks.codes.cvx.system: must be an absolute URI such as https://example.org/fhir/patient-id or urn:oid:1.2.3',
      "sinks.codes.cvx.values.a: must be a code as text (quote numbers: '208') or { code, display }",
      'sinks.codes.cvx.values.b: must be a code: no spaces at either end, single spaces inside',
      "sinks.codes['bad name']: is not a table name: letters, digits, _ and - only",
    ]);
    const table = { system: 'http://hl7.org/fhir/sid/cvx', values: { a: { code: '208', label: 'x' } } };
    expect(fhirCodeTablesSchema.safeParse({ cvx: table }).error?.issues).toMatchObject([
      { code: 'unrecognized_keys', keys: ['label'], path: ['cvx', 'values', 'a'] },
    ]);
  });
});
