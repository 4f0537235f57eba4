import { describe, expect, it } from 'vitest';
import { CdcError } from '@cdc/core';
import { DEFAULT_DELETE_RETENTION_MS } from '../shared-settings.ts';
import { parseRedisSinkConfig, redisSinkSchema } from './config.ts';

const minimal = { kind: 'redis', name: 'patients-cache', topics: ['cdc.public.patients'] };

describe('redis sink config', () => {
  it('fills defaults', () => {
    expect(parseRedisSinkConfig(minimal)).toEqual({
      ...minimal,
      retry: { min_ms: 200, max_ms: 10_000 },
      format: 'hash',
      delete_retention_ms: DEFAULT_DELETE_RETENTION_MS,
      conflict: { policy: 'source_wins' },
    });
  });

  it('rejects unknown settings, and takes the shared ones', () => {
    expect(redisSinkSchema.safeParse({ ...minimal, ttl: 5 }).success).toBe(false);
    expect(parseRedisSinkConfig({ ...minimal, retry: { min_ms: 100 } }).retry).toEqual({
      min_ms: 100,
      max_ms: 10_000,
    });
  });

  it('says in plain words what is wrong', () => {
    const problems = (input: unknown) => {
      try {
        parseRedisSinkConfig(input);
        return '';
      } catch (error) {
        expect(error).toBeInstanceOf(CdcError);
        return (error as CdcError).message;
      }
    };
    expect(problems({ ...minimal, topics: [] })).toContain('sinks.topics: must list at least one topic');
    expect(problems({ ...minimal, key: 'patient' })).toContain('must reference at least one key field');
    expect(problems({ ...minimal, format: 'xml' })).toContain('must be hash or json');
    expect(problems({ ...minimal, url: 'http://x' })).toContain('must be a redis: or rediss: URL');
    expect(problems({ ...minimal, conflict: { policy: 'newest_wins' } })).toContain(
      'sinks.conflict.timestamp_field: newest_wins needs timestamp_field',
    );
  });
});
