import { stringify } from 'yaml';
import { z } from 'zod';
import {
  CdcError,
  MAPPING_ERROR,
  applyRenamedSettings,
  brokersSetting,
  printConfigWarning,
  settingsSection,
  STACK_ENV_DEFAULTS,
  describeIssues,
  formatConfigPath,
  readYamlFile,
  redactUrl,
  stackEnvSchema,
  type ConfigPath,
  type RenamedSetting,
} from '@cdc/core';

type Env = Record<string, string | undefined>;

/**
 * Settings whose default comes from the stack's connection variables (docs/contracts.md), so that a
 * pipeline file needs no addresses on the local stack. Declared once: used to fill defaults, to
 * describe the fields and to say where a bad value came from.
 */
const ENV_FALLBACKS = [
  { path: ['database', 'url'], env: 'CDC_PG_URL' },
  { path: ['kafka', 'brokers'], env: 'KAFKA_BROKERS' },
  { path: ['registry', 'url'], env: 'SCHEMA_REGISTRY_URL' },
] as const;

const tableName = z
  .string()
  .trim()
  .regex(/^[^.]+\.[^.]+$/, "must be 'schema.table' such as public.patients (names as in the catalog)")
  .refine(
    (name) => name.split('.').every((part) => Buffer.byteLength(part) <= 63),
    'schema and table names are at most 63 bytes in PostgreSQL',
  );

const columnName = z
  .string({ error: 'must be a column name' })
  .min(1, 'must not be empty')
  .refine((name) => Buffer.byteLength(name) <= 63, 'column names are at most 63 bytes in PostgreSQL');

// 120 = Kafka's 249-character topic limit minus room for `.<schema>.<table>` at 63 bytes each.
const topicPart = z
  .string()
  .regex(/^[a-zA-Z0-9._-]{1,120}$/, 'must be 1 to 120 of a-z A-Z 0-9 . _ - (it prefixes Kafka topic names)');

/** The layouts of a change record on the source's topics (src/envelope-format.ts). */
export const ENVELOPES = ['cdc', 'debezium'] as const;
export type EnvelopeName = (typeof ENVELOPES)[number];

const SLOT_NAME = /^[a-z0-9_]{1,63}$/;
const SLOT_RULE = '1 to 63 lower-case letters, digits or underscores (PostgreSQL allows no others)';

