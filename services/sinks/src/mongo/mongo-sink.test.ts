import { describe, expect, it } from 'vitest';
import { CdcError } from '@cdc/core';
import type { MongoSinkConfigInput } from './config.ts';
import { createMongoSink } from './mongo-sink.ts';

const entry: MongoSinkConfigInput = {
  kind: 'mongodb',
  name: 'to-mongo',
  topics: ['cdc.public.patients'],
  database: 'clinic',
};

describe('createMongoSink', () => {
  it("takes the entry with the sink runtime's own settings", async () => {
    const sink = createMongoSink({ ...entry, retry: { min_ms: 10 } });
    expect(sink.name).toBe('to-mongo');
    await sink.close();
  });

  it('refuses an invalid entry with a configuration error', () => {
    expect(() => createMongoSink({ ...entry, delete_retention_ms: 5 })).toThrow(CdcError);
  });
});
