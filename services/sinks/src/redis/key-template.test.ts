import { describe, expect, it } from 'vitest';
import { event } from '../../test/conformance.ts';
import { bookkeepingKey, parseKeyTemplate, recordKey, type KeyTemplate } from './key-template.ts';

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
});
