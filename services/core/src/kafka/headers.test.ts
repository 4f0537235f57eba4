import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, DLQ_HEADER_PREFIX } from '../dead-letter.ts';
import { CDC_HEADERS, readHeader, stringHeaders } from './headers.ts';

describe('readHeader', () => {
  it('reads a header as UTF-8 text, the first value of a repeated one', () => {
    const headers = { a: Buffer.from('Zürich'), b: 'text', c: [Buffer.from('1'), Buffer.from('2')] };
    expect(readHeader(headers, 'a')).toBe('Zürich');
    expect(readHeader(headers, 'b')).toBe('text');
    expect(readHeader(headers, 'c')).toBe('1');
  });

  it('is undefined for a missing header, an empty repetition and a record without headers', () => {
    expect(readHeader({ a: 'x', b: [], u: undefined }, 'missing')).toBeUndefined();
    expect(readHeader({ b: [] }, 'b')).toBeUndefined();
    expect(readHeader({ u: undefined }, 'u')).toBeUndefined();
    expect(readHeader(undefined, 'a')).toBeUndefined();
  });
});

describe('stringHeaders', () => {
  it('turns every header into text and leaves out those without a value', () => {
    expect(
      stringHeaders({
        traceparent: Buffer.from('00-abc-def-01'),
        [CDC_HEADERS.seq]: '3',
        twice: ['first', 'second'],
        none: [],
        gone: undefined,
      }),
    ).toEqual({ traceparent: '00-abc-def-01', 'cdc.seq': '3', twice: 'first' });
    expect(stringHeaders(undefined)).toEqual({});
  });
});

describe('header names', () => {
  it('are the ones docs/contracts.md lists', () => {
    expect(CDC_HEADERS).toEqual({
      commitLsn: 'cdc.commit_lsn',
      seq: 'cdc.seq',
      newKey: 'cdc.newkey',
      oldKey: 'cdc.oldkey',
    });
  });

  it('of dead letters all start with the prefix a redrive removes', () => {
    for (const name of Object.values(DLQ_HEADERS)) expect(name.startsWith(DLQ_HEADER_PREFIX)).toBe(true);
  });
});
