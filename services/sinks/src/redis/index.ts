export {
  parseRedisSinkConfig,
  redisSinkSchema,
  type RedisSinkConfig,
  type RedisSinkInput,
} from './config.ts';
export { RedisSink, TRUNCATE_REASON, createRedisSink, type RedisSinkOptions } from './redis-sink.ts';
export {
  parseKeyTemplate,
  unnamedKeyFields,
  unnamedKeyFieldsReason,
  type KeyTemplate,
} from './key-template.ts';