const fields = z.strictObject(
  {
    name: topicPart
      .default('cdc')
      .describe('Source name: the prefix of its topics <name>.<schema>.<table>, its slot and publication'),
    database: settingsSection('The database to capture', {
      url: stackEnvSchema.shape.CDC_PG_URL.default(STACK_ENV_DEFAULTS.CDC_PG_URL).describe(
        'PostgreSQL URL of a role with REPLICATION (env CDC_PG_URL); its password is never printed',
      ),
    }),
    tables: z
      .union([z.literal('all'), z.array(tableName).min(1, "must list at least one table, or be 'all'")], {
        error: "must be 'all' or a non-empty list of 'schema.table' names",
      })
      .default('all')
      .describe("'all' (a FOR ALL TABLES publication, needs a superuser) or a list of 'schema.table' names"),
    publication: z
      .string()
      .min(1)
      .refine((name) => Buffer.byteLength(name) <= 63, 'PostgreSQL names are at most 63 bytes')
      .optional()
      .describe('Publication to read; created if missing (default <name>_pub)'),
    slot: z
      .string()
      .regex(SLOT_NAME, `must be ${SLOT_RULE}`)
      .optional()
      .describe('Logical replication slot (pgoutput); created if missing (default <name>_slot)'),
    envelope: z
      .enum(ENVELOPES, { error: 'must be cdc or debezium' })
      .default('cdc')
      .describe(
        'cdc: our envelope (docs/contracts.md): the version (commit_lsn, seq) in every event, ' +
          'unchanged_fields, every type exact, what our processors and sinks read. debezium: the ' +
          "records of Debezium's PostgreSQL connector (3.6) with its default settings (its source, " +
          'transaction and snapshot fields, its type mapping, NOT NULL columns required, no truncate ' +
          'events, a keyless table keyed by its key_columns, else its first unique index, else null), ' +
          'for Debezium consumers; our ' +
          'processors and sinks do not read it (cdc config check refuses them on these topics)',
      ),
    snapshot: settingsSection('Initial copy of the tables', {
      mode: z
        .enum(['initial', 'never', 'initial_only', 'when_needed'], {
          error: 'must be one of initial, never, initial_only, when_needed',
        })
        .default('initial')
        .describe(
          'initial: snapshot once, then stream; never: stream only; initial_only: snapshot and stop; ' +
            'when_needed: snapshot again whenever the slot is missing or lost',
        ),
      chunk_rows: z
        .int('must be a whole number')
        .min(1, 'must be at least 1')
        .max(1_000_000, 'must be at most 1000000')
        .default(10_000)
        .describe('Rows read per snapshot query'),
    }),
    heartbeat: settingsSection('Heartbeats', {
      interval_ms: z
        .int('must be a whole number of milliseconds')
        .refine((ms) => ms === 0 || (ms >= 100 && ms <= 3_600_000), 'must be 0 (off) or 100 to 3600000')
        .default(10_000)
        .describe('Keeps the slot advancing while captured tables are idle; 0 disables'),
    }),
    keyless: settingsSection('Tables without a primary key', {
      allow: z
        .array(tableName)
        .default([])
        .describe(
          "'schema.table' names captured without a primary key (they need REPLICA IDENTITY FULL); " +
            'unless key_columns declares their key, the message key is the whole row, so every update ' +
            'is a delete and a create under a new key (envelope cdc), or, as in Debezium, its first unique ' +
            'index, else null (envelope debezium)',
        ),
      key_columns: z
        .record(
          tableName,
          z
            .array(columnName, { error: 'must be a list of column names' })
            .min(1, 'must list at least one column')
            .describe(
              "The message key columns of the table named by the key ('schema.table'), as in the catalog",
            ),
          {
            error: (issue) => {
              if (issue.code === 'invalid_type')
                return "must map 'schema.table' names to lists of column names";
              // A bad table name: its own problem (tableName's), not zod's generic "Invalid key".
              if (issue.code === 'invalid_key') return issue.issues[0]?.message;
              return undefined;
            },
          },
        )
        .default({})
        .describe(
          "Message key columns of tables without a primary key, as Debezium's message.key.columns: " +
            "{ 'public.events': [event_id] }. Declaring a table captures it without a primary key " +
            '(no need to list it in allow as well; it needs REPLICA IDENTITY FULL). Key fields follow ' +
            'the column order of the table (envelope cdc) or the order listed here (envelope debezium, as ' +
            'Debezium); a NULL in a declared column is part of the key',
        ),
    }),
    kafka: settingsSection('Kafka', {
      brokers: brokersSetting,
    }),
    registry: settingsSection('Schema registry', {
      url: stackEnvSchema.shape.SCHEMA_REGISTRY_URL.default(STACK_ENV_DEFAULTS.SCHEMA_REGISTRY_URL).describe(
        'Confluent-compatible schema registry base URL (env SCHEMA_REGISTRY_URL)',
      ),
    }),
  },
  MAPPING_ERROR,
);

/** The source's configuration: one schema, from which parsing, defaults and docs derive. */
export const sourceConfigSchema = fields.transform((config, ctx) => {
  const slot = config.slot ?? `${config.name}_slot`;
  if (config.slot === undefined && !SLOT_NAME.test(slot)) {
    ctx.issues.push({
      code: 'custom',
      input: slot,
      path: ['slot'],
      message: `the default '${slot}' derived from name is not a valid slot name; set slot explicitly to ${SLOT_RULE}`,
    });
  }
  const tables = config.tables === 'all' ? ('all' as const) : [...new Set(config.tables)];
  const notCaptured = (name: string) =>
    `${name} is not one of the captured tables; add it to tables or remove it here`;
  if (tables !== 'all') {
    config.keyless.allow.forEach((name, index) => {
      if (!tables.includes(name)) {
        ctx.issues.push({
          code: 'custom',
          input: name,
          path: ['keyless', 'allow', index],
          message: notCaptured(name),
        });
      }
    });
  }
  for (const [name, columns] of Object.entries(config.keyless.key_columns)) {
    if (tables !== 'all' && !tables.includes(name)) {
      ctx.issues.push({
        code: 'custom',
        input: name,
        path: ['keyless', 'key_columns', name],
        message: notCaptured(name),
      });
    }
    columns.forEach((column, index) => {
      if (columns.indexOf(column) !== index) {
        ctx.issues.push({
          code: 'custom',
          input: column,
          path: ['keyless', 'key_columns', name, index],
          message: `${column} is listed twice; list each key column once`,
        });
      }
    });
  }
  // Declaring a table's key columns is itself the explicit opt-in to capture it without a primary
  // key: `allow` is the one list of keyless tables that every check reads.
  const allow = [...new Set([...config.keyless.allow, ...Object.keys(config.keyless.key_columns)])];
  return {
    ...config,
    tables,
    publication: config.publication ?? `${config.name}_pub`,
    slot,
    keyless: { ...config.keyless, allow },
  };
});

