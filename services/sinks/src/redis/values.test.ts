import { describe, expect, it } from 'vitest';
import { canonicalJson, hashText, jsonValue, parseJsonDocument } from './values.ts';

describe('values in Redis', () => {
  it('writes hash fields as text', () => {
    expect(hashText(2n ** 63n - 1n)).toBe('9223372036854775807');
    expect(hashText(1.25)).toBe('1.25');
    expect(hashText(false)).toBe('false');
    expect(hashText(Buffer.from([0, 255]))).toBe('AP8=');
    expect(hashText(['a', 2n ** 60n, { b: Buffer.from('x') }])).toBe(
      '["a","1152921504606846976",{"b":"eA=="}]',
    );
    expect(hashText(null)).toBeNull();
    expect(hashText(undefined)).toBeNull();
  });

  it('keeps JSON numbers while exact and bigints beyond 2^53 as text', () => {
    expect(jsonValue(42n)).toBe(42);
    expect(jsonValue(2n ** 53n + 1n)).toBe('9007199254740993');
    expect(jsonValue(Number.NaN)).toBe('NaN');
    expect(jsonValue({ list: [1n, null, Buffer.from('x')] })).toEqual({ list: [1, null, 'eA=='] });
  });

  it('parses documents with integers beyond 2^53 exactly and spells them back the same', () => {
    const text = '{"a":12345678901234567890,"b":1.5,"c":[9007199254740993]}';
    const parsed = parseJsonDocument(text) as Record<string, unknown>;
    expect(parsed.a).toBe(12345678901234567890n);
    expect(canonicalJson(parsed)).toBe(text);
    expect(parseJsonDocument('{"a":1}')).toEqual({ a: 1 });
  });
});
