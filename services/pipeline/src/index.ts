export {
  DEFAULT_DELIVERY,
  describePipelineConfig,
  connectionsOf,
  findProcessor,
  findService,
  findSink,
  loadPipelineConfig,
  parsePipelineConfig,
  pipelineSchema,
  type PipelineConfig,
  type PipelineService,
  type PipelineSinkConfig,
  type ProcessorConfig,
} from './pipeline-config.ts';
export {
  JSON_SCHEMA_FILE,
  REFERENCE_FILE,
  jsonSchemaText,
  pipelineJsonSchema,
  referenceText,
} from './config-reference.ts';
