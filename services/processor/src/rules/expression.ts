import { CdcError } from '@cdc/core';
import type { Row } from '../row.ts';

/**
 * A small expression language for validation rules (`when:` and `check:`), written in YAML by
 * operators. It is parsed once and compiled to closures; nothing is ever handed to `eval` or
 * `Function`, and the only properties read are a row's own fields and the length of strings
 * and lists, so an expression cannot reach prototypes or globals.
 *
 * Values follow the row contract (row.ts): int/double are numbers, long and timestamps are
 * bigints, decimals are exact text, SQL NULL is null. Semantics are SQL-like where SQL users
 * would expect it: arithmetic with null gives null, comparisons with null are false (write
 * `x == null` / `x != null` to test for it), division by zero gives null, `not` binds more
 * loosely than comparisons (`not a == b` is `not (a == b)`). Text that is a decimal number
 * compares as a number, because decimal columns arrive as text.
 */
export interface CompiledExpression {
  readonly source: string;
  /** The field names the expression reads, in order of first appearance. */
  readonly fields: readonly string[];
  /** Never throws; a missing field reads as null. */
  evaluate(row: Row): unknown;
}

type Evaluator = (row: Row) => unknown;

interface FunctionSpec {
  readonly min: number;
  readonly max: number;
  /** False for functions whose result changes between calls, which must not be folded. */
  readonly pure: boolean;
  readonly call: (...args: unknown[]) => unknown;
}

const MAX_SOURCE_LENGTH = 10_000;
// Each level costs a few stack frames; this keeps hostile input far from a stack overflow.
const MAX_DEPTH = 100;

// ---------------------------------------------------------------------------------------------
// Values

const DECIMAL_TEXT = /^[+-]?\d+(?:\.\d+)?$/;

function isNull(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

/** JavaScript truthiness: null, false, 0, 0n, NaN and '' are false; everything else is true. */
export function isTruthy(value: unknown): boolean {
  return Boolean(value);
}

function text(value: unknown): string | null {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      return null;
  }
}

/** A number or bigint for arithmetic; decimal text becomes a (possibly rounded) number. */
function numeric(value: unknown): number | bigint | null {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'string' && DECIMAL_TEXT.test(value)) return Number(value);
  return null;
}

/** Sign, integer digits without leading zeros, fraction digits without trailing zeros. */
function decimalParts(value: string): [negative: boolean, whole: string, fraction: string] {
  const negative = value.startsWith('-');
  const unsigned = value[0] === '-' || value[0] === '+' ? value.slice(1) : value;
  const dot = unsigned.indexOf('.');
  const whole = (dot < 0 ? unsigned : unsigned.slice(0, dot)).replace(/^0+/, '');
  const fraction = dot < 0 ? '' : unsigned.slice(dot + 1).replace(/0+$/, '');
  return [negative && (whole !== '' || fraction !== ''), whole, fraction];
}

/** Exact comparison of two decimal texts, so that wide decimals never lose digits. */
function compareDecimalText(a: string, b: string): number {
  const [negA, wholeA, fracA] = decimalParts(a);
  const [negB, wholeB, fracB] = decimalParts(b);
  if (negA !== negB) return negA ? -1 : 1;
  let order = wholeA.length - wholeB.length;
  if (order === 0) order = wholeA < wholeB ? -1 : wholeA > wholeB ? 1 : 0;
  if (order === 0) order = fracA < fracB ? -1 : fracA > fracB ? 1 : 0;
  return negA ? -order : Math.sign(order);
}

function compareNumbers(a: number | bigint, b: number | bigint): number {
  // Relational operators are exact across number and bigint; NaN is in no order.
  return a < b ? -1 : a > b ? 1 : a == b ? 0 : NaN;
}

function compareTextWithNumber(textValue: string, value: number | bigint): number {
  if (!DECIMAL_TEXT.test(textValue)) return NaN;
  if (typeof value === 'bigint') return compareDecimalText(textValue, value.toString());
  if (Number.isSafeInteger(value)) return compareDecimalText(textValue, String(value));
  return compareNumbers(Number(textValue), value);
}

