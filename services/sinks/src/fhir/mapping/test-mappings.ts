import { expect } from 'vitest';
import {
  fhirCodeTablesSchema,
  fhirResourceMappingSchema,
  timeZoneSetting,
  type FhirCodeTables,
} from './config.ts';
import { compileResourceMapping } from './resource-mapping.ts';
import type { FhirResource, ResourceMapping } from './types.ts';

/** Mappings as the tests write them: parsed by the schemas (which must accept them), then compiled. */

export const MINISTRY = 'https://ministry.example.org';

export const codes: FhirCodeTables = fhirCodeTablesSchema.parse({
  cvx: {
    system: 'http://hl7.org/fhir/sid/cvx',
    values: {
      pfizer_covid: { code: '208', display: 'COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose' },
      '140': '140',
    },
  },
  org_type: {
    system: 'http://terminology.hl7.org/CodeSystem/organization-type',
    values: { hospital: { code: 'prov', display: 'Healthcare Provider' }, lab: 'other' },
  },
});

export function compiled(input: unknown, zone?: string): ResourceMapping {
  const parsed = fhirResourceMappingSchema.safeParse(input);
  expect(parsed.error?.issues ?? []).toEqual([]);
  if (!parsed.success) throw parsed.error;
  return compileResourceMapping(parsed.data, codes, timeZoneSetting.parse(zone));
}

/** The resource a row maps to; the test fails on a mapping failure. */
export function mapped(
  mapping: ResourceMapping,
  row: Record<string, unknown>,
  key = { id: row['id'] },
): FhirResource {
  const result = mapping.map(row, key, []);
  if ('reason' in result) throw new Error(result.reason);
  expect(result.keep).toEqual([]);
  return result.resource;
}
