import { describe, expect, it } from 'vitest';
import { event } from '../../test/conformance.ts';
import {
  bookkeepingKey,
  parseKeyTemplate,
  recordKey,
  unnamedKeyFields,
  type KeyTemplate,
} from './key-template.ts';

const template = (source: string) => parseKeyTemplate(source) as KeyTemplate;

describe('key templates', () => {
  it('fills placeholders from the event key', () => {
    const composite = { ...event('c', 1), key: { tenant: 'acme', id: 42n } };
    expect(recordKey(template('t:{tenant}:patient:{id}'), composite)).toEqual({ key: 't:acme:patient:42' });
    expect(recordKey(undefined, composite)).toEqual({ key: 'patients:acme:42' });
    expect(bookkeepingKey('patients:1')).toBe('patients:1:cdc');
  });

  it('says what is wrong with a template', () => {
    expect(parseKeyTemplate('patient')).toMatch(/at least one key field/);
    expect(parseKeyTemplate('patient:{id')).toMatch(/unbalanced/);
    expect(parseKeyTemplate('patient:{1d}')).toMatch(/not a field name/);
  });

  it('gives a reason instead of a key when a key field is missing or null', () => {
    const missing = { ...event('c', 1), key: {} };
    expect(recordKey(template('patient:{id}'), missing)).toMatchObject({
      reason: /no usable value for \{id\}/,
    });
    expect(recordKey(undefined, missing)).toMatchObject({ reason: /no key fields/ });
    const nullKey = { ...event('c', 1), key: { id: null } };
    expect(recordKey(template('patient:{id}'), nullKey)).toHaveProperty('reason');
  });

  it('finds the key fields a template does not name', () => {
    expect(unnamedKeyFields(template('t:{id}'), ['id', 'tenant'])).toEqual(['tenant']);
    expect(unnamedKeyFields(template('t:{tenant}:{id}'), ['id', 'tenant'])).toEqual([]);
    // The whole row of a keyless table: every column is a key field.
    expect(unnamedKeyFields(template('e:{event_id}'), ['event_id', 'at', 'payload'])).toEqual([
      'at',
      'payload',
    ]);
  });

  it('refuses an event whose key has fields the template does not name, saying how to fix the sink', () => {
    // (id, tenant) rows that share an id would overwrite each other's record under t:{id}.
    const composite = { ...event('u', 1), key: { id: 1n, tenant: 'acme' } };
    const result = recordKey(template('t:{id}'), composite);
    expect(result).toEqual({
      reason:
        "the sink's key 't:{id}' does not name the key field {tenant} of public.patients, so rows that differ " +
        "only there would share one Redis record; name every key field in key (such as 't:{id}:{tenant}'), or " +
        'leave key out for <table>:<key values>; then redrive the dead letters (cdc dlq redrive cdc.public.patients)',
    });
    // Without a template the key is every key value: always determined.
    expect(recordKey(undefined, composite)).toEqual({ key: 'patients:1:acme' });
  });
});
