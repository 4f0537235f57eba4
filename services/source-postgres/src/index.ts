export { describeConfig, loadSourceConfig, parseSourceConfig, type SourceConfig } from './config.ts';
export { preflight, type PreflightReport, type PreflightTable } from './preflight.ts';
export { ensurePublicationAndSlot, type EnsureResult } from './publication-setup.ts';
export { ChangeStream, type ChangeStreamCounters, type ChangeStreamOptions } from './stream/change-stream.ts';
export {
  runSource,
  type RunSourceOptions,
  type SourceEvent,
  type SourceHandle,
  type SourcePhase,
  type SourceStatus,
  connectToSource,
} from './service.ts';
