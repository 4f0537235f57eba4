import { describe, expect, it } from 'vitest';
import { CdcError } from '@cdc/core';
import type { Row, Violation } from '../row.ts';
import { rulesSchema } from './rule-config.ts';
import { compileRules } from './validator.ts';

/** A validator from rules as written in YAML, so that the tests go through the schema too. */
function validator(...rules: unknown[]) {
  return compileRules(rulesSchema.parse(rules));
}

/** The `rule field` pairs of the violations of one row. */
function refused(rules: unknown[], row: Row): string[] {
  return validator(...rules)
    .validate(row)
    .map((v) => `${v.rule} ${v.field ?? '-'}`);
}

function passes(rule: unknown, ...values: unknown[]): void {
  const { validate } = validator(rule);
  for (const value of values) expect(validate({ x: value }), String(value)).toEqual([]);
}

function fails(rule: unknown, kind: string, ...values: unknown[]): void {
  const { validate } = validator(rule);
  for (const value of values) {
    expect(
      validate({ x: value }).map((v) => v.rule),
      String(value),
    ).toEqual([kind]);
  }
}

describe('field rules', () => {
  it('requires a value: not null, not missing, not blank text', () => {
    const rule = { field: 'x', required: true };
    passes(rule, 'a', 0, false, 0n, [], ' a ');
    fails(rule, 'required', null, undefined, '', '   ');
    expect(validator(rule).validate({})).toEqual([
      { rule: 'required', field: 'x', message: 'is required: must not be null or empty' },
    ]);
  });

  it('lets null through every other constraint', () => {
    passes(
      { field: 'x', type: 'integer', format: 'iso_date', range: { min: 1 }, enum: [5] },
      null,
      undefined,
    );
    passes({ field: 'x', length: { min: 3 }, pattern: 'a', format: 'email' }, null);
  });

  it('reports only required for a blank required value', () => {
    expect(
      refused([{ field: 'x', required: true, format: 'email', length: { min: 3 } }], { x: ' ' }),
    ).toEqual(['required x']);
  });

  it('checks types as the row holds them', () => {
    passes({ field: 'x', type: 'string' }, '', 'a');
    fails({ field: 'x', type: 'string' }, 'type', 1, 1n, true, [], Buffer.from('a'));
    passes({ field: 'x', type: 'integer' }, 1, -5, 0n, 2n ** 70n);
    fails({ field: 'x', type: 'integer' }, 'type', 1.5, NaN, '1', true);
    passes({ field: 'x', type: 'number' }, 1.5, 3n, '12.50', '-3');
    fails({ field: 'x', type: 'number' }, 'type', 'abc', '1e5', true, []);
    passes({ field: 'x', type: 'boolean' }, true, false);
    fails({ field: 'x', type: 'boolean' }, 'type', 0, 'true');
    passes({ field: 'x', type: 'bytes' }, Buffer.from('a'), new Uint8Array(2));
    fails({ field: 'x', type: 'bytes' }, 'type', 'a', [1]);
    passes({ field: 'x', type: 'array' }, [], [1, 'a']);
    fails({ field: 'x', type: 'array' }, 'type', 'a', {});
  });

  it('checks formats', () => {
    passes({ field: 'x', format: 'email' }, 'a.b+c@example.co.uk');
    fails({ field: 'x', format: 'email' }, 'format', 'a@b', 'not an email', '@example.com', '', 5);
    passes({ field: 'x', format: 'uuid' }, '123e4567-e89b-42d3-a456-426614174000');
    fails(
      { field: 'x', format: 'uuid' },
      'format',
      '123e4567-e89b-42d3-a456',
      'zz3e4567-e89b-42d3-a456-426614174000',
    );
    passes({ field: 'x', format: 'url' }, 'https://example.com/a?b=1', 'http://localhost:8080');
    fails({ field: 'x', format: 'url' }, 'format', 'javascript:alert(1)', 'example.com', 'ftp://example.com');
    passes({ field: 'x', format: 'e164' }, '+33612345678', '+12');
    fails({ field: 'x', format: 'e164' }, 'format', '0612345678', '+0123', '+1234567890123456', '+33 6 12');
    passes({ field: 'x', format: 'iso_date' }, '2024-02-29', '1999-12-31', 19_000, -1);
    fails(
      { field: 'x', format: 'iso_date' },
      'format',
      '2023-02-30',
      '2023-02-29',
      '2024-13-01',
      '2024-1-1',
      1.5,
      5n,
    );
    passes(
      { field: 'x', format: 'iso_datetime' },
      '2024-01-31T12:00:00Z',
      '2024-01-31T12:00:00.123456+02:00',
      1_700_000_000_000_000n,
    );
    fails({ field: 'x', format: 'iso_datetime' }, 'format', '2024-01-31T12:00:00', '2024-01-31', 'now', 17);
  });

  it('checks ranges of numbers, longs and decimal text', () => {
    const rule = { field: 'x', range: { min: 0, max: 150 } };
    passes(rule, 0, 150, 75.5, 0n, 150n, '0.00', '150', '12.5');
    fails(rule, 'range', -1, 150.01, NaN, Infinity, -1n, 151n, '150.01', '-0.5', 'abc', true, []);
    passes({ field: 'x', range: { min: 1.5 } }, 2n, 1.5, '1.5');
    fails({ field: 'x', range: { min: 1.5 } }, 'range', 1n, 1.49, '1.4');
    passes({ field: 'x', range: { max: 2.5 } }, 2n, -(2n ** 80n));
    fails({ field: 'x', range: { max: 2.5 } }, 'range', 3n, 2n ** 80n);
    passes({ field: 'x', type: 'integer', range: { min: 1 } }, 1, 1n);
    expect(refused([{ field: 'x', type: 'integer', range: { min: 1 } }], { x: 0.5 })).toEqual(['type x']);
  });

  it('checks lengths of text and lists', () => {
    const rule = { field: 'x', length: { min: 2, max: 3 } };
    passes(rule, 'ab', 'abc', [1, 2], [1, 2, 3]);
    fails(rule, 'length', 'a', 'abcd', [1], [1, 2, 3, 4], 12, Buffer.from('ab'));
    expect(validator(rule).validate({ x: 'a' })[0]?.message).toBe('must be 2 to 3 characters long');
    expect(validator(rule).validate({ x: [] })[0]?.message).toBe('must have 2 to 3 items');
    expect(validator({ field: 'x', length: { max: 1 } }).validate({ x: 'ab' })[0]?.message).toBe(
      'must be at most 1 characters long',
    );
  });

  it('checks allowed values, matching longs with numbers', () => {
    const rule = { field: 'x', enum: ['active', 'closed', 1, 2.5] };
    passes(rule, 'active', 'closed', 1, 1n, 2.5);
    fails(rule, 'enum', 'Active', 'open', 2, 2n, true, [], '1');
    expect(validator(rule).validate({ x: 'open' })[0]?.message).toBe(
      "must be one of 'active', 'closed', 1, 2.5",
    );
  });

  it('checks patterns anywhere in the text unless anchored', () => {
    passes({ field: 'x', pattern: '[0-9]' }, 'ab1', '9');
    fails({ field: 'x', pattern: '[0-9]' }, 'pattern', 'abc', 5);
    passes({ field: 'x', pattern: '^\\p{Lu}{2}-\\d{3}$' }, 'ÉA-123', 'AB-123');
    fails({ field: 'x', pattern: '^\\p{Lu}{2}-\\d{3}$' }, 'pattern', 'ab-123', 'AB-1234');
  });

  it('reports every violation of a row, in rule order', () => {
    const rules = [
      { field: 'email', required: true, format: 'email' },
      { field: 'name', length: { max: 3 }, pattern: '^[A-Z]' },
      { field: 'age', type: 'integer' },
      { check: 'ends_at > starts_at' },
    ];
    expect(refused(rules, { email: 'x', name: 'abcd', age: '3', ends_at: 1, starts_at: 2 })).toEqual([
      'format email',
      'length name',
      'pattern name',
      'type age',
      'check -',
    ]);
  });

  it('uses the message of the rule in place of the default one', () => {
    const { validate } = validator({ field: 'x', length: { max: 1 }, pattern: '^a', message: 'bad code' });
    expect(validate({ x: 'bcd' })).toEqual([
      { rule: 'length', field: 'x', message: 'bad code' },
      { rule: 'pattern', field: 'x', message: 'bad code' },
    ]);
    expect(validator({ field: 'x', type: 'number', message: 'bad' }).validate({ x: 'a' })).toEqual([
      { rule: 'type', field: 'x', message: 'bad' },
    ]);
  });

  it('applies a rule only when its when: is true', () => {
    const rules = [{ field: 'zip', required: true, pattern: '^\\d{5}$', when: "country == 'FR'" }];
    expect(refused(rules, { country: 'FR', zip: null })).toEqual(['required zip']);
    expect(refused(rules, { country: 'FR', zip: '7500' })).toEqual(['pattern zip']);
    expect(refused(rules, { country: 'DE', zip: null })).toEqual([]);
    expect(refused(rules, { zip: 'x' })).toEqual([]);
  });

  it('reads only the own fields of a row', () => {
    const rules = [
      { field: 'constructor', required: true },
      { field: '__proto__', required: true },
    ];
    expect(refused(rules, {})).toEqual(['required constructor', 'required __proto__']);
    expect(refused(rules, JSON.parse('{"constructor": 1, "__proto__": 2}') as Row)).toEqual([]);
  });
});

