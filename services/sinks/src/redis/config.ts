import { z } from 'zod';
import { stackEnvSchema } from '@cdc/core';
import { parseSinkEntry, sinkEntry } from '../shared-settings.ts';
import { parseKeyTemplate } from './key-template.ts';

/** People edit records in Redis and the sink sees it; deletes leave version markers. */
export const REDIS_SUPPORTS = { conflicts: true, deleteMarkers: true, versionGuard: 'target' } as const;

/** The `sinks:` entry of a Redis sink: the shared settings (shared-settings.ts) and these. */
export const redisSinkSchema = sinkEntry('redis', REDIS_SUPPORTS, {
  url: stackEnvSchema.shape.REDIS_URL.optional().describe(
    'Redis URL (default: redis.url, else env REDIS_URL); its password is never printed',
  ),
  key: z
    .string({ error: "must be a key template such as 'patient:{id}'" })
    .check((ctx) => {
      const parsed = parseKeyTemplate(ctx.value);
      if (typeof parsed === 'string') ctx.issues.push({ code: 'custom', input: ctx.value, message: parsed });
    })
    .optional()
    .describe(
      "Key of a row's record, with {field} placeholders filled from the event key, e.g. 'patient:{id}' " +
        '(default <table>:<key values joined by :>). Bookkeeping goes to <key>:cdc.',
    ),
  format: z
    .enum(['hash', 'json'], { error: 'must be hash or json' })
    .default('hash')
    .describe('hash: one hash field per column, values as text; json: one JSON document string per row'),
  ttl_seconds: z
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1')
    .optional()
    .describe(
      "Rows expire this long after their last write; the row's version marker stays delete_retention_ms longer",
    ),
}).describe('Redis sink: each row a hash or JSON string, written only when its version is newer');

export type RedisSinkInput = z.input<typeof redisSinkSchema>;
export type RedisSinkConfig = z.output<typeof redisSinkSchema>;

/** Validates a sink entry; errors name every bad field in plain words. */
export function parseRedisSinkConfig(input: unknown): RedisSinkConfig {
  return parseSinkEntry(redisSinkSchema, input, 'Redis');
}
