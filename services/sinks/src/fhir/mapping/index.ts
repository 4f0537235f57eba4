/**
 * FHIR R4 mapping of the FHIR sink: a row becomes a resource through one topic's template
 * (config.ts, template.ts), and resources are checked against the R4 definitions (validate.ts).
 */
export {
  codeTableIssues,
  fhirCodeTablesSchema,
  fhirResourceMappingSchema,
  timeZoneSetting,
  type FhirCodeTables,
  type FhirResourceMappingConfig,
} from './config.ts';
export { ON_DELETE_DEFAULTS } from './on-delete.ts';
export { loadR4Definitions } from './r4-definitions.ts';
export { compileResourceMapping } from './resource-mapping.ts';
export type { FhirResource, KeptElement, MappingFailure, ResourceMapping } from './types.ts';
export { validateFhirResource } from './validate.ts';
