import { resolve } from 'node:path';
import { z } from 'zod';
import { repoRoot } from './repo-root.ts';

/**
 * Every setting of the local stack, declared once: environment variable, default and meaning.
 * Parsing, error messages and `cdc stack --help` all derive from this table.
 */
export const STACK_SETTINGS = {
  dir: {
    env: 'CDC_STACK_DIR',
    default: '.stack',
    description: 'folder for downloaded servers, data, logs and pid files (relative to the repo)',
  },
  pgPort: { env: 'CDC_STACK_PG_PORT', default: '55432', description: 'PostgreSQL port' },
  kafkaPort: { env: 'CDC_STACK_KAFKA_PORT', default: '59092', description: 'Kafka client port' },
  kafkaControllerPort: {
    env: 'CDC_STACK_KAFKA_CONTROLLER_PORT',
    default: '59093',
    description: 'Kafka KRaft controller port',
  },
  registryPort: {
    env: 'CDC_STACK_REGISTRY_PORT',
    default: '58081',
    description: 'schema registry HTTP port',
  },
  registryManagementPort: {
    env: 'CDC_STACK_REGISTRY_MANAGEMENT_PORT',
    default: '58082',
    description: 'schema registry management (health, metrics) port',
  },
  redisPort: { env: 'CDC_STACK_REDIS_PORT', default: '56379', description: 'Redis port' },
  mongoPort: { env: 'CDC_STACK_MONGO_PORT', default: '57017', description: 'MongoDB-wire port' },
  fhirPort: { env: 'CDC_STACK_FHIR_PORT', default: '58090', description: 'FHIR server HTTP port' },
  notionPort: { env: 'CDC_STACK_NOTION_PORT', default: '58091', description: 'Notion API emulator port' },
  calendarPort: {
    env: 'CDC_STACK_CALENDAR_PORT',
    default: '58092',
    description: 'Google Calendar API emulator port',
  },
  zipkinPort: { env: 'CDC_STACK_ZIPKIN_PORT', default: '59411', description: 'Zipkin (traces, UI) port' },
  prometheusPort: {
    env: 'CDC_STACK_PROMETHEUS_PORT',
    default: '59090',
    description: 'Prometheus (metrics, UI) port',
  },
  alertmanagerPort: {
    env: 'CDC_STACK_ALERTMANAGER_PORT',
    default: '59094',
    description: 'Alertmanager port',
  },
} as const;

type SettingKey = keyof typeof STACK_SETTINGS;
export type PortSetting = Exclude<SettingKey, 'dir'>;

const port = z.coerce
  .number()
  .int()
  .min(1024, 'must be a port number from 1024 to 65535')
  .max(65535, 'must be a port number from 1024 to 65535');

const schema = z.object({
  dir: z.string().min(1),
  pgPort: port,
  kafkaPort: port,
  kafkaControllerPort: port,
  registryPort: port,
  registryManagementPort: port,
  redisPort: port,
  mongoPort: port,
  fhirPort: port,
  notionPort: port,
  calendarPort: port,
  zipkinPort: port,
  prometheusPort: port,
  alertmanagerPort: port,
});

export type StackSettings = z.infer<typeof schema>;

export function readStackSettings(env: Record<string, string | undefined> = process.env): StackSettings {
  const raw = Object.fromEntries(
    (Object.keys(STACK_SETTINGS) as SettingKey[]).map((key) => {
      const setting = STACK_SETTINGS[key];
      return [key, env[setting.env] ?? setting.default];
    }),
  );
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path[0] as SettingKey;
      const setting = STACK_SETTINGS[key];
      return `${setting.env}=${String(raw[key])}: ${issue.message} (unset it to use ${setting.default})`;
    });
    throw new Error(`invalid local stack settings:\n  ${problems.join('\n  ')}`);
  }
  const settings = { ...parsed.data, dir: resolve(repoRoot(), parsed.data.dir) };
  assertDistinctPorts(settings);
  return settings;
}

function assertDistinctPorts(settings: StackSettings): void {
  const seen = new Map<number, SettingKey>();
  for (const key of Object.keys(STACK_SETTINGS) as SettingKey[]) {
    if (key === 'dir') continue;
    const value = settings[key];
    const other = seen.get(value);
    if (other) {
      throw new Error(
        `invalid local stack settings: ${STACK_SETTINGS[key].env} and ${STACK_SETTINGS[other].env} ` +
          `both use port ${value}; give each server its own port`,
      );
    }
    seen.set(value, key);
  }
}

/** One line per setting, for help texts. */
export function describeSettings(): string {
  return Object.values(STACK_SETTINGS)
    .map((s) => `  ${s.env.padEnd(34)} ${s.description} (default ${s.default})`)
    .join('\n');
}
