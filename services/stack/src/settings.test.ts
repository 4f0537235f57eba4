import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STACK_ENV_DEFAULTS } from '@cdc/core';
import { repoRoot } from './repo-root.ts';
import { readStackSettings } from './settings.ts';
import { Stack } from './stack.ts';

describe('local stack settings', () => {
  it('default to the ports of the documented connection variables', () => {
    expect(new Stack(readStackSettings({})).env()).toEqual({
      ...STACK_ENV_DEFAULTS,
      // A folder: printed absolute, so that a service finds it whatever folder it runs in.
      CDC_METRICS_TARGETS_DIR: join(repoRoot(), STACK_ENV_DEFAULTS.CDC_METRICS_TARGETS_DIR),
    });
  });

  it('move every connection variable along with an overridden port or stack folder', () => {
    const env = new Stack(
      readStackSettings({
        CDC_STACK_PG_PORT: '15432',
        CDC_STACK_KAFKA_PORT: '19092',
        CDC_STACK_REGISTRY_PORT: '18081',
        CDC_STACK_REDIS_PORT: '16379',
        CDC_STACK_MONGO_PORT: '17017',
        CDC_STACK_FHIR_PORT: '18090',
        CDC_STACK_NOTION_PORT: '18091',
        CDC_STACK_CALENDAR_PORT: '18092',
        CDC_STACK_ZIPKIN_PORT: '19411',
        CDC_STACK_PROMETHEUS_PORT: '19090',
        CDC_STACK_ALERTMANAGER_PORT: '19094',
        CDC_STACK_DIR: '/var/tmp/other-stack',
      }),
    ).env();
    expect(env).toEqual({
      CDC_PG_URL: 'postgres://postgres@127.0.0.1:15432/cdc',
      KAFKA_BROKERS: '127.0.0.1:19092',
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:18081/apis/ccompat/v7',
      REDIS_URL: 'redis://127.0.0.1:16379',
      MONGO_URL: 'mongodb://127.0.0.1:17017',
      FHIR_URL: 'http://127.0.0.1:18090/fhir',
      NOTION_URL: 'http://127.0.0.1:18091',
      GOOGLE_CALENDAR_URL: 'http://127.0.0.1:18092',
      ZIPKIN_URL: 'http://127.0.0.1:19411',
      PROMETHEUS_URL: 'http://127.0.0.1:19090',
      ALERTMANAGER_URL: 'http://127.0.0.1:19094',
      CDC_METRICS_TARGETS_DIR: '/var/tmp/other-stack/prometheus/targets',
    });
  });

  it('name the variable, the problem and the fix for a bad port', () => {
    expect(() => readStackSettings({ CDC_STACK_REDIS_PORT: '80' })).toThrow(
      'CDC_STACK_REDIS_PORT=80: must be a port number from 1024 to 65535 (unset it to use 56379)',
    );
    expect(() => readStackSettings({ CDC_STACK_MONGO_PORT: 'abc' })).toThrow(/CDC_STACK_MONGO_PORT=abc/);
  });

  it('refuse two servers on one port', () => {
    expect(() => readStackSettings({ CDC_STACK_MONGO_PORT: '59092' })).toThrow(
      /CDC_STACK_MONGO_PORT and CDC_STACK_KAFKA_PORT both use port 59092/,
    );
  });

  it('resolve the stack folder against the repository', () => {
    expect(readStackSettings({ CDC_STACK_DIR: '/var/tmp/elsewhere' }).dir).toBe('/var/tmp/elsewhere');
    expect(readStackSettings({}).dir).toMatch(/\/\.stack$/);
  });
});
