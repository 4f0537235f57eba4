import { describe, expect, it } from 'vitest';
import { CdcError } from '@cdc/core';
import { mongoSinkSchema, parseMongoSinkConfig } from './config.ts';

const minimal = { kind: 'mongodb', name: 'to-mongo', topics: ['cdc.public.patients'], database: 'clinic' };

describe('mongoSinkSchema', () => {
  it('fills the defaults', () => {
    expect(mongoSinkSchema.parse(minimal)).toEqual({
      ...minimal,
      retry: { min_ms: 200, max_ms: 10_000 },
      collection: '{table}',
      delete_retention_ms: 7 * 24 * 60 * 60 * 1000,
      conflict: { policy: 'source_wins' },
    });
  });

  it('lists every problem in plain words, with its path', () => {
    const error = (() => {
      try {
        parseMongoSinkConfig({
          ...minimal,
          topics: [],
          collection: 'a$b',
          fields: { rename: { email: 'contact.email' } },
          conflict: { policy: 'newest_wins' },
          color: 'red',
        });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CdcError);
    const message = (error as CdcError).message;
    expect(message).toContain('sinks.topics: must list at least one topic');
    expect(message).toContain("sinks.collection: must be a collection name: not empty, no '$'");
    expect(message).toContain("sinks.fields.rename.email: must be a field name without '.'");
    expect(message).toContain('sinks.conflict.timestamp_field: newest_wins needs timestamp_field');
    expect(message).toContain(
      'sinks.color: unknown setting; known here: kind, name, topics, rate_limit, retry',
    );
  });

  it('accepts a template and a full mapping', () => {
    const config = mongoSinkSchema.parse({
      ...minimal,
      url: 'mongodb://127.0.0.1:57017',
      collection: '{schema}_{table}',
      fields: { select: ['id', 'email'], rename: { email: 'contact_email' } },
      conflict: { policy: 'newest_wins', timestamp_field: 'edited_at' },
    });
    expect(config.fields?.rename).toEqual({ email: 'contact_email' });
  });

  it('refuses a rename of a column that is not selected, and unknown placeholders', () => {
    expect(() =>
      parseMongoSinkConfig({ ...minimal, fields: { select: ['id'], rename: { email: 'e' } } }),
    ).toThrow('email is not selected');
    expect(() => parseMongoSinkConfig({ ...minimal, collection: '{topic}' })).toThrow(
      'only {table} and {schema} may appear in braces',
    );
  });
});
