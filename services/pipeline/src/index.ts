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