/**
 * Negative, zero or positive; NaN when the two values have no order (null, different kinds,
 * lists), which makes every comparison but `!=` false.
 */
function compare(a: unknown, b: unknown): number {
  const typeA = typeof a;
  const typeB = typeof b;
  const numberA = typeA === 'number' || typeA === 'bigint';
  const numberB = typeB === 'number' || typeB === 'bigint';
  if (numberA && numberB) return compareNumbers(a as number | bigint, b as number | bigint);
  if (typeA === 'string') {
    if (typeB === 'string') {
      if (a === b) return 0;
      if (DECIMAL_TEXT.test(a as string) && DECIMAL_TEXT.test(b as string)) {
        return compareDecimalText(a as string, b as string);
      }
      return (a as string) < (b as string) ? -1 : 1;
    }
    if (numberB) return compareTextWithNumber(a as string, b as number | bigint);
    return NaN;
  }
  if (typeB === 'string' && numberA) return -compareTextWithNumber(b as string, a as number | bigint);
  if (typeA === 'boolean' && typeB === 'boolean') return Number(a) - Number(b);
  return NaN;
}

function equals(a: unknown, b: unknown): boolean {
  return compare(a, b) === 0;
}

type ArithmeticOperator = '+' | '-' | '*' | '/' | '%';

function bigintArithmetic(op: ArithmeticOperator, a: bigint, b: bigint): bigint | number | null {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      if (b === 0n) return null;
      // Integer division would silently truncate; an inexact quotient becomes a number.
      return a % b === 0n ? a / b : Number(a) / Number(b);
    case '%':
      return b === 0n ? null : a % b;
  }
}

function numberArithmetic(op: ArithmeticOperator, a: number, b: number): number | null {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? null : a / b;
    case '%':
      return b === 0 ? null : a % b;
  }
}

function arithmetic(op: ArithmeticOperator, left: unknown, right: unknown): unknown {
  if (isNull(left) || isNull(right)) return null;
  if (op === '+' && (typeof left === 'string' || typeof right === 'string')) {
    const a = text(left);
    const b = text(right);
    return a === null || b === null ? null : a + b;
  }
  const a = numeric(left);
  const b = numeric(right);
  if (a === null || b === null) return null;
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const bigA = typeof a === 'bigint' ? a : Number.isInteger(a) ? BigInt(a) : null;
    const bigB = typeof b === 'bigint' ? b : Number.isInteger(b) ? BigInt(b) : null;
    if (bigA !== null && bigB !== null) return bigintArithmetic(op, bigA, bigB);
    return numberArithmetic(op, Number(a), Number(b));
  }
  return numberArithmetic(op, a, b);
}

function negate(value: unknown): unknown {
  const n = numeric(value);
  return n === null ? null : -n;
}

// ---------------------------------------------------------------------------------------------
// Functions

function textFunction(transform: (value: string) => string): FunctionSpec {
  return {
    min: 1,
    max: 1,
    pure: true,
    call: (value) => {
      const t = text(value);
      return t === null ? null : transform(t);
    },
  };
}

function roundingFunction(round: (value: number) => number): FunctionSpec {
  return {
    min: 1,
    max: 1,
    pure: true,
    call: (value) => {
      const n = numeric(value);
      return n === null || typeof n === 'bigint' ? n : round(n);
    },
  };
}

function extreme(sign: 1 | -1): FunctionSpec {
  return {
    min: 1,
    max: Infinity,
    pure: true,
    // Nulls are skipped, as in PostgreSQL's LEAST and GREATEST.
    call: (...values) => {
      let best: unknown = null;
      for (const value of values) {
        if (isNull(value)) continue;
        if (best === null) {
          best = value;
          continue;
        }
        const order = compare(value, best);
        if (Number.isNaN(order)) return null;
        if (order * sign > 0) best = value;
      }
      return best;
    },
  };
}

function textPredicate(test: (value: string, part: string) => boolean): FunctionSpec {
  return {
    min: 2,
    max: 2,
    pure: true,
    call: (value, part) => {
      const a = text(value);
      const b = text(part);
      return a === null || b === null ? null : test(a, b);
    },
  };
}

