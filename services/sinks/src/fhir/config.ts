import { z } from 'zod';
import { MAPPING_ERROR, stackEnvSchema } from '@cdc/core';
import { concurrencySetting, requestsSetting, timeoutMsSetting } from '../http/http-settings.ts';
import { oauth2Setting } from '../http/oauth2/index.ts';
import { parseSinkEntry, sinkEntry } from '../shared-settings.ts';
import {
  codeTableIssues,
  fhirCodeTablesSchema,
  fhirResourceMappingSchema,
  timeZoneSetting,
} from './mapping/index.ts';

/**
 * The sink compares versions with what the server holds (our version travels in each resource,
 * source-version.ts), and sees what people changed there since its write (conflicts.ts). A deleted row stays on the server as a resource marked deleted (its type's
 * `on_delete`), which is its version marker for good: no retention setting.
 */
export const FHIR_SUPPORTS = { conflicts: true, deleteMarkers: false, versionGuard: 'target' } as const;

/** A source table as `<schema>.<table>`, the key of its mapping. */
const tableName = z
  .string()
  .regex(/^[^.\s]+\.[^.\s]+$/u, 'must be a source table as <schema>.<table>, such as public.patients');

export const FHIR_WRITE_MODES = ['update', 'transaction'] as const;

/**
 * The `sinks:` entry of a FHIR sink, e.g.
 *
 *   - kind: fhir
 *     name: ministry
 *     topics: [cdc.public.patients]
 *     resources:
 *       public.patients:
 *         type: Patient
 *         identifier: { system: 'https://ministry.example.org/patient-id', value: '{id}' }
 *         resource: { name: [{ text: '{name}' }] }
 */
export const fhirSinkSchema = sinkEntry('fhir', FHIR_SUPPORTS, {
  url: stackEnvSchema.shape.FHIR_URL.optional().describe(
    'FHIR R4 base URL (default: fhir.url, else env FHIR_URL), such as https://fhir.ministry.example/r4',
  ),
  resources: z
    .record(tableName, fhirResourceMappingSchema, {
      error: (issue) =>
        issue.code === 'invalid_type'
          ? 'must be a mapping of source tables to resource mappings, such as { public.patients: { type: Patient, ... } }'
          : undefined,
    })
    .refine((resources) => Object.keys(resources).length > 0, {
      error: 'must map at least one source table, such as { public.patients: { type: Patient, ... } }',
    })
    .describe(
      "For each source table (<schema>.<table>, as a change event's source names it, whichever topic carries it): the FHIR resource its rows become",
    ),
  source: z
    .string({ error: 'must be a URI such as urn:cdc:ministry-sync' })
    .refine((text) => !/\s/u.test(text) && URL.canParse(text), {
      error: 'must be an absolute URI such as urn:cdc:ministry-sync',
    })
    .optional()
    .describe(
      'meta.source of every resource written: who sent it, kept and searchable at the server (_source); default urn:cdc:sink:<name>',
    ),
  codes: fhirCodeTablesSchema
    .prefault({})
    .describe('Code tables that `{field|code:<table>}` placeholders look values up in'),
  time_zone: timeZoneSetting,
  write: z
    .enum(FHIR_WRITE_MODES, { error: `must be one of ${FHIR_WRITE_MODES.join(', ')}` })
    .default('update')
    .describe(
      'update: one conditional update per resource; transaction: the batch as transaction Bundles of up to ' +
        'transaction.max_entries (all or nothing; a refused Bundle is split to find the refused entry)',
    ),
  transaction: z
    .strictObject(
      {
        max_entries: z
          .int('must be a whole number of entries')
          .min(1, 'must be at least 1')
          .max(1000, 'must be at most 1000')
          .default(100)
          .describe('Entries per transaction Bundle at most (default 100)'),
      },
      MAPPING_ERROR,
    )
    .prefault({})
    .describe('write: transaction'),
  auth: oauth2Setting
    .optional()
    .describe(
      'OAuth2 client credentials for the server (a client secret or a signed JWT, SMART Backend Services)',
    ),
  // Health authorities publish quotas per client; none is assumed here: set the ministry's.
  requests: requestsSetting({ perSecond: 50, burst: 50 })
    .unwrap()
    .optional()
    .describe('Request budget of the server (its quota), { per_second, burst }; default unlimited'),
  timeout_ms: timeoutMsSetting,
  concurrency: concurrencySetting(),
})
  .check((ctx) => {
    for (const [table, mapping] of Object.entries(ctx.value.resources)) {
      for (const issue of codeTableIssues(mapping, ctx.value.codes)) {
        ctx.issues.push({
          code: 'custom',
          input: mapping,
          path: ['resources', table, ...issue.path],
          message: issue.message,
        });
      }
    }
  })
  .describe(
    'FHIR R4 sink: each row a resource, written by conditional update on its identifier, never backwards',
  );

export type FhirSinkConfig = z.output<typeof fhirSinkSchema>;
export type FhirSinkInput = z.input<typeof fhirSinkSchema>;

export function parseFhirSinkConfig(input: unknown): FhirSinkConfig {
  return parseSinkEntry(fhirSinkSchema, input, 'FHIR');
}