export type SourceConfig = z.output<typeof sourceConfigSchema>;

/**
 * The keys that were camelCase before every setting of the pipeline file was snake_case (paths
 * inside the source: section). The old spellings still read, with a warning, until the next release.
 */
export const RENAMED_SOURCE_SETTINGS: readonly RenamedSetting[] = [
  { in: ['snapshot'], from: 'chunkRows', to: 'chunk_rows' },
  { in: ['heartbeat'], from: 'intervalMs', to: 'interval_ms' },
];

export interface SourceParseOptions {
  /** Told each warning (an old spelling); default: printed on stderr, once per process. */
  readonly onWarning?: (warning: string) => void;
}

interface Origin extends SourceParseOptions {
  file?: string;
  lineOf?: (path: ConfigPath) => number | undefined;
}

/** Parses and validates a source configuration; missing addresses come from the stack variables. */
export function parseSourceConfig(
  input: unknown,
  env: Env = process.env,
  options: SourceParseOptions = {},
): SourceConfig {
  return parseFrom(input ?? {}, env, options);
}

function parseFrom(input: unknown, env: Env, origin: Origin): SourceConfig {
  const renamed = applyRenamedSettings(input, RENAMED_SOURCE_SETTINGS, {
    prefix: ['source'],
    ...(origin.file ? { file: origin.file } : {}),
    ...(origin.lineOf ? { lineOf: origin.lineOf } : {}),
  });
  for (const warning of renamed.warnings) (origin.onWarning ?? printConfigWarning)(warning);
  const { value, fromEnv } = withSourceEnvFallbacks(renamed.value, env);
  const parsed = sourceConfigSchema.safeParse(value);
  if (parsed.success && renamed.problems.length === 0) return parsed.data;
  const problems = renamed.problemsWith(parsed.error?.issues ?? [], (issues) =>
    describeIssues(issues, sourceConfigSchema, {
      prefix: ['source'],
      ...(origin.lineOf ? { lineOf: origin.lineOf } : {}),
      envOf: (path) => fromEnv.get(formatConfigPath(path.slice(0, 2))),
    }),
  );
  const where = origin.file ? ` in the source: section of ${origin.file}` : '';
  throw new CdcError('INVALID_CONFIG', `invalid source configuration${where}:\n  ${problems.join('\n  ')}`, {
    fix: `correct the settings listed above${origin.file ? ` in ${origin.file}` : ''}`,
    details: { file: origin.file, problems },
  });
}

/**
 * Fills unset addresses from the environment (or the local stack's defaults) before parsing;
 * `fromEnv` tells which values came from which variable.
 */
export function withSourceEnvFallbacks(
  input: unknown,
  env: Env,
): { value: unknown; fromEnv: Map<string, string> } {
  const fromEnv = new Map<string, string>();
  if (!isRecord(input)) return { value: input, fromEnv };
  const value: Record<string, unknown> = { ...input };
  for (const { path, env: name } of ENV_FALLBACKS) {
    const [section, key] = path;
    const inner = value[section] ?? {};
    if (!isRecord(inner) || inner[key] !== undefined) continue;
    value[section] = { ...inner, [key]: env[name] ?? STACK_ENV_DEFAULTS[name] };
    if (env[name] !== undefined) fromEnv.set(formatConfigPath(path), name);
  }
  return { value, fromEnv };
}

/**
 * Reads the `source:` section of a YAML pipeline file. Without a file, the configuration is all
 * defaults plus the stack variables.
 */
export async function loadSourceConfig(
  file?: string,
  env: Env = process.env,
  options: SourceParseOptions = {},
): Promise<SourceConfig> {
  if (file === undefined) return parseSourceConfig({}, env, options);
  const yaml = await readYamlFile(file);
  const { root, path } = yaml;
  if (root !== null && !isRecord(root)) {
    throw new CdcError(
      'INVALID_CONFIG',
      `${path}: a pipeline file must be a mapping with a source: section`,
      {
        fix: 'start the file with `source:` and indent the source settings below it',
        details: { file: path },
      },
    );
  }
  return parseFrom(root?.source ?? {}, env, { ...options, file: path, lineOf: yaml.lineOf });
}

/** The configuration as YAML, safe to log: passwords in URLs are hidden. */
export function describeConfig(config: SourceConfig): string {
  return stringify({
    ...config,
    database: { url: redactUrl(config.database.url) },
    registry: { url: redactUrl(config.registry.url) },
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