describe('checks', () => {
  it('refuses rows where the expression is false, and names null fields', () => {
    const { validate } = validator({ check: 'ends_at > starts_at', name: 'dates_ordered' });
    expect(validate({ starts_at: 1n, ends_at: 2n })).toEqual([]);
    expect(validate({ starts_at: 2n, ends_at: 1n })).toEqual([
      { rule: 'check', field: null, message: "check 'dates_ordered' failed" },
    ]);
    expect(validate({ starts_at: 2n, ends_at: null })).toEqual([
      { rule: 'check', field: null, message: "check 'dates_ordered' failed (ends_at is null)" },
    ]);
    expect(validate({})[0]?.message).toBe("check 'dates_ordered' failed (ends_at, starts_at are null)");
  });

  it('fails on a null result and quotes an unnamed check', () => {
    const { validate } = validator({ check: 'coalesce(a, b)', message: 'a or b is needed' });
    expect(validate({ a: null, b: 'x' })).toEqual([]);
    expect(validate({ a: null, b: null })).toEqual([
      { rule: 'check', field: null, message: 'a or b is needed (a, b are null)' },
    ]);
    expect(validator({ check: 'a == 1' }).validate({ a: 2 })[0]?.message).toBe('check "a == 1" failed');
  });

  it('honours when:', () => {
    const { validate } = validator({ check: 'discount <= price', when: 'discount != null' });
    expect(validate({ price: '10.00', discount: null })).toEqual([]);
    expect(validate({ price: '10.00', discount: '12.5' })).toHaveLength(1);
  });
});

