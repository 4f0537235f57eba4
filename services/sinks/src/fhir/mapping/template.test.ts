import { describe, expect, it } from 'vitest';
import type { FormatContext } from './formats.ts';
import {
  TemplateFailure,
  compileTemplate,
  fillTemplate,
  parseTemplateString,
  placeholdersOf,
  type TemplateIssue,
} from './template.ts';

const context: FormatContext = { zone: 'UTC', codes: {} };

function fill(template: unknown, row: Record<string, unknown>): unknown {
  const issues: TemplateIssue[] = [];
  const node = compileTemplate(template, [], issues);
  expect(issues).toEqual([]);
  return fillTemplate(node, row, context);
}

function problems(template: unknown): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  compileTemplate(template, [], issues);
  return issues;
}

describe('template strings', () => {
  it('tells constants, whole placeholders and text apart', () => {
    expect(parseTemplateString('completed')).toEqual({ kind: 'constant', value: 'completed' });
    expect(parseTemplateString('{dose}')).toMatchObject({ kind: 'placeholders', literals: ['', ''] });
    expect(parseTemplateString('imm-{id}-{seq|string}')).toMatchObject({
      literals: ['imm-', '-', ''],
      placeholders: [
        { field: 'id', format: undefined },
        { field: 'seq', format: { name: 'string' } },
      ],
    });
  });

  it('says what is wrong with a placeholder', () => {
    expect(parseTemplateString('{patient id}')).toBe(
      '{patient id} is not a placeholder; write {field} or {field|format} with a column name as field',
    );
    expect(parseTemplateString('{a|b|c}')).toContain('{a|b|c} is not a placeholder');
    expect(parseTemplateString('{given_at|datetime}')).toContain(
      '{given_at|datetime}: datetime is not a format',
    );
    expect(parseTemplateString('x {id')).toBe(
      "'x {id' has an unbalanced { or }; write placeholders as {field} or {field|format}",
    );
    expect(parseTemplateString('vaccine {vaccine|code:cvx}')).toBe(
      "{vaccine|code:cvx} makes a Coding, so it must be the whole string ('{vaccine|code:cvx}'), not part of text",
    );
  });

  it('reports problems at their path', () => {
    expect(problems({ name: [{ text: '{first name}' }] })).toEqual([
      {
        path: ['name', 0, 'text'],
        message: expect.stringContaining('{first name} is not a placeholder') as string,
      },
    ]);
    expect(problems(JSON.parse('{"__proto__": {"a": 1}}'))).toEqual([
      { path: ['__proto__'], message: 'is not a FHIR element name' },
    ]);
  });

  it('lists its placeholders with their paths', () => {
    const node = compileTemplate({ a: ['x', '{b}'], c: { d: '{e} and {f|date}' } }, [], []);
    expect([...placeholdersOf(node)].map(({ placeholder, path }) => [placeholder.field, path])).toEqual([
      ['b', ['a', 1]],
      ['e', ['c', 'd']],
      ['f', ['c', 'd']],
    ]);
  });
});

describe('filling a template', () => {
  it('keeps value types for whole placeholders and makes text around them', () => {
    expect(fill({ n: '{n}', b: '{b}', t: 'no. {n}', c: 1, k: true }, { n: 2n, b: false })).toEqual({
      n: 2,
      b: false,
      t: 'no. 2',
      c: 1,
      k: true,
    });
  });

  it('leaves out elements of null or absent fields, and objects and lists they leave empty', () => {
    const telecom = {
      telecom: [
        { system: 'email', value: '{email}', use: 'home' },
        { system: 'phone', value: '{phone}', use: 'mobile' },
      ],
    };
    expect(fill(telecom, { email: null, phone: '+33 1 23 45 67 89' })).toEqual({
      telecom: [{ system: 'phone', value: '+33 1 23 45 67 89', use: 'mobile' }],
    });
    expect(fill(telecom, {})).toBeUndefined();
    // Text around a missing value would say something else: the whole element goes.
    expect(fill({ text: '{first} {last}', family: '{last}' }, { first: 'Anne' })).toBeUndefined();
    expect(fill({ a: null, b: [], c: {}, d: 'x' }, {})).toEqual({ d: 'x' });
  });

  it('adds the elements of list columns to the list they are in', () => {
    expect(
      fill({ given: ['{first}', '{middle}'] }, { first: 'Anne', middle: ['Marie', null, 'Louise'] }),
    ).toEqual({
      given: ['Anne', 'Marie', 'Louise'],
    });
  });

  it('names the field and the element of a value that cannot be written', () => {
    const node = compileTemplate({ extension: [{ url: 'u', valueInteger: '{dose|integer}' }] }, [], []);
    let failure: unknown;
    try {
      fillTemplate(node, { dose: 'two' }, context);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(TemplateFailure);
    expect(failure).toMatchObject({
      field: 'dose',
      message: "field dose: 'two' is not a whole number (in extension[0].valueInteger)",
    });
  });
});
