import { describe, expect, it } from 'vitest';
import { CdcError } from '@cdc/core';
import type { Row } from '../row.ts';
import { compileExpression, isTruthy } from './expression.ts';

function run(source: string, row: Row = {}): unknown {
  return compileExpression(source).evaluate(row);
}

/** The CdcError a bad expression throws. */
function failure(source: string): CdcError {
  try {
    compileExpression(source);
  } catch (error) {
    expect(error).toBeInstanceOf(CdcError);
    const cdc = error as CdcError;
    expect(cdc.code).toBe('INVALID_EXPRESSION');
    if (source.length <= 200) expect(cdc.message).toContain(JSON.stringify(source));
    expect(cdc.fix).toBeTruthy();
    return cdc;
  }
  throw new Error(`expected ${source} to be refused`);
}

describe('literals and fields', () => {
  it('reads numbers, text, booleans and null', () => {
    expect(run('42')).toBe(42);
    expect(run('3.25')).toBe(3.25);
    expect(run('.5')).toBe(0.5);
    expect(run('1e3')).toBe(1000);
    expect(run("'it\\'s'")).toBe("it's");
    expect(run('"say \\"hi\\"\\n\\u00e9"')).toBe('say "hi"\né');
    expect(run('true')).toBe(true);
    expect(run('FALSE')).toBe(false);
    expect(run('null')).toBe(null);
  });

  it('keeps integers wider than a double exact', () => {
    expect(run('9007199254740993')).toBe(9007199254740993n);
    expect(run('x == 9007199254740993', { x: 9007199254740993n })).toBe(true);
  });

  it('reads fields by name, in backticks or with field()', () => {
    const row = { amount: 5, 'odd name': 'x', été: 1 };
    expect(run('amount', row)).toBe(5);
    expect(run('`odd name`', row)).toBe('x');
    expect(run('field("odd name")', row)).toBe('x');
    expect(run('été', row)).toBe(1);
    expect(run('missing', row)).toBe(null);
  });

  it('lists the fields it reads, once each, in order', () => {
    expect(compileExpression('b > a and coalesce(a, `c d`) != b').fields).toEqual(['b', 'a', 'c d']);
    expect(compileExpression('1 + 2').fields).toEqual([]);
  });

  it('is frozen and keeps its source', () => {
    const compiled = compileExpression(' a > 1 ');
    expect(compiled.source).toBe(' a > 1 ');
    expect(Object.isFrozen(compiled)).toBe(true);
    expect(Object.isFrozen(compiled.fields)).toBe(true);
  });
});

describe('arithmetic', () => {
  it('follows precedence and parentheses', () => {
    expect(run('1 + 2 * 3')).toBe(7);
    expect(run('(1 + 2) * 3')).toBe(9);
    expect(run('10 - 4 - 3')).toBe(3);
    expect(run('7 % 3')).toBe(1);
    expect(run('-2 * -3')).toBe(6);
    expect(run('7 / 2')).toBe(3.5);
  });

  it('mixes longs (bigint) with numbers', () => {
    const row = { long: 10n, int: 4, double: 2.5 };
    expect(run('long + int', row)).toBe(14n);
    expect(run('long * double', row)).toBe(25);
    expect(run('long / 5', row)).toBe(2n);
    expect(run('long / int', row)).toBe(2.5);
    expect(run('long % 3', row)).toBe(1n);
    expect(run('-long', row)).toBe(-10n);
  });

  it('gives null for null operands and division by zero', () => {
    expect(run('x + 1', { x: null })).toBe(null);
    expect(run('x * 2')).toBe(null);
    expect(run('-x', { x: null })).toBe(null);
    expect(run('1 / 0')).toBe(null);
    expect(run('1 % 0')).toBe(null);
    expect(run('x / 0', { x: 3n })).toBe(null);
    expect(run('x % y', { x: 3n, y: 0n })).toBe(null);
  });

  it('concatenates with + when either side is text', () => {
    expect(run("'a' + 1")).toBe('a1');
    expect(run("x + '-' + y", { x: 2n, y: true })).toBe('2-true');
    expect(run("'a' + x", { x: null })).toBe(null);
  });

  it('treats decimal text as a number, and other values as no number', () => {
    expect(run('price * 2', { price: '12.50' })).toBe(25);
    expect(run("'abc' * 2")).toBe(null);
    expect(run('true - 1')).toBe(null);
    expect(run('x - 1', { x: [1] })).toBe(null);
  });
});

