import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { isCheckRule, ruleSchema, rulesSchema } from './rule-config.ts';

/** The problems of a rejected rule list, one `<path>: <message>` line each. */
function problemsOf(rules: unknown): string[] {
  const parsed = rulesSchema.safeParse(rules);
  expect(parsed.success).toBe(false);
  return (parsed.error?.issues ?? []).map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('rulesSchema', () => {
  it('reads both kinds of rule from YAML', () => {
    const rules = rulesSchema.parse(
      parse(`
- field: email
  required: true
  format: email
  message: a contact email is needed
- field: age
  type: integer
  range: { min: 0, max: 150 }
- field: name
  length: { min: 1, max: 80 }
  pattern: '^[A-Z]'
  when: "country == 'FR'"
- field: status
  enum: [active, closed, 3]
- check: ends_at > starts_at
  name: dates_ordered
  message: the stay must end after it starts
  when: ends_at != null
`),
    );
    expect(rules).toHaveLength(5);
    expect(rules[0]).toEqual({
      field: 'email',
      required: true,
      format: 'email',
      message: 'a contact email is needed',
    });
    expect(rules.map(isCheckRule)).toEqual([false, false, false, false, true]);
    expect(rules[4]).toEqual({
      check: 'ends_at > starts_at',
      name: 'dates_ordered',
      message: 'the stay must end after it starts',
      when: 'ends_at != null',
    });
  });

  it('requires a non-empty list', () => {
    expect(problemsOf([])).toEqual([': must list at least one rule']);
    expect(problemsOf({ field: 'a' })).toEqual([
      ': must be a list of rules, each starting with field: or check:',
    ]);
  });

  it('reports bad check and when expressions with their path and column', () => {
    const problems = problemsOf([{ check: 'a > ' }, { field: 'x', required: true, when: 'foo(x)' }]);
    expect(problems[0]).toMatch(/^0\.check: invalid expression "a > " at column 5: expected a value/);
    expect(problems[1]).toMatch(
      /^1\.when: invalid expression "foo\(x\)" at column 1: unknown function 'foo'/,
    );
    expect(problems[1]).toContain('fix: use one of lower, upper');
  });

  it('refuses a pattern that does not compile, with the reason', () => {
    expect(problemsOf([{ field: 'x', pattern: '([a-z' }])).toEqual([
      '0.pattern: is not a valid regular expression: Invalid regular expression: /([a-z/u: Unterminated character class',
    ]);
  });

  it.each([
    [{}, ': a rule needs field: (constraints on one field) or check: (an expression over the row)'],
    [
      { field: 'x' },
      ': a field rule needs at least one of required, type, format, range, length, enum, pattern',
    ],
    [{ field: 'x', required: false }, ': a field rule needs at least one of'],
    [{ field: 'x', check: 'a' }, 'check: a rule has field: or check:, not both'],
    [{ check: 'a', format: 'email' }, 'format: only for field rules'],
    [{ field: 'x', required: true, name: 'n' }, 'name: only for check rules'],
    [{ field: 'x', type: 'text' }, 'type: must be one of string, integer, number, boolean, bytes, array'],
    [
      { field: 'x', format: 'phone' },
      'format: must be one of email, uuid, url, e164, iso_date, iso_datetime',
    ],
    [{ field: 'x', range: {} }, 'range: must set min, max or both'],
    [{ field: 'x', range: { min: 5, max: 1 } }, 'range: min must not be greater than max'],
    [{ field: 'x', range: { min: '5' } }, 'range.min: must be a number (the smallest allowed value)'],
    [{ field: 'x', range: { low: 1 } }, "range: unknown setting 'low'; known here: min, max"],
    [{ field: 'x', length: { min: 1.5 } }, 'length.min: must be a whole number (the smallest length)'],
    [{ field: 'x', length: { max: -1 } }, 'length.max: must be 0 or more'],
    [{ field: 'x', enum: [] }, 'enum: must list at least one allowed value'],
    [{ check: '  ' }, 'check: must be an expression such as "ends_at > starts_at"'],
    [{ field: 'x', enum: [true] }, 'enum.0: each allowed value must be text or a number'],
    [{ field: 'x', required: 'yes' }, 'required: must be true or false'],
    [{ field: '', required: true }, 'field: must be the name of a field of the row'],
    [{ field: 'x', required: true, message: ' ' }, 'message: must not be empty'],
    [
      { field: 'x', required: true, colour: 'red' },
      ": unknown setting 'colour'; known here: field, required",
    ],
    [{ field: 'x', type: 'integer', length: { max: 3 } }, 'length: does not apply to type integer'],
    [{ field: 'x', type: 'boolean', range: { max: 3 } }, 'range: does not apply to type boolean'],
    [{ field: 'x', type: 'number', format: 'email' }, 'format: does not apply to type number'],
    [{ field: 'x', type: 'integer', format: 'email' }, 'format: email applies to type string'],
    [{ field: 'x', type: 'string', enum: [1] }, 'enum: allowed values of a string field must all be text'],
    [
      { field: 'x', type: 'integer', enum: ['a'] },
      'enum: allowed values of a integer field must all be numbers',
    ],
    ['field: x', ': must be a mapping: { field: ..., <constraints> } or { check: <expression> }'],
  ])('refuses %j', (rule, problem) => {
    const parsed = ruleSchema.safeParse(rule);
    expect(parsed.success).toBe(false);
    const problems = (parsed.error?.issues ?? []).map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(problems.some((line) => line.startsWith(problem))).toBe(true);
  });

  it('accepts an integer field formatted as an Avro date', () => {
    expect(ruleSchema.safeParse({ field: 'born', type: 'integer', format: 'iso_date' }).success).toBe(true);
  });

  it('describes every setting, for the JSON Schema and the docs', () => {
    const schema = z.toJSONSchema(rulesSchema, { io: 'input' }) as {
      description?: string;
      items: { description?: string; properties: Record<string, { description?: string }> };
    };
    expect(schema.description).toMatch(/Validation rules/);
    expect(schema.items.description).toMatch(/A field rule/);
    const properties = schema.items.properties;
    expect(Object.keys(properties).sort()).toEqual(
      [
        'check',
        'enum',
        'field',
        'format',
        'length',
        'message',
        'name',
        'pattern',
        'range',
        'required',
        'type',
        'when',
      ].sort(),
    );
    for (const [name, property] of Object.entries(properties)) {
      expect(property.description, name).toBeTruthy();
    }
  });
});
