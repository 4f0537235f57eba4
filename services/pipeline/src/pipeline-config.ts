import { stringify } from 'yaml';
import { z } from 'zod';
import {
  CdcError,
  MAPPING_ERROR,
  applyRenamedSettings,
  brokersSetting,
  printConfigWarning,
  serviceNameSetting,
  settingsSection,
  topicNameSetting,
  PUBLIC_API_URLS,
  STACK_ENV_DEFAULTS,
  describeIssues,
  readYamlFile,
  redactUrl,
  stackEnvSchema,
  type ConfigPath,
} from '@cdc/core';
import { rulesSchema, stepsSchema } from '@cdc/processor';
import { redactSinkConfig, sinkSchema } from '@cdc/sinks';
import { RENAMED_SOURCE_SETTINGS, sourceConfigSchema, withSourceEnvFallbacks } from '@cdc/source-postgres';
import { checkDebeziumInputs, checkProcessorLinks } from './pipeline-links.ts';

type Env = Record<string, string | undefined>;

const topic = topicNameSetting;

/**
 * Exactly-once is the default: on the demo pipeline it cost less than a third of the
 * at-least-once throughput (BENCHMARKS.md, processors), the bar the project set for defaults.
 */
export const DEFAULT_DELIVERY = 'exactly_once';

const processorCommon = {
  name: serviceNameSetting.describe(
    'Unique name of the processor: its consumer group, its spans and its dead letters say it',
  ),
  input: topic.describe('Topic to read, e.g. cdc.public.patients'),
  output: topic.describe(
    'Topic to write, e.g. cdc.public.patients.valid; created with the input partition count',
  ),
  delivery: z
    .enum(['exactly_once', 'at_least_once'], { error: 'must be exactly_once or at_least_once' })
    .default(DEFAULT_DELIVERY)
    .describe(
      'exactly_once: outputs and input offsets in one Kafka transaction (readers use read_committed); ' +
        'at_least_once: offsets committed after the outputs are acknowledged (a crash may repeat a batch)',
    ),
};

const validator = z
  .strictObject(
    {
      ...processorCommon,
      kind: z
        .literal('validate')
        .describe('A validator: valid events pass unchanged, invalid ones go to <input>.dlq'),
      rules: rulesSchema,
    },
    MAPPING_ERROR,
  )
  .describe('Validator');

const transformer = z
  .strictObject(
    {
      ...processorCommon,
      kind: z
        .literal('transform')
        .describe('A transformer: applies its steps and registers the derived schema'),
      steps: stepsSchema,
    },
    MAPPING_ERROR,
  )
  .describe('Transformer');

const processor = z
  .discriminatedUnion('kind', [validator, transformer], {
    error: (issue) =>
      issue.code === 'invalid_union' ? 'kind must be validate or transform' : 'must be a mapping of settings',
  })
  .describe('A stateless processor from one topic to another');

const fields = z.strictObject(
  {
    source: sourceConfigSchema.optional().describe('The PostgreSQL source (see the source settings)'),
    kafka: settingsSection('Kafka, for processors and sinks', {
      brokers: brokersSetting,
    }),
    registry: settingsSection('Schema registry, for processors and sinks', {
      url: stackEnvSchema.shape.SCHEMA_REGISTRY_URL.default(STACK_ENV_DEFAULTS.SCHEMA_REGISTRY_URL).describe(
        'Confluent-compatible schema registry base URL (env SCHEMA_REGISTRY_URL)',
      ),
    }),
    redis: settingsSection('Redis, for enrichment lookups', {
      url: stackEnvSchema.shape.REDIS_URL.default(STACK_ENV_DEFAULTS.REDIS_URL).describe(
        'Redis URL (env REDIS_URL); its password is never printed',
      ),
    }),
    mongo: settingsSection('MongoDB, for MongoDB sinks', {
      url: stackEnvSchema.shape.MONGO_URL.default(STACK_ENV_DEFAULTS.MONGO_URL).describe(
        'MongoDB URL (env MONGO_URL); its password is never printed',
      ),
    }),
    fhir: settingsSection('FHIR R4 server, for FHIR sinks', {
      url: stackEnvSchema.shape.FHIR_URL.default(STACK_ENV_DEFAULTS.FHIR_URL).describe(
        'FHIR R4 base URL, such as https://fhir.ministry.example/r4 (env FHIR_URL)',
      ),
    }),
    notion: settingsSection('Notion API, for Notion sinks', {
      url: stackEnvSchema.shape.NOTION_URL.default(PUBLIC_API_URLS.NOTION_URL).describe(
        `Notion API base URL (env NOTION_URL; default ${PUBLIC_API_URLS.NOTION_URL})`,
      ),
    }),
    google_calendar: settingsSection('Google Calendar API, for Google Calendar sinks', {
      url: stackEnvSchema.shape.GOOGLE_CALENDAR_URL.default(PUBLIC_API_URLS.GOOGLE_CALENDAR_URL).describe(
        `Google APIs root URL (env GOOGLE_CALENDAR_URL; default ${PUBLIC_API_URLS.GOOGLE_CALENDAR_URL})`,
      ),
    }),
    processors: z
      .array(processor, { error: 'must be a list of processors' })
      .default([])
      .describe('Processors, each from its input topic to its output topic'),
    sinks: z
      .array(sinkSchema, { error: 'must be a list of sinks' })
      .default([])
      .describe('Sinks, each writing the change events of its topics to a target'),
  },
  MAPPING_ERROR,
);

