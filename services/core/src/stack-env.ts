import { z } from 'zod';

/**
 * The connection variables promised in docs/contracts.md. Every service and test reads these names;
 * `cdc stack env` prints them for the local stack.
 */
export const STACK_ENV_DEFAULTS = {
  CDC_PG_URL: 'postgres://postgres@127.0.0.1:55432/cdc',
  KAFKA_BROKERS: '127.0.0.1:59092',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:58081/apis/ccompat/v7',
  REDIS_URL: 'redis://127.0.0.1:56379',
  MONGO_URL: 'mongodb://127.0.0.1:57017',
  FHIR_URL: 'http://127.0.0.1:58090/fhir',
  NOTION_URL: 'http://127.0.0.1:58091',
  GOOGLE_CALENDAR_URL: 'http://127.0.0.1:58092',
  ZIPKIN_URL: 'http://127.0.0.1:59411',
  PROMETHEUS_URL: 'http://127.0.0.1:59090',
  ALERTMANAGER_URL: 'http://127.0.0.1:59094',
  // A folder, not a server: `cdc stack env` prints it absolute; this default is relative to the
  // folder a command runs in, the repository's when run through npm.
  CDC_METRICS_TARGETS_DIR: '.stack/prometheus/targets',
} as const;

export type StackEnvName = keyof typeof STACK_ENV_DEFAULTS;

/**
 * Where the variables of SaaS APIs point when a pipeline file leaves them unset: the real APIs.
 * The local stack's defaults above are its emulators (services/emulators), for tests and the demo.
 */
export const PUBLIC_API_URLS = {
  NOTION_URL: 'https://api.notion.com',
  GOOGLE_CALENDAR_URL: 'https://www.googleapis.com',
} as const satisfies Partial<Record<StackEnvName, string>>;
export const STACK_ENV_NAMES = Object.keys(STACK_ENV_DEFAULTS) as StackEnvName[];

const url = (protocols: string[], example: string) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `must be a ${protocols.join(' or ')} URL such as ${example}`,
    );

export const stackEnvSchema = z.object({
  CDC_PG_URL: url(['postgres:', 'postgresql:'], STACK_ENV_DEFAULTS.CDC_PG_URL).describe(
    'Source PostgreSQL (wal_level=logical), connecting as a role with REPLICATION',
  ),
  KAFKA_BROKERS: z
    .string()
    .trim()
    .regex(/^[^,\s:]+:\d+(,[^,\s:]+:\d+)*$/, 'must be host:port[,host:port...] such as 127.0.0.1:59092')
    .describe('Comma-separated Kafka bootstrap servers'),
  SCHEMA_REGISTRY_URL: url(['http:', 'https:'], STACK_ENV_DEFAULTS.SCHEMA_REGISTRY_URL).describe(
    'Confluent-compatible schema registry base URL',
  ),
  REDIS_URL: url(['redis:', 'rediss:'], STACK_ENV_DEFAULTS.REDIS_URL).describe('Redis sink'),
  MONGO_URL: url(['mongodb:', 'mongodb+srv:'], STACK_ENV_DEFAULTS.MONGO_URL).describe('MongoDB-wire sink'),
  FHIR_URL: url(['http:', 'https:'], STACK_ENV_DEFAULTS.FHIR_URL).describe(
    'FHIR R4 server base URL (the health ministry sink), without a trailing slash',
  ),
  NOTION_URL: url(['http:', 'https:'], STACK_ENV_DEFAULTS.NOTION_URL).describe(
    "Notion API base URL (Notion sinks), such as https://api.notion.com; the local stack's is its emulator",
  ),
  GOOGLE_CALENDAR_URL: url(['http:', 'https:'], STACK_ENV_DEFAULTS.GOOGLE_CALENDAR_URL).describe(
    "Google APIs root URL (Google Calendar sinks), such as https://www.googleapis.com; the local stack's is its emulator",
  ),
  ZIPKIN_URL: url(['http:', 'https:'], STACK_ENV_DEFAULTS.ZIPKIN_URL).describe(
    'Zipkin server base URL: spans are posted to /api/v2/spans, and its UI shows the traces',
  ),
  PROMETHEUS_URL: url(['http:', 'https:'], STACK_ENV_DEFAULTS.PROMETHEUS_URL).describe(
    'Prometheus server base URL (query API /api/v1), which scrapes the services and evaluates the alert rules',
  ),
  ALERTMANAGER_URL: url(['http:', 'https:'], STACK_ENV_DEFAULTS.ALERTMANAGER_URL).describe(
    'Alertmanager base URL, to which Prometheus sends firing alerts',
  ),
  CDC_METRICS_TARGETS_DIR: z
    .string()
    .trim()
    .min(1, 'must be a folder')
    .describe(
      'Folder of Prometheus file-based service discovery: a service writes its metrics address there (one JSON file) while it runs',
    ),
});

export type StackEnv = z.infer<typeof stackEnvSchema>;

/** Reads the stack variables from an environment, falling back to the local stack's defaults. */
export function readStackEnv(env: Record<string, string | undefined> = process.env): StackEnv {
  const values = Object.fromEntries(
    STACK_ENV_NAMES.map((name) => [name, env[name] ?? STACK_ENV_DEFAULTS[name]]),
  );
  const parsed = stackEnvSchema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid stack environment:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

export function kafkaBrokerList(env: Pick<StackEnv, 'KAFKA_BROKERS'>): string[] {
  return env.KAFKA_BROKERS.split(',');
}

/** Formats variables as `export NAME=value` lines that a POSIX shell can eval. */
export function formatExports(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}`)
    .join('\n');
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
