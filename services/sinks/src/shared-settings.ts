import { z } from 'zod';
import {
  CONFLICT_POLICIES,
  CdcError,
  MAPPING_ERROR,
  describeIssues,
  serviceNameSetting,
  topicNameSetting,
} from '@cdc/core';

/**
 * The settings every sink kind shares, declared once: each kind's `sinks:` entry is these plus
 * its own (sinkEntry below), so a name, a topic list, a retry or a delete retention means the same
 * for Redis, MongoDB and every later kind.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** How long a delete's version marker stays unless configured: longer than any sane replay window. */
export const DEFAULT_DELETE_RETENTION_MS = 7 * DAY_MS;

/** Identity and input of a sink: every kind has them. */
const identity = {
  name: serviceNameSetting.describe(
    'Unique name of the sink: its consumer group (cdc-sink.<name>), logs, metrics and dead letters say it',
  ),
  topics: z
    .array(topicNameSetting, { error: 'must be a list of topic names' })
    .min(1, 'must list at least one topic')
    .describe('Change topics to write, e.g. [cdc.public.patients]'),
};

/** How the sink runtime writes for any kind: back-off while the target fails, and a write rate. */
const runtime = {
  rate_limit: z
    .strictObject(
      {
        writes_per_second: z
          .number()
          .positive('must be more than 0')
          .describe('At most this many batch writes per second (for targets with quotas)'),
      },
      MAPPING_ERROR,
    )
    .optional()
    .describe('Limits the write rate; default: unlimited'),
  retry: z
    .strictObject(
      {
        min_ms: z.int().min(10).max(60_000).default(200).describe('First back-off after a retriable failure'),
        max_ms: z.int().min(100).max(600_000).default(10_000).describe('Longest back-off between attempts'),
      },
      MAPPING_ERROR,
    )
    .prefault({})
    .describe('Back-off (exponential with jitter) while the target is unreachable; retried until it answers'),
};

/** For kinds whose target can be edited by people: what to do when it was (docs/contracts.md, Conflicts). */
const conflict = z
  .strictObject(
    {
      policy: z
        .enum(CONFLICT_POLICIES, { error: `must be one of ${CONFLICT_POLICIES.join(', ')}` })
        .default('source_wins')
        .describe(
          'source_wins: write ours; target_wins: keep theirs; newest_wins: the later change wins ' +
            '(needs timestamp_field); merge: write only the fields the source changed since our last ' +
            'write; manual: keep theirs and hold ours for review. Every conflict is published to <topic>.conflicts.',
        ),
      timestamp_field: z
        .string({ error: 'must be a field name' })
        .min(1, 'must not be empty')
        .optional()
        .describe(
          'newest_wins: the target field holding the time of its last direct change (ms since the epoch or ISO 8601 text)',
        ),
    },
    MAPPING_ERROR,
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

/** For kinds that keep a version marker for a deleted record, so that a replayed older insert stays deleted. */
const deleteRetention = z
  .int('must be a whole number of milliseconds')
  .min(1000, 'must be at least 1000')
  .max(365 * DAY_MS, 'must be at most a year (31536000000)')
  .default(DEFAULT_DELETE_RETENTION_MS)
  .describe(
    "How long a deleted row's version marker stays, so that a replayed older insert stays deleted " +
      '(default 7 days: keep it longer than the topics can be replayed)',
  );

/** What a kind's target can do, which decides the shared settings its entry takes. */
export interface SharedSettingsOf {
  /** People may edit the target, and the sink can see it: the entry takes `conflict:`. */
  readonly conflicts: boolean;
  /** The sink keeps markers for deleted records: the entry takes `delete_retention_ms`. */
  readonly deleteMarkers: boolean;
}

type SharedShape<C extends SharedSettingsOf> = typeof identity &
  typeof runtime &
  (C['conflicts'] extends true ? { conflict: typeof conflict } : object) &
  (C['deleteMarkers'] extends true ? { delete_retention_ms: typeof deleteRetention } : object);

/**
 * The `sinks:` entry of one kind: `kind: <name>`, the shared settings its target supports, and its
 * own. A strict object, so that a misspelt setting is named; refine it (zod 4 keeps the object type).
 */
export function sinkEntry<
  const Kind extends string,
  const C extends SharedSettingsOf,
  Own extends z.ZodRawShape,
>(kind: Kind, supports: C, own: Own) {
  const shared = {
    ...identity,
    ...runtime,
    ...(supports.conflicts ? { conflict } : {}),
    ...(supports.deleteMarkers ? { delete_retention_ms: deleteRetention } : {}),
  } as SharedShape<C>;
  return z.strictObject(
    {
      kind: z.literal(kind, { error: `must be ${kind}` }).describe('Sink kind'),
      ...shared,
      ...own,
    },
    MAPPING_ERROR,
  );
}

/** Settings of the runtime around a sink, in the words SinkRuntime takes them. */
export function runtimeSettings(entry: z.output<z.ZodObject<typeof runtime>>) {
  return {
    retry: { minMs: entry.retry.min_ms, maxMs: entry.retry.max_ms },
    ...(entry.rate_limit ? { writesPerSecond: entry.rate_limit.writes_per_second } : {}),
  };
}

/**
 * Validates one `sinks:` entry outside a pipeline file (tests, benchmarks, a kind's own factory);
 * problems are listed one a line with their path (`sinks.conflict.policy`).
 */
export function parseSinkEntry<Entry extends z.ZodObject>(
  entry: Entry,
  input: unknown,
  title: string,
): z.output<Entry> {
  const parsed = entry.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = describeIssues(parsed.error.issues, entry, { prefix: ['sinks'] });
  throw new CdcError('INVALID_CONFIG', `invalid ${title} sink configuration:\n  ${problems.join('\n  ')}`, {
    fix: 'correct the settings listed above in the sinks: section',
    details: { problems },
  });
}
