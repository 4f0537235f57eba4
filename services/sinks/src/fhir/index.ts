export {
  FHIR_SUPPORTS,
  fhirSinkSchema,
  parseFhirSinkConfig,
  type FhirSinkConfig,
  type FhirSinkInput,
} from './config.ts';
export { FhirSink } from './fhir-sink.ts';
export { fhirKind } from './kind.ts';
export { fhirNamespace, namespaceSource } from './namespace.ts';
export { SOURCE_VERSION_URL, sourceVersionOf, withoutSourceVersion } from './source-version.ts';
