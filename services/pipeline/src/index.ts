export {
  DEFAULT_DELIVERY,
  describePipelineConfig,
  findProcessor,
  loadPipelineConfig,
  parsePipelineConfig,
  pipelineSchema,
  type PipelineConfig,
  type ProcessorConfig,
} from './pipeline-config.ts';
export {
  JSON_SCHEMA_FILE,
  REFERENCE_FILE,
  jsonSchemaText,
  pipelineJsonSchema,
  referenceText,
} from './config-reference.ts';