describe('comparisons', () => {
  it('compares numbers and longs numerically', () => {
    expect(run('x == 1', { x: 1n })).toBe(true);
    expect(run('x != 1', { x: 1n })).toBe(false);
    expect(run('x < 1.5', { x: 1n })).toBe(true);
    expect(run('x >= y', { x: 2n, y: 2 })).toBe(true);
    expect(run('x == 1.5', { x: 1n })).toBe(false);
  });

  it('compares decimal text exactly, with numbers, longs and other decimal text', () => {
    expect(run('price > 12', { price: '12.50' })).toBe(true);
    expect(run("price == '12.5'", { price: '12.50' })).toBe(true);
    expect(run('a < b', { a: '9.5', b: '10.0' })).toBe(true);
    expect(run('a < b', { a: '12345678901234567890.1', b: '12345678901234567890.2' })).toBe(true);
    expect(run('a == b', { a: '-0.0', b: '0' })).toBe(true);
    expect(run('a > b', { a: '-1.5', b: '-2' })).toBe(true);
    expect(run('a == b', { a: '9007199254740993', b: 9007199254740993n })).toBe(true);
    expect(run('a < b', { a: 9007199254740992n, b: '9007199254740993.5' })).toBe(true);
    expect(run('a < 0.25', { a: '0.2' })).toBe(true);
  });

  it('compares other text by code units', () => {
    expect(run("'apple' < 'banana'")).toBe(true);
    expect(run("d >= '2024-01-01'", { d: '2024-03-05' })).toBe(true);
    expect(run("'abc' == 'abc'")).toBe(true);
    expect(run("'abc' < 5")).toBe(false);
    expect(run("'abc' != 5")).toBe(true);
  });

  it('is false for comparisons involving null, except == null and != null', () => {
    const row = { n: null, v: 1 };
    for (const op of ['==', '!=', '<', '<=', '>', '>=']) {
      expect(run(`n ${op} 1`, row)).toBe(false);
      expect(run(`1 ${op} n`, row)).toBe(false);
      expect(run(`n ${op} missing`, row)).toBe(false);
    }
    expect(run('n == null', row)).toBe(true);
    expect(run('null == n', row)).toBe(true);
    expect(run('missing == null', row)).toBe(true);
    expect(run('n != null', row)).toBe(false);
    expect(run('v != null', row)).toBe(true);
    expect(run('v == null', row)).toBe(false);
  });

  it('refuses chained comparisons', () => {
    expect(failure('a < b < c').message).toContain('column 7');
  });

  it('tests membership with in and not in', () => {
    expect(run("s in ['a', 'b']", { s: 'b' })).toBe(true);
    expect(run('n in [1, 2, 3]', { n: 2n })).toBe(true);
    expect(run('n not in [1, 2, 3]', { n: 4 })).toBe(true);
    expect(run('n not in [1, 2, 3]', { n: 1 })).toBe(false);
    expect(run('n in [1, null]', { n: null })).toBe(false);
    expect(run('n not in [1]', { n: null })).toBe(false);
    expect(run("'x' in tags", { tags: ['x', 'y'] })).toBe(true);
    expect(run("'x' in tags", { tags: null })).toBe(false);
    expect(run('n in []', { n: 1 })).toBe(false);
  });
});

describe('logic', () => {
  it('combines with and/&&, or/||, not/!', () => {
    expect(run('true and false')).toBe(false);
    expect(run('true && true')).toBe(true);
    expect(run('false or true')).toBe(true);
    expect(run('false || false')).toBe(false);
    expect(run('!true')).toBe(false);
    expect(run('not false')).toBe(true);
    expect(run('NOT a AND b', { a: false, b: true })).toBe(true);
  });

  it('binds not more loosely than comparisons, and ! tightly', () => {
    expect(run('not a == 2', { a: 1 })).toBe(true);
    expect(run('!a == false', { a: 1 })).toBe(true);
    expect(run('a or b and c', { a: true, b: false, c: false })).toBe(true);
  });

  it('short-circuits and treats null as false', () => {
    expect(run('x != null and x > 3', { x: null })).toBe(false);
    expect(run('x or 1', { x: null })).toBe(true);
    expect(run('not x', { x: null })).toBe(true);
  });

  it('uses JavaScript truthiness', () => {
    expect([null, undefined, false, 0, 0n, '', NaN].map(isTruthy)).toEqual(Array(7).fill(false));
    expect([true, 1, -1n, 'x', [], {}].map(isTruthy)).toEqual(Array(6).fill(true));
  });
});

