import { describe, expect, it } from 'vitest';
import { documentId } from './document-id.ts';

const same = (column: string) => column;

describe('documentId', () => {
  it('is the value of a single key column', () => {
    expect(documentId({ id: 7n }, same)).toEqual({ id: { value: 7n, text: 'i7' } });
  });

  it('is a sub-document of several key columns, in key order, under their field names', () => {
    const result = documentId({ tenant: 'a', id: 1 }, (c) => (c === 'id' ? 'patient_id' : c));
    expect(result).toMatchObject({ id: { value: { tenant: 'a', patient_id: 1 } } });
    expect(Object.keys((result as { id: { value: object } }).id.value)).toEqual(['tenant', 'patient_id']);
  });

  it('holds every key field, so rows that differ in any one of them are different documents', () => {
    // Unlike a Redis key template, nothing to configure can leave a key field out.
    const a = documentId({ id: 1, tenant: 'a' }, same);
    const b = documentId({ id: 1, tenant: 'b' }, same);
    expect('id' in a && 'id' in b && a.id.text !== b.id.text).toBe(true);
  });

  it('refuses an empty key or a null key value', () => {
    expect(documentId({}, same)).toMatchObject({ reason: expect.stringContaining('no key') as unknown });
    expect(documentId({ id: null }, same)).toMatchObject({
      reason: expect.stringContaining('is null') as unknown,
    });
  });
});