/** The whole pipeline file: one schema from which parsing, the JSON Schema and the docs derive. */
export const pipelineSchema = fields.superRefine(
  (config, ctx) => {
    checkProcessorLinks(config, ctx);
    checkDebeziumInputs(config, ctx);
  },
  { when: () => true },
);

export type PipelineConfig = z.output<typeof pipelineSchema>;
export type ProcessorConfig = PipelineConfig['processors'][number];
export type PipelineSinkConfig = PipelineConfig['sinks'][number];

const ENV_FALLBACKS = [
  { path: ['kafka', 'brokers'], env: 'KAFKA_BROKERS' },
  { path: ['registry', 'url'], env: 'SCHEMA_REGISTRY_URL' },
  { path: ['redis', 'url'], env: 'REDIS_URL' },
  { path: ['mongo', 'url'], env: 'MONGO_URL' },
  { path: ['fhir', 'url'], env: 'FHIR_URL' },
  { path: ['notion', 'url'], env: 'NOTION_URL' },
  { path: ['google_calendar', 'url'], env: 'GOOGLE_CALENDAR_URL' },
] as const;

/** Fills unset addresses from the environment before parsing; says which came from where. */
function withEnvFallbacks(input: Record<string, unknown>, env: Env) {
  const value: Record<string, unknown> = { ...input };
  const fromEnv = new Map<string, string>();
  for (const { path, env: name } of ENV_FALLBACKS) {
    const [key, setting] = path;
    const inner = value[key] ?? {};
    if (!isRecord(inner) || inner[setting] !== undefined || env[name] === undefined) continue;
    value[key] = { ...inner, [setting]: env[name] };
    fromEnv.set(`${key}.${setting}`, name);
  }
  if (value.source !== undefined) {
    const source = withSourceEnvFallbacks(value.source, env);
    value.source = source.value;
    for (const [path, name] of source.fromEnv) fromEnv.set(`source.${path}`, name);
  }
  return { value, fromEnv };
}

export interface ParseOptions {
  readonly file?: string;
  readonly lineOf?: (path: ConfigPath) => number | undefined;
  /** Told each warning (a setting under its old spelling); default: printed on stderr, once. */
  readonly onWarning?: (warning: string) => void;
}

const RENAMED_SETTINGS = RENAMED_SOURCE_SETTINGS.map((rename) => ({
  ...rename,
  in: ['source', ...rename.in],
}));

/** Validates a whole pipeline configuration; every problem is listed with its path and a hint. */
export function parsePipelineConfig(
  input: unknown,
  env: Env = process.env,
  options: ParseOptions = {},
): PipelineConfig {
  const where = options.file ? ` in ${options.file}` : '';
  if (input !== null && input !== undefined && !isRecord(input)) {
    throw new CdcError(
      'INVALID_CONFIG',
      `invalid pipeline configuration${where}: must be a mapping of sections`,
      {
        fix: 'write the file as sections such as source:, processors: (see connectors/README.md)',
      },
    );
  }
  const renamed = applyRenamedSettings(input ?? {}, RENAMED_SETTINGS, options);
  for (const warning of renamed.warnings) (options.onWarning ?? printConfigWarning)(warning);
  const { value, fromEnv } = withEnvFallbacks(renamed.value as Record<string, unknown>, env);
  const parsed = pipelineSchema.safeParse(value);
  if (parsed.success && renamed.problems.length === 0) return parsed.data;
  const problems = renamed.problemsWith(parsed.error?.issues ?? [], (issues) =>
    describeIssues(issues, pipelineSchema, {
      ...(options.lineOf ? { lineOf: options.lineOf } : {}),
      envOf: (path) =>
        fromEnv.get(
          path
            .slice(0, path[0] === 'source' ? 3 : 2)
            .map(String)
            .join('.')
            .replace(/\.\d+$/u, ''),
        ),
    }),
  );
  throw new CdcError(
    'INVALID_CONFIG',
    `invalid pipeline configuration${where}:\n  ${problems.join('\n  ')}`,
    {
      fix: `correct the settings listed above${where}; the reference is docs/pipeline-config.md`,
      details: { file: options.file, problems },
    },
  );
}

