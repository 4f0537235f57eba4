export {
  describeConfig,
  loadSourceConfig,
  parseSourceConfig,
  RENAMED_SOURCE_SETTINGS,
  sourceConfigSchema,
  withSourceEnvFallbacks,
  type SourceConfig,
  type SourceParseOptions,
} from './config.ts';
export { preflight, type PreflightReport, type PreflightTable } from './preflight.ts';
export { ensurePublicationAndSlot, type EnsureResult } from './publication-setup.ts';
export { missingSourceNodeFlags, SOURCE_NODE_FLAGS } from './node-flags.ts';
export { ChangeStream, type ChangeStreamOptions } from './stream/change-stream.ts';
export type { ChangeStreamCounters, ChangeStreamMetrics } from './stream/stream-progress.ts';
export {
  runSource,
  type RunSourceOptions,
  type SourceEvent,
  type SourceHandle,
  type SourcePhase,
  type SourceStatus,
  type ReconnectStatus,
} from './service.ts';
export { connectToSource } from './database.ts';
export { describeRetry } from './source-status.ts';
export {
  envelopeSchema,
  keySchema,
  topicName,
  valueSchema,
  type TableColumn,
  type TableShape,
} from './avro/table-schemas.ts';
export type { ColumnKind } from './types/column-kind.ts';
export { readTableRows, type TableRow } from './table-rows.ts';