describe('functions', () => {
  it('handles text', () => {
    const row = { s: '  Hello ', n: null };
    expect(run('lower(s)', row)).toBe('  hello ');
    expect(run('upper(s)', row)).toBe('  HELLO ');
    expect(run('trim(s)', row)).toBe('Hello');
    expect(run('lower(n)', row)).toBe(null);
    expect(run("concat('a', n, 1, l)", { ...row, l: 2n })).toBe('a12');
    expect(run("substr('hello', 2, 3)")).toBe('ell');
    expect(run("substr('hello', 2)")).toBe('ello');
    expect(run("substr('hello', 0, 2)")).toBe('h');
    expect(run("substr('hello', 1, -1)")).toBe(null);
    expect(run("starts_with('hello', 'he')")).toBe(true);
    expect(run("ends_with('hello', 'lo')")).toBe(true);
    expect(run("contains('hello', 'ell')")).toBe(true);
    expect(run("starts_with(n, 'he')", row)).toBe(null);
  });

  it('measures text, lists and bytes', () => {
    expect(run('len(s)', { s: 'abc' })).toBe(3);
    expect(run('len(l)', { l: [1, 2] })).toBe(2);
    expect(run('len(b)', { b: Buffer.from('abcd') })).toBe(4);
    expect(run('len(n)', { n: 5 })).toBe(null);
    expect(run('len([1, 2, 3])')).toBe(3);
  });

  it('handles numbers', () => {
    expect(run('abs(-3)')).toBe(3);
    expect(run('abs(x)', { x: -3n })).toBe(3n);
    expect(run('abs(x)', { x: '-2.5' })).toBe(2.5);
    expect(run('round(2.5)')).toBe(3);
    expect(run('round(-2.5)')).toBe(-3);
    expect(run('round(2.345, 2)')).toBe(2.35);
    expect(run('round(x)', { x: 7n })).toBe(7n);
    expect(run('floor(2.7)')).toBe(2);
    expect(run('ceil(2.1)')).toBe(3);
    expect(run('floor(x)', { x: null })).toBe(null);
  });

  it('picks with min, max and coalesce, skipping nulls', () => {
    expect(run('min(3, x, 2)', { x: 1n })).toBe(1n);
    expect(run('max(3, x, 2)', { x: null })).toBe(3);
    expect(run('max(x)', { x: null })).toBe(null);
    expect(run("max('a', 1)")).toBe(null);
    expect(run("coalesce(a, b, 'z')", { a: null, b: 0 })).toBe(0);
    expect(run('coalesce(a)', {})).toBe(null);
  });

  it('tests for null and membership in lists', () => {
    expect(run('is_null(x)', { x: null })).toBe(true);
    expect(run('is_null(x)', { x: 0 })).toBe(false);
    expect(run('contains(tags, 2)', { tags: [1n, 2n] })).toBe(true);
    expect(run('contains(tags, 3)', { tags: [1n, 2n] })).toBe(false);
    expect(run('contains(tags, 3)', { tags: null })).toBe(null);
  });

  it('reads the clock on every evaluation of now_ms()', () => {
    const compiled = compileExpression('now_ms() - t');
    const before = Date.now();
    const elapsed = compiled.evaluate({ t: before - 1000 }) as number;
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(60_000);
    expect(run('ts <= now_ms() * 1000', { ts: BigInt(before) * 1000n })).toBe(true);
  });
});

