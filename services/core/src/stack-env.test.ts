import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatExports, readStackEnv, STACK_ENV_DEFAULTS, STACK_ENV_NAMES } from './stack-env.ts';

describe('readStackEnv', () => {
  it('falls back to the documented defaults', () => {
    expect(readStackEnv({})).toEqual(STACK_ENV_DEFAULTS);
    expect(STACK_ENV_NAMES).toEqual([
      'CDC_PG_URL',
      'KAFKA_BROKERS',
      'SCHEMA_REGISTRY_URL',
      'REDIS_URL',
      'MONGO_URL',
      'FHIR_URL',
      'NOTION_URL',
      'GOOGLE_CALENDAR_URL',
      'ZIPKIN_URL',
      'PROMETHEUS_URL',
      'ALERTMANAGER_URL',
      'CDC_METRICS_TARGETS_DIR',
    ]);
  });

  it('takes values from the environment', () => {
    const env = readStackEnv({ KAFKA_BROKERS: 'a:1,b:2', REDIS_URL: 'rediss://cache:6380' });
    expect(env.KAFKA_BROKERS).toBe('a:1,b:2');
    expect(env.REDIS_URL).toBe('rediss://cache:6380');
  });

  it('names the variable and the expected form when a value is wrong', () => {
    expect(() => readStackEnv({ CDC_PG_URL: 'mysql://x', KAFKA_BROKERS: 'no-port' })).toThrow(
      /CDC_PG_URL: must be a postgres: or postgresql: URL[\s\S]*KAFKA_BROKERS: must be host:port/,
    );
  });
});

describe('formatExports', () => {
  it('prints lines that a POSIX shell evaluates back to the same values', () => {
    const values = {
      PLAIN: 'postgres://postgres@127.0.0.1:55432/cdc',
      TRICKY: `it's a "value" with $HOME and spaces`,
    };
    const script = `eval "$1"; printf '%s\\n%s' "$PLAIN" "$TRICKY"`;
    const output = execFileSync('sh', ['-c', script, 'sh', formatExports(values)], { encoding: 'utf8' });
    expect(output).toBe(`${values.PLAIN}\n${values.TRICKY}`);
  });
});
