import { Binary, Long } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { canonicalValue, valueHash } from './value-hash.ts';

describe('valueHash', () => {
  it('is equal for a row value and the same value read back by the driver', () => {
    expect(valueHash(Buffer.from('ab'))).toBe(valueHash(new Binary(Buffer.from('ab'))));
    expect(valueHash(5n)).toBe(valueHash(Long.fromBigInt(5n)));
    expect(valueHash({ b: 1, a: [1n, 'x'] })).toBe(valueHash({ a: [1n, 'x'], b: 1 }));
  });

  it('tells types and absence apart', () => {
    const values = [null, undefined, 0, 0n, '0', false, [], {}, new Date(0)];
    expect(new Set(values.map(canonicalValue)).size).toBe(values.length);
  });
});
