export type { Row, Violation } from './row.ts';
export { compileExpression, type CompiledExpression } from './rules/expression.ts';
export { rulesSchema, ruleSchema, type RuleConfig } from './rules/rule-config.ts';
export { compileRules, type RowValidator } from './rules/validator.ts';
export {
  compileSteps,
  stepSchema,
  stepsSchema,
  TransformError,
  type BoundTransform,
  type CompiledSteps,
  type StepConfig,
} from './transform/index.ts';
export { DLQ_HEADERS, dlqTopic } from '@cdc/core';
export { RegistryCodec, PoisonError } from '@cdc/core';
export type { ChangeEnvelope } from './runtime/envelope.ts';
export {
  ProcessorRuntime,
  type DeliveryMode,
  type ProcessorCounters,
  type ProcessorEvent,
} from './runtime/processor.ts';
export {
  runProcessor,
  type ProcessorConnections,
  type ProcessorHandle,
  type ProcessorSpec,
  type ProcessorStatus,
  type RunProcessorOptions,
} from './service.ts';
