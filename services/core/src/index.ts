export { CdcError, errorChain, errorMessage, type ErrorLink } from './errors.ts';
export {
  ERROR_AREAS,
  ERROR_CODES,
  errorCodeSpec,
  isErrorCode,
  isOperatorCode,
  type ErrorArea,
  type ErrorCode,
  type ErrorCodeSpec,
  type OperatorCode,
} from './error-codes.ts';
export { ERROR_CODES_FILE, errorCodeReferenceText } from './error-code-reference.ts';
export { redactUrl } from './redact.ts';
export {
  PUBLIC_API_URLS,
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
export {
  closeHealthServer,
  serveHealth,
  type HealthStatus,
  type MetricsExposition,
} from './health-server.ts';
export {
  serveService,
  type ServeOptions,
  type ServedService,
  type ServiceRuntime,
} from './service-lifecycle.ts';
export {
  MAPPING_ERROR,
  brokersSetting,
  describeIssues,
  formatConfigPath,
  knownKeys,
  readYamlFile,
  serviceNameSetting,
  settingsSection,
  topicNameSetting,
  type ConfigPath,
  type IssueContext,
  type YamlFile,
} from './config-file.ts';
export {
  applyRenamedSettings,
  printConfigWarning,
  type RenameContext,
  type RenamedSetting,
  type RenamedSettings,
} from './renamed-settings.ts';
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
  partReason,
  schemaIdIn,
  type DeadLetterOrigin,
  type DeadLetterReason,
  type RecordPart,
} from './dead-letter.ts';
export { endRecordSpans, startRecordSpan, type RecordSpan } from './tracing.ts';
export { toSinkEvent } from './sink/sink-event.ts';
export {
  CONFLICT_TOPIC_SUFFIX,
  SinkRuntime,
  type SinkCounters,
  type SinkMetrics,
  type SinkRuntimeEvent,
  type SinkRuntimeOptions,
} from './sink/sink-runtime.ts';
export { SINK_TRACER } from './sink/sink-records.ts';
export { breakerSeries, rateLimitClock, type BreakerState, type PartitionLag } from './sink/sink-metrics.ts';
export {
  FailureTally,
  NeedsOperatorError,
  UNCLASSIFIED,
  codeOf,
  codeTag,
  isTransient,
  needsOperator,
  reasonOf,
  type FailureCounts,
} from './failure.ts';
export { networkProblem } from './network-error.ts';
export { SHARED_SETTINGS, describeEndpoint } from './endpoint.ts';
export {
  Readiness,
  describeWaitEvent,
  formatDelay,
  type Dependency,
  type Phase,
  type ReadinessSnapshot,
  type WaitEvent,
  type Waiting,
} from './readiness.ts';
export {
  DEFAULT_BACKOFF,
  dependencyOf,
  establishAll,
  resolved,
  retrying,
  waited,
  type Backoff,
  type Prerequisite,
  type RetryOptions,
  type WaitContext,
} from './waiting.ts';
export {
  CLIENT_RETRY,
  describeKafka,
  kafkaClient,
  serviceKafka,
  type KafkaClientOptions,
} from './kafka/client.ts';
export { CDC_HEADERS, readHeader, stringHeaders } from './kafka/headers.ts';
export {
  BATCH_OVERHEAD_BYTES,
  DEFAULT_FETCH_BYTES_PER_PARTITION,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_SEND_BUDGET,
  MAX_RECORDS_PER_REQUEST,
  readMaxMessageBytes,
  recordSizeBound,
  sendBudget,
  splitRequests,
  type SizedRecord,
} from './kafka/kafka-request-size.ts';
export {
  processorClientId,
  processorGroupId,
  processorTransactionalId,
  sinkClientId,
  sinkGroupId,
  sinkOfGroup,
} from './kafka/group-names.ts';
export { kafkaFailure, operatorFixOf } from './kafka/kafka-failure.ts';
export { LazyProducer } from './kafka/lazy-producer.ts';
export { withHeartbeats } from './kafka/heartbeat.ts';
export {
  SupervisedConsumer,
  settleWithin,
  type SupervisedConsumerOptions,
} from './kafka/supervised-consumer.ts';
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
export { keyPart, parseKeyTemplate, type KeyTemplate, type KeyTemplateWording } from './key-template.ts';
export {
  describeInactiveSlot,
  dropSlotCommand,
  formatBytes,
  inactiveSlots,
  slotPositions,
  type InactiveSlot,
  type SlotPositions,
  type SlotQueryClient,
} from './replication-slots.ts';
export { retryAfterOf } from './waiting.ts';
export {
  isSecretSchema,
  redactSecret,
  redactSecrets,
  resolveSecret,
  secretSetting,
  type SecretContext,
  type SecretSetting,
} from './secret-setting.ts';
export { markdownCells } from './markdown.ts';
export {
  METRICS,
  METRIC_STAGES,
  SERVICE_LABELS,
  exportedSeriesNames,
  seriesNames,
  type MetricId,
  type MetricSpec,
  type MetricStage,
} from './metrics/catalog.ts';
export { ServiceMetrics, type ServiceIdentity } from './metrics/service-metrics.ts';
export { mirrorFailures, mirrorReadiness } from './metrics/mirrors.ts';
export { WaitClock, type WaitRecorder } from './metrics/wait-clock.ts';
export { registerScrapeTarget, scrapeTargetsDir, SCRAPE_TARGET_LABEL } from './metrics/scrape-targets.ts';
export { startTelemetry, type Telemetry, type TelemetryOptions } from './telemetry/start-telemetry.ts';
export { DEFAULT_SAMPLER, defaultServiceName } from './telemetry/telemetry-env.ts';
export { METRICS_FILE, metricReferenceText } from './metrics/metric-reference.ts';
export { parentSampled, sampleChange, skipsUnsampled } from './telemetry/sampling.ts';
