export { ALL_SINK_KINDS, SINK_KINDS } from './kinds.ts';
export { cleanSinkNamespaces, stackTargets } from './namespaces.ts';
export {
  FhirSink,
  fhirSinkSchema,
  namespaceSource as fhirNamespaceSource,
  parseFhirSinkConfig,
} from './fhir/index.ts';
export { MongoSink, createMongoSink, mongoSinkSchema } from './mongo/index.ts';
export {
  RedisSink,
  createRedisSink,
  parseKeyTemplate,
  redisSinkSchema,
  unnamedKeyFields,
  unnamedKeyFieldsReason,
} from './redis/index.ts';
export {
  SINK_KIND_NAMES,
  createSink,
  redactSinkConfig,
  runSink,
  sinkKind,
  sinkSchema,
  type RunSinkOptions,
  type SinkConfig,
  type SinkConnections,
  type SinkHandle,
  type SinkKindName,
  type SinkStatus,
} from './service.ts';
export { parseSinkEntry, sinkEntry } from './shared-settings.ts';
export type { SinkContext, SinkKind, SinkNamespace, TargetSection } from './sink-kind.ts';
