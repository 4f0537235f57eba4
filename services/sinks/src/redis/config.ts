import { z } from 'zod';
import { CONFLICT_POLICIES, CdcError, describeIssues, stackEnvSchema } from '@cdc/core';
import { parseKeyTemplate } from './key-template.ts';

const mapping = {
  error: (issue: { code: string }) =>
    issue.code === 'invalid_type' ? 'must be a mapping of settings' : undefined,
};

const topic = z
  .string({ error: 'must be a Kafka topic name' })
  .regex(/^[a-zA-Z0-9._-]{1,249}$/, 'must be 1 to 249 of a-z A-Z 0-9 . _ - (a Kafka topic name)');

const DAY_MS = 24 * 60 * 60 * 1000;

/** How long a delete's version marker stays unless configured: longer than any sane replay window. */
export const DEFAULT_DELETE_RETENTION_MS = 7 * DAY_MS;

const conflict = z
  .strictObject(
    {
      policy: z
        .enum(CONFLICT_POLICIES, { error: `must be one of ${CONFLICT_POLICIES.join(', ')}` })
        .default('source_wins')
        .describe(
          'source_wins: write ours; target_wins: keep theirs; newest_wins: the later change wins ' +
            '(needs timestamp_field); merge: write only the fields the source changed since our last ' +
            'write; manual: keep theirs and hold ours for review. Every conflict is published.',
        ),
      timestamp_field: z
        .string({ error: 'must be a field name' })
        .min(1, 'must not be empty')
        .optional()
        .describe(
          'newest_wins: the target field holding the time of its last direct change (ms since the epoch or ISO 8601 text)',
        ),
    },
    mapping,
  )
  .check((ctx) => {
    if (ctx.value.policy === 'newest_wins' && ctx.value.timestamp_field === undefined) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: ['timestamp_field'],
        message: 'newest_wins needs timestamp_field: the target field that records when it was last edited',
      });
    }
  })
  .prefault({})
  .describe('What to do when the target was changed directly since our last write');

/**
 * The `sinks:` entry of a Redis sink. A plain strict object (no refinement at this level) so that
 * the pipeline can extend it with the runtime's settings and discriminate sinks by kind.
 */
export const redisSinkSchema = z
  .strictObject(
    {
      kind: z.literal('redis', { error: "must be 'redis'" }).describe('Sink kind'),
      name: z
        .string({ error: 'must be a name' })
        .regex(
          /^[a-z0-9][a-z0-9._-]{0,99}$/,
          'must be 1 to 100 of a-z 0-9 . _ - starting with a letter or digit (it names the consumer group)',
        )
        .describe('Unique name of the sink: its consumer group, logs, metrics and dead letters say it'),
      topics: z
        .array(topic, { error: 'must be a list of topic names' })
        .min(1, 'must list at least one topic')
        .describe('Change topics to write, e.g. [cdc.public.patients]'),
      url: stackEnvSchema.shape.REDIS_URL.optional().describe(
        'Redis URL (default: env REDIS_URL); its password is never printed',
      ),
      key: z
        .string({ error: "must be a key template such as 'patient:{id}'" })
        .check((ctx) => {
          const parsed = parseKeyTemplate(ctx.value);
          if (typeof parsed === 'string')
            ctx.issues.push({ code: 'custom', input: ctx.value, message: parsed });
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
      delete_retention_ms: z
        .int('must be a whole number of milliseconds')
        .min(1, 'must be at least 1')
        .default(DEFAULT_DELETE_RETENTION_MS)
        .describe(
          "How long a deleted row's version marker stays, so that a replayed older insert stays deleted " +
            '(default 7 days: keep it longer than the topics can be replayed)',
        ),
      conflict,
    },
    mapping,
  )
  .describe('Redis sink: each row a hash or JSON string, written only when its version is newer');

export type RedisSinkInput = z.input<typeof redisSinkSchema>;
export type RedisSinkConfig = z.output<typeof redisSinkSchema>;

// The runtime's own settings (retry, rate_limit) travel in the same entry: the sink ignores them.
const ownSettings = z.object(redisSinkSchema.shape);

/** Validates a sink entry; errors name every bad field in plain words. */
export function parseRedisSinkConfig(input: unknown): RedisSinkConfig {
  const parsed = ownSettings.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = describeIssues(parsed.error.issues, redisSinkSchema, { prefix: ['sinks'] });
  throw new CdcError('INVALID_CONFIG', `invalid Redis sink configuration:\n  ${problems.join('\n  ')}`, {
    fix: 'correct the settings listed above in the sinks: section',
    details: { problems },
  });
}
