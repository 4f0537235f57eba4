export { CdcError, errorMessage } from './errors.ts';
export { redactUrl } from './redact.ts';
export {
  STACK_ENV_DEFAULTS,
  STACK_ENV_NAMES,
  formatExports,
  kafkaBrokerList,
  readStackEnv,
  stackEnvSchema,
  type StackEnv,
  type StackEnvName,
} from './stack-env.ts';
export { silenceKnownKafkajsWarnings } from './process-warnings.ts';
export {
  avroOptions,
  avroType,
  bigIntLong,
  decimalText,
  schemaRegistryOptions,
  twosComplementBytes,
  unscaledDecimal,
} from './avro-types.ts';
export type { AvroField, AvroRecord, AvroSchema } from './avro-schema.ts';
export type { ChangeEnvelope } from './change-envelope.ts';
export { closeHealthServer, serveHealth, type HealthStatus } from './health-server.ts';
export {
  MAPPING_ERROR,
  brokersSetting,
  describeIssues,
  formatConfigPath,
  knownKeys,
  readYamlFile,
  settingsSection,
  type ConfigPath,
  type IssueContext,
  type YamlFile,
} from './config-file.ts';
export {
  CONFLICT_POLICIES,
  compareVersions,
  parseVersionText,
  resolveConflict,
  versionText,
  type ConflictPolicy,
  type ConflictingChange,
  type EventVersion,
  type Sink,
  type SinkConflict,
  type SinkEvent,
  type SinkRow,
  type WriteOutcome,
} from './sink/sink.ts';
export { PoisonError, RegistryCodec, wireFormat, type Decoded } from './registry-codec.ts';
export {
  DLQ_HEADERS,
  deadLetterHeaders,
  dlqTopic,
  type DeadLetterOrigin,
  type DeadLetterReason,
} from './dead-letter.ts';
export { endRecordSpans, startRecordSpan, type RecordSpan } from './tracing.ts';
export { toSinkEvent } from './sink/sink-event.ts';
export {
  CONFLICT_TOPIC_SUFFIX,
  SINK_TRACER,
  SinkRuntime,
  isRetriable,
  type SinkCounters,
  type SinkMetrics,
  type SinkRuntimeEvent,
  type SinkRuntimeOptions,
} from './sink/sink-runtime.ts';
export {
  canonicalRow,
  canonicalValue,
  isVerifiable,
  verifyRows,
  type VerifiableSink,
  type VerifyReport,
} from './sink/verify.ts';
export {
  listDeadLetters,
  parseDeadLetter,
  redriveDeadLetters,
  type DeadLetter,
  type RedriveResult,
} from './ops/dead-letters.ts';
export {
  groupProgress,
  rewindGroup,
  unreadRecords,
  type GroupProgress,
  type PartitionProgress,
  type RewindTarget,
  type RewoundPartition,
} from './ops/consumer-groups.ts';
export { readRanges, type PartitionRange, type ReadRangeOptions, type ReadRecord } from './ops/read-range.ts';
export { parseKeyTemplate, type KeyTemplate, type KeyTemplateWording } from './key-template.ts';
