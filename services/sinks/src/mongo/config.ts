import { z } from 'zod';
import { CONFLICT_POLICIES, CdcError, describeIssues, stackEnvSchema } from '@cdc/core';

/**
 * The `sinks:` entry of a MongoDB-wire sink in a pipeline file, e.g.
 *
 *   - kind: mongodb
 *     name: patients-to-mongo
 *     topics: [cdc.public.patients]
 *     database: clinic
 *     collection: '{table}'
 *     fields: { select: [id, name, email], rename: { email: contact_email } }
 *     delete_retention_ms: 604800000
 *     conflict: { policy: newest_wins, timestamp_field: edited_at }
 */

const DAY_MS = 24 * 60 * 60 * 1000;

// For every section: a scalar where a section belongs gets a plain-words message.
const mapping = {
  error: (issue: { code: string }) =>
    issue.code === 'invalid_type' ? 'must be a mapping of settings' : undefined,
};

// MongoDB refuses these characters in database names (on Windows hosts too, so everywhere).
const databaseName = z
  .string({ error: 'must be a database name (text)' })
  .regex(/^[^/\\. "$*<>:|?\0]{1,63}$/, 'must be 1 to 63 characters without / \\ . space " $ * < > : | ?')
  .describe('MongoDB database to write to');

/** `{table}` and `{schema}` are replaced by the event's source table; anything else is literal. */
export const COLLECTION_PLACEHOLDERS = ['{table}', '{schema}'] as const;

export function isValidCollectionName(name: string): boolean {
  return (
    name.length > 0 && Buffer.byteLength(name) <= 200 && !/[$\0]/.test(name) && !name.startsWith('system.')
  );
}

const collectionTemplate = z
  .string({ error: "must be a collection name or a template such as '{table}'" })
  .refine(
    (template) => !/\{(?!table\}|schema\})[^}]*\}/.test(template),
    'only {table} and {schema} may appear in braces',
  )
  .refine(
    (template) => isValidCollectionName(template.replaceAll('{table}', 't').replaceAll('{schema}', 's')),
    "must be a collection name: not empty, no '$', not starting with 'system.', at most 200 bytes",
  )
  .describe(
    "Collection to write to; '{table}' and '{schema}' stand for the source table (default '{table}')",
  );

/** A field name we can address with $set: no dots, no leading $, not our own bookkeeping. */
export const FIELD_NAME_RULE = "a field name without '.', not starting with '$', and not _id or _cdc";

export function isWritableFieldName(name: string): boolean {
  return name.length > 0 && !name.includes('.') && !name.startsWith('$') && name !== '_id' && name !== '_cdc';
}

const columnName = z.string({ error: 'must be a column name (text)' }).min(1, 'must not be empty');

const fieldsSection = z
  .strictObject(
    {
      select: z
        .array(columnName, { error: 'must be a list of column names, such as [id, name]' })
        .min(1, 'must list at least one column')
        .refine((names) => new Set(names).size === names.length, 'lists a column twice')
        .optional()
        .describe('Writes only these columns (the key columns are always written)'),
      rename: z
        .record(
          columnName,
          z.string().refine(isWritableFieldName, `must be ${FIELD_NAME_RULE}`),
          mappingOf('{ column: field }'),
        )
        .refine(
          (map) => new Set(Object.values(map)).size === Object.values(map).length,
          'renames two columns to the same field',
        )
        .optional()
        .describe('Field names for columns: { column: field }'),
    },
    mapping,
  )
  .describe('Which columns become which document fields');

function mappingOf(example: string) {
  return {
    error: (issue: { code: string }) =>
      issue.code === 'invalid_type' ? `must be a mapping, such as ${example}` : undefined,
  };
}

const conflictSection = z
  .strictObject(
    {
      policy: z
        .enum(CONFLICT_POLICIES, { error: `must be one of ${CONFLICT_POLICIES.join(', ')}` })
        .default('source_wins')
        .describe(
          'When a document was edited directly since our last write: source_wins writes ours, ' +
            'target_wins keeps theirs, newest_wins compares the commit time with timestamp_field, ' +
            'merge writes only the fields the source changed, manual keeps theirs and holds ours for review',
        ),
      timestamp_field: z
        .string()
        .refine(isWritableFieldName, `must be ${FIELD_NAME_RULE}`)
        .optional()
        .describe('newest_wins: the document field holding its last direct change (ms, date or ISO text)'),
    },
    mapping,
  )
  .prefault({})
  .refine((conflict) => conflict.policy !== 'newest_wins' || conflict.timestamp_field !== undefined, {
    message: 'newest_wins needs timestamp_field: the document field that holds when it was last edited',
    path: ['timestamp_field'],
  })
  .describe('What to do when the target was changed directly since our last write');

export const mongoSinkSchema = z
  .strictObject(
    {
      kind: z.literal('mongodb', { error: 'must be mongodb' }).describe('A MongoDB-wire sink'),
      name: z
        .string({ error: 'must be a name (text)' })
        .regex(/^[a-zA-Z0-9._-]{1,100}$/, 'must be 1 to 100 of a-z A-Z 0-9 . _ -')
        .describe('Sink name, shown in logs, metrics and dead letters'),
      topics: z
        .array(
          z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'must be a Kafka topic name (a-z A-Z 0-9 . _ -)'),
          { error: 'must be a list of topic names' },
        )
        .min(1, 'must list at least one topic')
        .describe('Topics to consume'),
      url: stackEnvSchema.shape.MONGO_URL.optional().describe(
        'MongoDB URL (default: env MONGO_URL); its password is never printed',
      ),
      database: databaseName,
      collection: collectionTemplate.default('{table}'),
      fields: fieldsSection.optional(),
      delete_retention_ms: z
        .int('must be a whole number of milliseconds')
        .min(1000, 'must be at least 1000')
        .max(365 * DAY_MS, 'must be at most a year (31536000000)')
        .default(7 * DAY_MS)
        .describe(
          'How long a delete marker is kept so that an older replayed insert stays deleted ' +
            '(longer than any replay you may do; default 7 days)',
        ),
      conflict: conflictSection,
    },
    mapping,
  )
  .superRefine((config, ctx) => {
    const renamed = config.fields?.rename ?? {};
    const select = config.fields?.select;
    if (!select) return;
    Object.keys(renamed).forEach((column) => {
      if (!select.includes(column)) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields', 'rename', column],
          message: `${column} is not selected; add it to fields.select or remove it here`,
        });
      }
    });
  })
  .describe('A sink writing each row as a document of a MongoDB collection, keyed by the primary key');

export type MongoSinkConfig = z.output<typeof mongoSinkSchema>;
export type MongoSinkConfigInput = z.input<typeof mongoSinkSchema>;

/** Validates a sink entry; problems are listed one a line with their path (`sinks[2].conflict.policy`). */
export function parseMongoSinkConfig(
  input: unknown,
  prefix: readonly PropertyKey[] = ['sink'],
): MongoSinkConfig {
  const parsed = mongoSinkSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = describeIssues(parsed.error.issues, mongoSinkSchema, { prefix });
  throw new CdcError('INVALID_CONFIG', `invalid mongodb sink configuration:\n  ${problems.join('\n  ')}`, {
    fix: 'correct the settings listed above',
    details: { problems },
  });
}