function roundHalfAwayFromZero(value: number, digits: number): number {
  const scale = 10 ** digits;
  return (Math.sign(value) * Math.round(Math.abs(value) * scale)) / scale;
}

// A Map, not an object: a name such as `constructor` must not find anything.
const FUNCTIONS = new Map<string, FunctionSpec>([
  ['lower', textFunction((s) => s.toLowerCase())],
  ['upper', textFunction((s) => s.toUpperCase())],
  ['trim', textFunction((s) => s.trim())],
  [
    'len',
    {
      min: 1,
      max: 1,
      pure: true,
      call: (value) => {
        if (typeof value === 'string' || Array.isArray(value)) return value.length;
        if (value instanceof Uint8Array) return value.byteLength;
        return null;
      },
    },
  ],
  [
    'concat',
    {
      min: 1,
      max: Infinity,
      pure: true,
      // Nulls are skipped, as in PostgreSQL's concat().
      call: (...values) => values.map((value) => text(value) ?? '').join(''),
    },
  ],
  [
    'coalesce',
    {
      min: 1,
      max: Infinity,
      pure: true,
      call: (...values) => values.find((value) => !isNull(value)) ?? null,
    },
  ],
  [
    'abs',
    {
      min: 1,
      max: 1,
      pure: true,
      call: (value) => {
        const n = numeric(value);
        if (n === null) return null;
        return typeof n === 'bigint' ? (n < 0n ? -n : n) : Math.abs(n);
      },
    },
  ],
  [
    'round',
    {
      min: 1,
      max: 2,
      pure: true,
      call: (value, digits = 0) => {
        const n = numeric(value);
        const d = numeric(digits);
        if (n === null || d === null) return null;
        if (typeof n === 'bigint') return n;
        return roundHalfAwayFromZero(n, Math.max(0, Math.min(15, Math.trunc(Number(d)))));
      },
    },
  ],
  ['floor', roundingFunction(Math.floor)],
  ['ceil', roundingFunction(Math.ceil)],
  ['min', extreme(-1)],
  ['max', extreme(1)],
  [
    'substr',
    {
      min: 2,
      max: 3,
      pure: true,
      // 1-based, as SQL's substr: substr('hello', 2, 3) is 'ell'.
      call: (value, start, length) => {
        const s = text(value);
        const from = numeric(start);
        const count = length === undefined ? Infinity : numeric(length);
        if (s === null || from === null || count === null || count < 0) return null;
        const begin = Math.trunc(Number(from)) - 1;
        const end = begin + Math.trunc(Number(count));
        return s.slice(Math.max(begin, 0), Math.max(end, 0));
      },
    },
  ],
  ['starts_with', textPredicate((s, prefix) => s.startsWith(prefix))],
  ['ends_with', textPredicate((s, suffix) => s.endsWith(suffix))],
  [
    'contains',
    {
      min: 2,
      max: 2,
      pure: true,
      call: (container, item) => {
        if (isNull(container) || isNull(item)) return null;
        if (Array.isArray(container)) return container.some((element) => equals(element, item));
        const a = text(container);
        const b = text(item);
        return a === null || b === null ? null : a.includes(b);
      },
    },
  ],
  ['is_null', { min: 1, max: 1, pure: true, call: isNull }],
  ['now_ms', { min: 0, max: 0, pure: false, call: () => Date.now() }],
]);

const SYNTAX_HELP =
  'write field names (or `odd name` / field("odd name")), numbers, \'text\' or "text", true, false, null, ' +
  '( ), unary - ! not, * / %, + -, < <= > >= == !=, and &&, or ||, x in [a, b], x not in [a, b], ' +
  `and the functions ${[...FUNCTIONS.keys()].join(', ')}`;

// ---------------------------------------------------------------------------------------------
// Tokens

type TokenKind = 'number' | 'string' | 'name' | 'quoted' | 'operator' | 'end';

