import { describe, expect, it } from 'vitest';
import { describeReason } from '../src/dlq.ts';

describe('cdc dlq list reasons', () => {
  it('show the rule, the field, and for undecodable parts the part and schema id', () => {
    expect(
      describeReason({ rule: 'format', field: 'email', message: 'email must be an email address' }),
    ).toBe('format email: email must be an email address');
    expect(
      describeReason({
        rule: 'decode',
        field: null,
        part: 'value',
        schema_id: 42,
        message: 'value: schema id 42 is not in the registry',
      }),
    ).toBe('decode [value, schema id 42]: value: schema id 42 is not in the registry');
    expect(
      describeReason({
        rule: 'decode',
        field: null,
        part: 'key',
        schema_id: null,
        message: 'key: not in the wire format',
      }),
    ).toBe('decode [key, no schema id]: key: not in the wire format');
  });
});
