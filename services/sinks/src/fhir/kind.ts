import type { SinkKind } from '../sink-kind.ts';
import { FHIR_SUPPORTS, fhirSinkSchema } from './config.ts';
import { FhirSink } from './fhir-sink.ts';
import { fhirNamespace } from './namespace.ts';

/** FHIR R4 servers (a health ministry's API, HAPI FHIR) in the registry of sink kinds (kinds.ts). */
export const fhirKind = {
  kind: 'fhir',
  title: 'FHIR R4 servers',
  entry: fhirSinkSchema,
  supports: FHIR_SUPPORTS,
  defaultTarget: 'fhir',
  verifiable: true,
  create: (entry, context) => {
    if (context.url === undefined) throw new Error(`${context.path}: no FHIR server URL`);
    return new FhirSink(entry, context.url, context.path, context.rateLimitWaits);
  },
  namespace: fhirNamespace,
} as const satisfies SinkKind<typeof fhirSinkSchema>;
