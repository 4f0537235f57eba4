import { describe, expect, it } from 'vitest';
import type { SinkEvent } from '@cdc/core';
import { fieldMapping } from './field-mapping.ts';

const event = (unchanged: string[] = []) => ({ key: { id: 1n }, unchanged }) as unknown as SinkEvent;

describe('fieldMapping', () => {
  it('selects columns, always keeps the key, renames, and leaves unchanged columns out', () => {
    const mapping = fieldMapping({ select: ['email', 'notes'], rename: { email: 'contact_email' } });
    expect(mapping.map(event(['notes']), { id: 1n, name: 'Ada', email: 'a@x', notes: null })).toEqual({
      row: { fields: { id: 1n, contact_email: 'a@x' }, unchanged: ['notes'] },
    });
  });

  it('refuses a column that cannot be a field name', () => {
    expect(fieldMapping(undefined).map(event(), { id: 1n, 'a.b': 1 })).toMatchObject({
      reason: expect.stringContaining('a.b') as unknown,
    });
  });
});
