import { describe, expect, it } from 'vitest';
import { CdcError } from '@cdc/core';
import {
  describeKey,
  keyMatches,
  parseDuration,
  parseKey,
  parseTableName,
} from '../src/trace/trace-arguments.ts';

describe('cdc trace arguments', () => {
  it('reads schema.table, and a bare table in schema public', () => {
    expect(parseTableName('billing.invoices')).toEqual({ schema: 'billing', name: 'invoices' });
    expect(parseTableName('patients')).toEqual({ schema: 'public', name: 'patients' });
    for (const bad of ['', 'a.b.c', '.patients', 'public.'])
      expect(() => parseTableName(bad)).toThrow(CdcError);
  });

  it('reads a single value, name=value pairs and a JSON object', () => {
    expect(parseKey('42')).toEqual({ kind: 'value', value: '42' });
    expect(parseKey('MRN 1, 2')).toEqual({ kind: 'value', value: 'MRN 1, 2' });
    expect(parseKey('tenant=acme,id=42')).toEqual({
      kind: 'fields',
      fields: new Map([
        ['tenant', 'acme'],
        ['id', '42'],
      ]),
    });
    expect(parseKey('{"tenant": "a,b", "id": 42}')).toEqual({
      kind: 'fields',
      fields: new Map([
        ['tenant', 'a,b'],
        ['id', '42'],
      ]),
    });
  });

  it('keeps every digit of a JSON number beyond 2^53', () => {
    const key = parseKey('{"id": 9007199254740993}');
    expect(key).toEqual({ kind: 'fields', fields: new Map([['id', '9007199254740993']]) });
    expect(keyMatches(key, { id: 9007199254740993n })).toBe(true);
  });

  it('refuses keys it cannot look for, saying how to write one', () => {
    for (const bad of ['', '{"id": null}', '{}', '{"a": [1', '{oops', 'id=1,id=2']) {
      expect(() => parseKey(bad), bad).toThrow(/the key .* (is empty|no value|names no|JSON|twice)/);
    }
    try {
      parseKey('{oops');
    } catch (error) {
      expect((error as CdcError).code).toBe('INVALID_ARGUMENT');
      expect((error as CdcError).fix).toMatch(/name=value/);
    }
  });

  it('compares decoded keys as text, whatever their types', () => {
    expect(keyMatches(parseKey('42'), { id: 42n })).toBe(true);
    expect(keyMatches(parseKey('42'), { id: 42 })).toBe(true);
    expect(keyMatches(parseKey('42'), { id: '42' })).toBe(true);
    expect(keyMatches(parseKey('42'), { id: 43n })).toBe(false);
    // A single value names a one-field key only.
    expect(keyMatches(parseKey('42'), { tenant: 'acme', id: 42n })).toBe(false);
    const composite = parseKey('id=42,tenant=acme');
    expect(keyMatches(composite, { tenant: 'acme', id: 42n })).toBe(true);
    expect(keyMatches(composite, { tenant: 'other', id: 42n })).toBe(false);
    expect(keyMatches(composite, { tenant: 'acme', id: 42n, region: 'eu' })).toBe(false);
    expect(keyMatches(parseKey('id=42'), { tenant: 'acme', id: 42n })).toBe(false);
    // A whole-row key's null fields cannot be given: the others identify the row.
    expect(keyMatches(parseKey('id=42'), { id: 42n, note: null })).toBe(true);
  });

  it('describes a key as it was given', () => {
    expect(describeKey(parseKey('42'))).toBe('42');
    expect(describeKey(parseKey('{"tenant":"acme","id":42}'))).toBe('tenant=acme,id=42');
  });

  it('reads --since durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('12h')).toBe(43_200_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
    expect(() => parseDuration('5 weeks')).toThrow(CdcError);
  });
});