interface Token {
  readonly kind: TokenKind;
  /** The operator or name as written; for a keyword, lower-cased. */
  readonly text: string;
  readonly value?: unknown;
  /** 0-based offset in the source. */
  readonly at: number;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);
const NAME = /[\p{L}_][\p{L}\p{N}_]*/uy;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const OPERATORS = [
  '&&',
  '||',
  '==',
  '!=',
  '<=',
  '>=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '!',
  '(',
  ')',
  '[',
  ']',
  ',',
];
const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

class ExpressionSyntaxError extends Error {
  readonly at: number;
  readonly fix: string | undefined;

  constructor(at: number, message: string, fix?: string) {
    super(message);
    this.at = at;
    this.fix = fix;
  }
}

function describeToken(token: Token): string {
  if (token.kind === 'end') return 'the end of the expression';
  if (token.kind === 'string') return `the text ${JSON.stringify(token.value)}`;
  return `'${token.text}'`;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    NUMBER.lastIndex = i;
    const number = /[\d.]/.test(c) ? NUMBER.exec(source) : null;
    if (number) {
      const written = number[0];
      i += written.length;
      // Integers too wide for a double stay exact, to compare with longs.
      const value =
        /^\d+$/.test(written) && !Number.isSafeInteger(Number(written)) ? BigInt(written) : Number(written);
      tokens.push({ kind: 'number', text: written, value, at: start });
      continue;
    }
    NAME.lastIndex = i;
    const name = NAME.exec(source);
    if (name) {
      const written = name[0];
      i += written.length;
      const lower = written.toLowerCase();
      tokens.push(
        KEYWORDS.has(lower)
          ? { kind: 'operator', text: lower, at: start }
          : { kind: 'name', text: written, at: start },
      );
      continue;
    }
    if (c === "'" || c === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= source.length) {
          throw new ExpressionSyntaxError(start, 'text is not closed', `end the text with ${c}`);
        }
        const d = source[i] as string;
        if (d === c) break;
        if (d !== '\\') {
          value += d;
          i++;
          continue;
        }
        const e = source[i + 1] ?? '';
        const hex = /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6)) ? source.slice(i + 2, i + 6) : '';
        if (e === 'u' && hex) {
          value += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else if (Object.hasOwn(ESCAPES, e)) {
          value += ESCAPES[e];
          i += 2;
        } else {
          throw new ExpressionSyntaxError(
            i,
            `unknown escape \\${e}`,
            'escapes are \\\\ \\\' \\" \\n \\t \\r \\0 and \\uXXXX',
          );
        }
      }
      i++;
      tokens.push({ kind: 'string', text: source.slice(start, i), value, at: start });
      continue;
    }
    if (c === '`') {
      const end = source.indexOf('`', i + 1);
      if (end < 0)
        throw new ExpressionSyntaxError(start, 'field name is not closed', 'end the field name with `');
      const value = source.slice(i + 1, end);
      if (value === '') throw new ExpressionSyntaxError(start, 'empty field name ``');
      i = end + 1;
      tokens.push({ kind: 'quoted', text: source.slice(start, i), value, at: start });
      continue;
    }
    const operator = OPERATORS.find((op) => source.startsWith(op, i));
    if (operator) {
      i += operator.length;
      tokens.push({ kind: 'operator', text: operator, at: start });
      continue;
    }
    if (c === '=') throw new ExpressionSyntaxError(start, "'=' is not an operator", 'compare with ==');
    if (c === '&' || c === '|') {
      throw new ExpressionSyntaxError(
        start,
        `'${c}' is not an operator`,
        `write ${c}${c} or ${c === '&' ? 'and' : 'or'}`,
      );
    }
    throw new ExpressionSyntaxError(start, `unexpected character ${JSON.stringify(c)}`);
  }
  tokens.push({ kind: 'end', text: '', at: source.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Syntax tree

type Node =
  | { readonly type: 'literal'; readonly value: unknown }
  | { readonly type: 'field'; readonly name: string }
  | { readonly type: 'list'; readonly items: readonly Node[] }
  | { readonly type: 'unary'; readonly op: '-' | '!'; readonly operand: Node }
  | { readonly type: 'binary'; readonly op: string; readonly left: Node; readonly right: Node }
  | { readonly type: 'in'; readonly negated: boolean; readonly left: Node; readonly right: Node }
  | { readonly type: 'call'; readonly spec: FunctionSpec; readonly args: readonly Node[] };

const PRECEDENCE: Record<string, number> = {
  or: 1,
  '||': 1,
  and: 2,
  '&&': 2,
  // 3: prefix `not`
  '==': 4,
  '!=': 4,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  in: 4,
  not: 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};
const NOT_PRECEDENCE = 3;
const COMPARISON = 4;
const UNARY = 7;

class Parser {
  readonly tokens: readonly Token[];
  readonly fields: string[] = [];
  index = 0;
  depth = 0;

  constructor(tokens: readonly Token[]) {
    this.tokens = tokens;
  }

  get token(): Token {
    return this.tokens[this.index] as Token;
  }

  next(): Token {
    const token = this.token;
    if (token.kind !== 'end') this.index++;
    return token;
  }

  isOperator(text: string, offset = 0): boolean {
    const token = this.tokens[this.index + offset];
    return token?.kind === 'operator' && token.text === text;
  }

  expect(text: string, what: string): Token {
    if (!this.isOperator(text)) {
      throw new ExpressionSyntaxError(this.token.at, `expected ${what}, found ${describeToken(this.token)}`);
    }
    return this.next();
  }

  parseAll(): Node {
    const node = this.parse(0);
    if (this.token.kind !== 'end') {
      throw new ExpressionSyntaxError(
        this.token.at,
        `unexpected ${describeToken(this.token)} after a complete expression`,
        'join conditions with and / or, and values with an operator',
      );
    }
    return node;
  }

  parse(minPrecedence: number): Node {
    if (++this.depth > MAX_DEPTH) {
      throw new ExpressionSyntaxError(this.token.at, `expression nested more than ${MAX_DEPTH} levels deep`);
    }
    let left = this.prefix();
    for (;;) {
      const token = this.token;
      if (token.kind !== 'operator') break;
      const precedence = PRECEDENCE[token.text];
      if (precedence === undefined || precedence < minPrecedence) break;
      if (token.text === 'not' && !(this.tokens[this.index + 1]?.text === 'in')) break;
      this.next();
      if (precedence === COMPARISON) {
        const negated = token.text === 'not';
        if (negated) this.next();
        const right = this.parse(COMPARISON + 1);
        left =
          token.text === 'in' || negated
            ? { type: 'in', negated, left, right }
            : { type: 'binary', op: token.text, left, right };
        if (this.token.kind === 'operator' && PRECEDENCE[this.token.text] === COMPARISON) {
          const chained = this.token;
          if (chained.text !== 'not' || this.isOperator('in', 1)) {
            throw new ExpressionSyntaxError(
              chained.at,
              `comparisons do not chain (found ${describeToken(chained)} after a comparison)`,
              'write a < b and b < c',
            );
          }
        }
        continue;
      }
      const right = this.parse(precedence + 1);
      left = { type: 'binary', op: token.text, left, right };
    }
    this.depth--;
    return left;
  }

  prefix(): Node {
    const token = this.next();
    switch (token.kind) {
      case 'number':
      case 'string':
        return { type: 'literal', value: token.value };
      case 'quoted':
        return this.field(token.value as string);
      case 'name':
        return this.isOperator('(') ? this.call(token) : this.field(token.text);
      case 'end':
        throw new ExpressionSyntaxError(token.at, 'expected a value, found the end of the expression');
      case 'operator':
        break;
    }
    switch (token.text) {
      case 'true':
        return { type: 'literal', value: true };
      case 'false':
        return { type: 'literal', value: false };
      case 'null':
        return { type: 'literal', value: null };
      case '(': {
        const inner = this.parse(0);
        this.expect(')', `')' to close the '(' at column ${token.at + 1}`);
        return inner;
      }
      case '[':
        return { type: 'list', items: this.list(']', token) };
      case '-':
        return { type: 'unary', op: '-', operand: this.parse(UNARY) };
      case '!':
        return { type: 'unary', op: '!', operand: this.parse(UNARY) };
      case 'not':
        return { type: 'unary', op: '!', operand: this.parse(NOT_PRECEDENCE) };
      default:
        throw new ExpressionSyntaxError(token.at, `expected a value, found ${describeToken(token)}`);
    }
  }

  list(close: string, open: Token): Node[] {
    const items: Node[] = [];
    if (this.isOperator(close)) {
      this.next();
      return items;
    }
    for (;;) {
      items.push(this.parse(0));
      if (this.isOperator(',')) {
        this.next();
        continue;
      }
      this.expect(close, `',' or '${close}' to close the '${open.text}' at column ${open.at + 1}`);
      return items;
    }
  }

  field(name: string): Node {
    if (!this.fields.includes(name)) this.fields.push(name);
    return { type: 'field', name };
  }

  call(name: Token): Node {
    const open = this.next();
    if (name.text === 'field') {
      const argument = this.next();
      if (argument.kind !== 'string') {
        throw new ExpressionSyntaxError(
          argument.at,
          'field( ) takes the field name as quoted text',
          'write field("odd name")',
        );
      }
      this.expect(')', `')' to close the '(' at column ${open.at + 1}`);
      return this.field(argument.value as string);
    }
    const spec = FUNCTIONS.get(name.text);
    if (!spec) {
      throw new ExpressionSyntaxError(
        name.at,
        `unknown function '${name.text}'`,
        `use one of ${[...FUNCTIONS.keys()].join(', ')} (a field name is written without parentheses)`,
      );
    }
    const args = this.list(')', open);
    if (args.length < spec.min || args.length > spec.max) {
      throw new ExpressionSyntaxError(
        name.at,
        `${name.text}() takes ${arity(spec)}, not ${args.length}`,
        `call ${name.text}() with ${arity(spec)}`,
      );
    }
    return { type: 'call', spec, args };
  }
}

function arity(spec: FunctionSpec): string {
  const plural = (n: number) => `${n} argument${n === 1 ? '' : 's'}`;
  if (spec.max === Infinity) return `at least ${plural(spec.min)}`;
  if (spec.min === spec.max) return plural(spec.min);
  return `${spec.min} to ${plural(spec.max)}`;
}

// ---------------------------------------------------------------------------------------------
// Compilation to closures

interface Compiled {
  readonly evaluate: Evaluator;
  /** True when the value does not depend on the row (nor on the clock). */
  readonly constant: boolean;
}

const EMPTY_ROW: Row = Object.freeze({});

function folded(evaluate: Evaluator, parts: readonly Compiled[]): Compiled {
  if (!parts.every((part) => part.constant)) return { evaluate, constant: false };
  const value = evaluate(EMPTY_ROW);
  return { evaluate: () => value, constant: true };
}

function isNullLiteral(node: Node): boolean {
  return node.type === 'literal' && node.value === null;
}

function compileNode(node: Node): Compiled {
  switch (node.type) {
    case 'literal': {
      const value = node.value;
      return { evaluate: () => value, constant: true };
    }
    case 'field': {
      const name = node.name;
      // Own properties only: `constructor` or `__proto__` must not reach Object.prototype.
      return { evaluate: (row) => (Object.hasOwn(row, name) ? (row[name] ?? null) : null), constant: false };
    }
    case 'list': {
      const items = node.items.map(compileNode);
      const fns = items.map((item) => item.evaluate);
      return folded((row) => fns.map((fn) => fn(row)), items);
    }
    case 'unary': {
      const operand = compileNode(node.operand);
      const fn = operand.evaluate;
      return folded(node.op === '-' ? (row) => negate(fn(row)) : (row) => !isTruthy(fn(row)), [operand]);
    }
    case 'in':
      return compileIn(node.negated, compileNode(node.left), compileNode(node.right));
    case 'call':
      return compileCall(node.spec, node.args.map(compileNode));
    case 'binary':
      return compileBinary(node.op, node.left, node.right);
  }
}

function compileBinary(op: string, leftNode: Node, rightNode: Node): Compiled {
  const left = compileNode(leftNode);
  const right = compileNode(rightNode);
  const a = left.evaluate;
  const b = right.evaluate;
  const parts = [left, right];
  if ((op === '==' || op === '!=') && (isNullLiteral(leftNode) || isNullLiteral(rightNode))) {
    // `x == null` is SQL's IS NULL: the one comparison that is true for a null.
    const other = isNullLiteral(leftNode) ? b : a;
    return folded(op === '==' ? (row) => isNull(other(row)) : (row) => !isNull(other(row)), parts);
  }
  switch (op) {
    case 'or':
    case '||':
      return folded((row) => isTruthy(a(row)) || isTruthy(b(row)), parts);
    case 'and':
    case '&&':
      return folded((row) => isTruthy(a(row)) && isTruthy(b(row)), parts);
    case '==':
      return folded((row) => compare(a(row), b(row)) === 0, parts);
    case '!=':
      return folded((row) => {
        const x = a(row);
        const y = b(row);
        return !isNull(x) && !isNull(y) && compare(x, y) !== 0;
      }, parts);
    // NaN (no order, or a null) makes each of these false.
    case '<':
      return folded((row) => compare(a(row), b(row)) < 0, parts);
    case '<=':
      return folded((row) => compare(a(row), b(row)) <= 0, parts);
    case '>':
      return folded((row) => compare(a(row), b(row)) > 0, parts);
    case '>=':
      return folded((row) => compare(a(row), b(row)) >= 0, parts);
    default: {
      const arithmeticOp = op as ArithmeticOperator;
      return folded((row) => arithmetic(arithmeticOp, a(row), b(row)), parts);
    }
  }
}

function compileIn(negated: boolean, left: Compiled, right: Compiled): Compiled {
  const a = left.evaluate;
  const b = right.evaluate;
  return folded(
    (row) => {
      const value = a(row);
      const list = b(row);
      if (isNull(value) || !Array.isArray(list)) return false;
      return list.some((item) => equals(value, item)) !== negated;
    },
    [left, right],
  );
}

function compileCall(spec: FunctionSpec, args: readonly Compiled[]): Compiled {
  const call = spec.call;
  const fns = args.map((arg) => arg.evaluate);
  const [first, second] = fns;
  let evaluate: Evaluator;
  if (fns.length === 0) evaluate = () => call();
  else if (fns.length === 1 && first) evaluate = (row) => call(first(row));
  else if (fns.length === 2 && first && second) evaluate = (row) => call(first(row), second(row));
  else evaluate = (row) => call(...fns.map((fn) => fn(row)));
  return spec.pure ? folded(evaluate, args) : { evaluate, constant: false };
}

/**
 * Parses and compiles an expression once; evaluate it per row. Throws a CdcError with code
 * INVALID_EXPRESSION, naming the 1-based column, for syntax errors, unknown functions and wrong
 * numbers of arguments. Unknown names are not errors here: they are fields, which a validator
 * checks against the table's schema.
 */
export function compileExpression(source: string): CompiledExpression {
  if (typeof source !== 'string' || source.length > MAX_SOURCE_LENGTH) {
    throw new CdcError(
      'INVALID_EXPRESSION',
      `an expression must be text of at most ${MAX_SOURCE_LENGTH} characters`,
      {
        fix: 'shorten the expression or split it into several rules',
      },
    );
  }
  try {
    const parser = new Parser(tokenize(source));
    const tree = parser.parseAll();
    const { evaluate } = compileNode(tree);
    return Object.freeze({ source, fields: Object.freeze(parser.fields), evaluate });
  } catch (error) {
    if (!(error instanceof ExpressionSyntaxError)) throw error;
    const column = error.at + 1;
    const quoted = JSON.stringify(source.length > 200 ? `${source.slice(0, 200)}…` : source);
    throw new CdcError(
      'INVALID_EXPRESSION',
      `invalid expression ${quoted} at column ${column}: ${error.message}`,
      {
        fix: error.fix ?? SYNTAX_HELP,
        details: { expression: source, column },
      },
    );
  }
}
