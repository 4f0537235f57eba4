export {
  mongoSinkSchema,
  parseMongoSinkConfig,
  type MongoSinkConfig,
  type MongoSinkConfigInput,
} from './config.ts';
export { MongoSink, TRUNCATE_MARKER_ID, createMongoSink, type MongoSinkOptions } from './mongo-sink.ts';