describe('compileRules', () => {
  it('returns one shared frozen empty array for valid rows', () => {
    const { validate } = validator({ field: 'x', required: true });
    const first = validate({ x: 1 });
    expect(first).toEqual([]);
    expect(Object.isFrozen(first)).toBe(true);
    expect(validate({ x: 2 })).toBe(first);
    const found: Violation[] = validate({});
    expect(Object.isFrozen(found)).toBe(false);
    expect(validate({})).not.toBe(found);
  });

  it('throws the expression error for rules that skipped the schema', () => {
    expect(() => compileRules([{ check: 'a >' }])).toThrow(CdcError);
  });

  it('names rules whose fields the schema lacks', () => {
    const { unknownFields } = validator(
      { field: 'emial', format: 'email' },
      { field: 'age', range: { min: 0 } },
      { check: 'ends_att > starts_at', name: 'dates' },
      { check: 'x > 1' },
      { field: 'age', required: true, when: "contry == 'FR'" },
    );
    const fields = ['email', 'age', 'starts_at', 'ends_at', 'country'];
    expect(unknownFields(fields)).toEqual([
      "rule 1 (field 'emial'): no such field (did you mean 'email'?); fields are: email, age, starts_at, ends_at, country",
      "rule 3 (check 'dates'): no such field 'ends_att' (did you mean 'ends_at'?); fields are: email, age, starts_at, ends_at, country",
      'rule 4 (check "x > 1"): no such field \'x\'; fields are: email, age, starts_at, ends_at, country',
      "rule 5 (field 'age'): when: no such field 'contry' (did you mean 'country'?); fields are: email, age, starts_at, ends_at, country",
    ]);
    expect(unknownFields([...fields, 'emial', 'ends_att', 'x', 'contry'])).toEqual([]);
  });
});

describe('throughput', () => {
  it('prints rows per second for 6 rules on a 10-field row (no assertion)', () => {
    const { validate } = validator(
      { field: 'email', required: true, format: 'email' },
      { field: 'age', type: 'integer', range: { min: 0, max: 150 } },
      { field: 'name', required: true, length: { min: 1, max: 80 } },
      { field: 'status', enum: ['active', 'closed'] },
      { field: 'price', type: 'number', range: { min: 0 } },
      { check: 'ends_at > starts_at', name: 'dates' },
    );
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      id: BigInt(i),
      email: `user${i}@example.com`,
      age: i % 100,
      name: `Name ${i}`,
      status: i % 2 ? 'active' : 'closed',
      price: `${i}.50`,
      starts_at: 1_700_000_000_000_000n + BigInt(i),
      ends_at: 1_700_000_000_000_000n + BigInt(i) + 1000n,
      country: 'FR',
      note: null,
    }));
    let violations = 0;
    for (let i = 0; i < 100_000; i++) violations += validate(rows[i % 1000] as Row).length;
    const n = 500_000;
    const started = performance.now();
    const cpu = process.cpuUsage();
    for (let i = 0; i < n; i++) violations += validate(rows[i % 1000] as Row).length;
    const wall = (n / (performance.now() - started)) * 1000;
    const used = process.cpuUsage(cpu);
    const perCpu = (n / (used.user + used.system)) * 1e6;
    console.log(
      `validator: ${Math.round(wall).toLocaleString('en')} rows/s wall, ` +
        `${Math.round(perCpu).toLocaleString('en')} rows per CPU-second (6 rules, 10 fields)`,
    );
    expect(violations).toBe(0);
  });
});
