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
  createSink,
  runSink,
  sinkSchema,
  type RunSinkOptions,
  type SinkConfig,
  type SinkConnections,
  type SinkHandle,
  type SinkStatus,
} from './service.ts';