describe('errors', () => {
  it.each([
    ['a +', 4, /expected a value, found the end/],
    ['(a + 1', 7, /expected '\)' to close the '\(' at column 1/],
    ['a b', 3, /unexpected 'b' after a complete expression/],
    ["'abc", 1, /text is not closed/],
    ['`abc', 1, /field name is not closed/],
    ['a = 1', 3, /'=' is not an operator/],
    ['a & b', 3, /'&' is not an operator/],
    ['a # b', 3, /unexpected character "#"/],
    ["'\\q'", 2, /unknown escape \\q/],
    ['x in [1, 2', 11, /expected ',' or '\]'/],
    ['lower(a', 8, /to close the '\(' at column 6/],
    ['field(a)', 7, /field\( \) takes the field name as quoted text/],
    ['1 + * 2', 5, /expected a value, found '\*'/],
    ['', 1, /expected a value, found the end/],
  ])('refuses %j at column %i', (source, column, problem) => {
    const error = failure(source);
    expect(error.message).toContain(`at column ${column}:`);
    expect(error.message).toMatch(problem);
    expect(error.details).toMatchObject({ expression: source, column });
  });

  it('refuses unknown functions, naming the known ones', () => {
    const error = failure('a > 1 and eval(b)');
    expect(error.message).toContain("at column 11: unknown function 'eval'");
    expect(error.fix).toContain('lower, upper, trim, len');
  });

  it('refuses wrong numbers of arguments', () => {
    expect(failure('lower(a, b)').message).toContain('lower() takes 1 argument, not 2');
    expect(failure('substr(a)').message).toContain('substr() takes 2 to 3 arguments, not 1');
    expect(failure('coalesce()').message).toContain('coalesce() takes at least 1 argument, not 0');
    expect(failure('now_ms(1)').message).toContain('now_ms() takes 0 arguments, not 1');
  });

  it('says what is allowed', () => {
    expect(failure('a = 1').fix).toBe('compare with ==');
    expect(failure('a +').fix).toMatch(/and &&, or \|\|, x in \[a, b\]/);
  });

  it('refuses deep nesting and huge input without overflowing the stack', () => {
    expect(failure('('.repeat(4000) + 'a' + ')'.repeat(4000)).message).toMatch(/nested more than 100/);
    expect(failure('['.repeat(4000)).message).toMatch(/nested more than 100/);
    expect(failure('-'.repeat(5000) + '1').message).toMatch(/nested more than 100/);
    expect(() => compileExpression('a'.repeat(20_000))).toThrow(/at most 10000 characters/);
  });
});

describe('safety', () => {
  const hostile = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'prototype'];

  it.each(hostile)('reads %s only as an own field of the row', (name) => {
    expect(run(name, {})).toBe(null);
    expect(run(`${name} == null`, { a: 1 })).toBe(true);
    expect(run(`field("${name}")`, {})).toBe(null);
    expect(run(name, Object.create(null) as Row)).toBe(null);
    expect(run(name, JSON.parse(`{"${name}": 7}`) as Row)).toBe(7);
  });

  it('does not call prototype methods as functions', () => {
    for (const name of [...hostile, 'Function', 'eval', 'require', 'process', 'globalThis']) {
      expect(failure(`${name}(1)`).message).toContain(`unknown function '${name}'`);
    }
  });

  it('gives no way to reach properties of values', () => {
    expect(failure('a.constructor').message).toMatch(/unexpected character "\."|unexpected/);
    expect(failure('a["constructor"]').message).toContain('column 2');
    expect(run("'constructor' in [a]", { a: 'constructor' })).toBe(true);
  });

  it('never throws while evaluating, whatever the row holds', () => {
    const sources = [
      'a + b',
      'a - b',
      'a * b',
      'a / b',
      'a % b',
      '-a',
      'a < b',
      'a == b',
      'a in b',
      'contains(a, b)',
      'min(a, b)',
      'round(a, b)',
      'substr(a, b, b)',
      'len(a)',
      'lower(a)',
      'concat(a, b)',
      'abs(a)',
    ];
    const values = [
      null,
      undefined,
      0,
      -1.5,
      NaN,
      Infinity,
      2n,
      -3n,
      '',
      'x',
      '1.5',
      true,
      [],
      [1],
      {},
      Buffer.from('z'),
    ];
    for (const source of sources) {
      const compiled = compileExpression(source);
      for (const a of values) {
        for (const b of values) expect(() => compiled.evaluate({ a, b })).not.toThrow();
      }
    }
  });
});

describe('constant parts', () => {
  it('folds constant sub-expressions without changing results', () => {
    expect(run("x in ['a', upper('b')]", { x: 'B' })).toBe(true);
    expect(run('x > 2 * 3', { x: 7 })).toBe(true);
    expect(run('1 + 1 == 2')).toBe(true);
  });
});