/** Reads and validates a pipeline YAML file (connectors/*.yaml). */
export async function loadPipelineConfig(
  file: string,
  env: Env = process.env,
  options: Pick<ParseOptions, 'onWarning'> = {},
): Promise<PipelineConfig> {
  const yaml = await readYamlFile(file);
  return parsePipelineConfig(yaml.root, env, { ...options, file: yaml.path, lineOf: yaml.lineOf });
}

/** The processor of that name, or an error listing the names there are. */
export function findProcessor(config: PipelineConfig, name: string): ProcessorConfig {
  const found = config.processors.find((p) => p.name === name);
  if (!found) {
    const known = config.processors.map((p) => p.name);
    throw new CdcError('UNKNOWN_PROCESSOR', `no processor named '${name}' in the pipeline`, {
      fix:
        known.length > 0
          ? `use one of: ${known.join(', ')}`
          : 'declare it under processors: in the pipeline file',
    });
  }
  return found;
}

/** The sink of that name, or an error listing the names there are. */
export function findSink(config: PipelineConfig, name: string): PipelineSinkConfig {
  const found = config.sinks.find((s) => s.name === name);
  if (!found) {
    const known = config.sinks.map((s) => s.name);
    throw new CdcError('UNKNOWN_SINK', `no sink named '${name}' in the pipeline`, {
      fix:
        known.length > 0 ? `use one of: ${known.join(', ')}` : 'declare it under sinks: in the pipeline file',
    });
  }
  return found;
}

/** A service of the pipeline, as `cdc run <service>` names it. */
export type PipelineService =
  | { readonly kind: 'source' }
  | { readonly kind: 'processor'; readonly config: ProcessorConfig }
  | { readonly kind: 'sink'; readonly config: PipelineSinkConfig };

/**
 * The service `name` denotes: `source` is always the source; any other name is a processor's or a
 * sink's. Names are unique among processors and among sinks, but a processor and a sink may share
 * one (their consumer groups differ): such a name is refused here, with the commands that tell.
 */
export function findService(config: PipelineConfig, name: string): PipelineService {
  if (name === 'source') return { kind: 'source' };
  const processor = config.processors.find((p) => p.name === name);
  const sink = config.sinks.find((s) => s.name === name);
  if (processor && sink) {
    throw new CdcError('AMBIGUOUS_SERVICE', `'${name}' names both a processor and a sink`, {
      fix: `run one of them by kind: cdc processor run ${name}, or cdc sink run ${name}`,
    });
  }
  if (processor) return { kind: 'processor', config: processor };
  if (sink) return { kind: 'sink', config: sink };
  const known = [
    ...(config.source ? ['source'] : []),
    ...config.processors.map((p) => p.name),
    ...config.sinks.map((s) => s.name),
  ];
  throw new CdcError('UNKNOWN_SERVICE', `no service named '${name}' in the pipeline`, {
    fix:
      known.length > 0
        ? `use one of: ${known.join(', ')}`
        : 'declare a source:, processors: or sinks: section in the pipeline file',
  });
}

/** The addresses processors and sinks connect to. */
export function connectionsOf(config: PipelineConfig) {
  return {
    brokers: config.kafka.brokers,
    registryUrl: config.registry.url,
    redisUrl: config.redis.url,
    targets: {
      redis: config.redis.url,
      mongo: config.mongo.url,
      fhir: config.fhir.url,
      notion: config.notion.url,
      google_calendar: config.google_calendar.url,
    },
  };
}

/** The configuration as YAML, safe to log: passwords in URLs and every sink kind's secrets are hidden. */
export function describePipelineConfig(config: PipelineConfig): string {
  return stringify(
    {
      ...config,
      ...(config.source
        ? {
            source: {
              ...config.source,
              database: { url: redactUrl(config.source.database.url) },
              registry: { url: redactUrl(config.source.registry.url) },
            },
          }
        : {}),
      registry: { url: redactUrl(config.registry.url) },
      redis: { url: redactUrl(config.redis.url) },
      mongo: { url: redactUrl(config.mongo.url) },
      fhir: { url: redactUrl(config.fhir.url) },
      notion: { url: redactUrl(config.notion.url) },
      google_calendar: { url: redactUrl(config.google_calendar.url) },
      sinks: config.sinks.map(redactSinkConfig),
    },
    (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
