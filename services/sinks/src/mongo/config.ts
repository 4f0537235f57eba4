import { z } from 'zod';
import { stackEnvSchema } from '@cdc/core';
import { parseSinkEntry, sinkEntry } from '../shared-settings.ts';

/**
 * The `sinks:` entry of a MongoDB-wire sink in a pipeline file, e.g.
 *
 *   - kind: mongodb
 *     name: patients-to-mongo
 *     topics: [cdc.public.patients]
 *     database: clinic
 *     collection: '{table}'
 *     fields: { select: [id, name, email], rename: { email: contact_email } }
 *     conflict: { policy: newest_wins, timestamp_field: edited_at }
 */

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

/** People edit records in MongoDB and the sink sees it; deletes leave version markers. */
export const MONGO_SUPPORTS = { conflicts: true, deleteMarkers: true, versionGuard: 'target' } as const;

/** The `sinks:` entry of a MongoDB-wire sink: the shared settings (shared-settings.ts) and these. */
export const mongoSinkSchema = sinkEntry('mongodb', MONGO_SUPPORTS, {
  url: stackEnvSchema.shape.MONGO_URL.optional().describe(
    'MongoDB URL (default: mongo.url, else env MONGO_URL); its password is never printed',
  ),
  database: databaseName,
  collection: collectionTemplate.default('{table}'),
  fields: fieldsSection.optional(),
})
  .superRefine((config, ctx) => {
    const stamp = config.conflict.timestamp_field;
    if (stamp !== undefined && !isWritableFieldName(stamp)) {
      ctx.addIssue({
        code: 'custom',
        path: ['conflict', 'timestamp_field'],
        message: `must be ${FIELD_NAME_RULE}`,
      });
    }
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

/** Validates a sink entry; problems are listed one a line with their path (`sinks.conflict.policy`). */
export function parseMongoSinkConfig(input: unknown): MongoSinkConfig {
  return parseSinkEntry(mongoSinkSchema, input, 'MongoDB');
}
