import { z } from 'zod';
import type { Row, Violation } from '../row.ts';
import { compileExpression, isTruthy, type CompiledExpression } from './expression.ts';
import {
  isCheckRule,
  type CheckRuleConfig,
  type FieldFormat,
  type FieldRuleConfig,
  type FieldType,
  type RuleConfig,
} from './rule-config.ts';

/** Its functions are closures, safe to pass around on their own. */
export interface RowValidator {
  /**
   * Every violation of the row, in rule order. A valid row gets one shared frozen empty array, so
   * the common case allocates nothing: copy before adding to it.
   */
  readonly validate: (row: Row) => Violation[];
  /**
   * One message per rule that names a field the schema does not have (by its `field:` or in an
   * expression), e.g. "rule 2 (field 'emial'): no such field (did you mean 'email'?); fields are: ...".
   */
  readonly unknownFields: (fieldNames: readonly string[]) => string[];
}

const NO_VIOLATIONS = Object.freeze([]) as unknown as Violation[];

const DECIMAL_TEXT = /^[+-]?\d+(?:\.\d+)?$/;
const E164 = /^\+[1-9]\d{1,14}$/;

/** How a row holds a value (row.ts); constraints are compiled separately for each. */
type Kind = 'string' | 'number' | 'bigint' | 'boolean' | 'bytes' | 'array' | 'other';
const KINDS: readonly Kind[] = ['string', 'number', 'bigint', 'boolean', 'bytes', 'array', 'other'];

function kindOf(value: unknown): Kind {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'bigint':
      return 'bigint';
    case 'boolean':
      return 'boolean';
    default:
      if (Array.isArray(value)) return 'array';
      if (value instanceof Uint8Array) return 'bytes';
      return 'other';
  }
}

// Decimal text counts as a number: decimal columns arrive as exact text.
const TYPE_KINDS: Record<FieldType, readonly Kind[]> = {
  string: ['string'],
  integer: ['number', 'bigint'],
  number: ['number', 'bigint', 'string'],
  boolean: ['boolean'],
  bytes: ['bytes'],
  array: ['array'],
};

const TYPE_MESSAGES: Record<FieldType, string> = {
  string: 'must be text',
  integer: 'must be an integer',
  number: 'must be a number',
  boolean: 'must be true or false',
  bytes: 'must be bytes',
  array: 'must be a list',
};

const FORMAT_MESSAGES: Record<FieldFormat, string> = {
  email: 'must be an email address',
  uuid: 'must be a UUID',
  url: 'must be an http or https URL',
  e164: 'must be a phone number in E.164 form, such as +33612345678',
  iso_date: 'must be a date written YYYY-MM-DD',
  iso_datetime: 'must be an ISO 8601 date-time with an offset, such as 2024-01-31T12:00:00Z',
};

function stringFormat(format: FieldFormat, error: string): z.ZodString | z.ZodStringFormat {
  switch (format) {
    case 'email':
      return z.email({ error });
    case 'uuid':
      return z.uuid({ error });
    case 'url':
      return z.url({ protocol: /^https?$/, error });
    case 'e164':
      return z.string().regex(E164, { error });
    case 'iso_date':
      return z.iso.date({ error });
    case 'iso_datetime':
      return z.iso.datetime({ offset: true, error });
  }
}

function bounds(min: number | undefined, max: number | undefined, unit: string): string {
  if (min !== undefined && max !== undefined)
    return min === max ? `${min}${unit}` : `${min} to ${max}${unit}`;
  return min !== undefined ? `at least ${min}${unit}` : `at most ${String(max)}${unit}`;
}

function listed(values: readonly (string | number)[]): string {
  const shown = values
    .slice(0, 10)
    .map((value) => (typeof value === 'string' ? `'${value}'` : String(value)));
  return shown.join(', ') + (values.length > 10 ? `, … (${values.length} values)` : '');
}

type Test = (value: never) => boolean;

/**
 * One zod schema, and a plain test that is a sufficient condition for it: a value the test
 * accepts is one the schema accepts. Zod is only run when the test fails (or is missing), so it
 * stays the one authority on violations and their messages while valid rows skip its overhead.
 */
interface Part {
  readonly schema: z.ZodType;
  readonly accepts: ((value: unknown) => boolean) | null;
}

function part(schema: z.ZodType, tests: readonly (Test | null)[]): Part {
  if (tests.includes(null)) return { schema, accepts: null };
  const all = tests as readonly ((value: unknown) => boolean)[];
  if (all.length === 1) return { schema, accepts: all[0] as (value: unknown) => boolean };
  return { schema, accepts: (value) => all.every((test) => test(value)) };
}

/** The regular expressions zod's own formats use, where one exists; others always go to zod. */
const FORMAT_TESTS: Record<FieldFormat, RegExp | null> = {
  email: z.regexes.email,
  uuid: z.regexes.uuid(),
  url: null,
  e164: E164,
  iso_date: z.regexes.date,
  iso_datetime: null,
};

/** What to do with a non-null value of one kind. */
interface KindCheck {
  /** Violations the kind alone causes (text where a number belongs), decided at compile time. */
  readonly fixed: readonly Violation[];
  /** Zod schemas that together hold the remaining constraints; all are run, all issues kept. */
  readonly parts: readonly Part[];
}

interface CompiledFieldRule {
  readonly kind: 'field';
  readonly field: string;
  readonly required: Violation | null;
  readonly when: CompiledExpression | null;
  readonly byKind: Readonly<Record<Kind, KindCheck>>;
  /** Violations keyed by the message their zod check reports. */
  readonly violations: ReadonlyMap<string, Violation>;
  readonly message: string | undefined;
}

interface CompiledCheckRule {
  readonly kind: 'check';
  readonly expression: CompiledExpression;
  readonly when: CompiledExpression | null;
  readonly label: string;
  readonly failed: Violation;
  readonly message: string | undefined;
}

type CompiledRule = CompiledFieldRule | CompiledCheckRule;

function compileFieldRule(rule: FieldRuleConfig): CompiledFieldRule {
  const { field } = rule;
  const violations = new Map<string, Violation>();
  const violation = (name: string, message: string): Violation => {
    const made = Object.freeze({ rule: name, field, message: rule.message ?? message });
    if (!violations.has(message)) violations.set(message, made);
    return made;
  };
  const required = rule.required ? violation('required', 'is required: must not be null or empty') : null;
  const typeMessage = rule.type ? TYPE_MESSAGES[rule.type] : undefined;
  const typeViolation = rule.type ? violation('type', TYPE_MESSAGES[rule.type]) : null;
  const formatMessage = rule.format ? FORMAT_MESSAGES[rule.format] : undefined;
  const { range, length, pattern } = rule;
  const rangeMessage = range ? `must be ${bounds(range.min, range.max, '')}` : undefined;
  const textLength = length ? `must be ${bounds(length.min, length.max, ' characters')} long` : undefined;
  const listLength = length ? `must have ${bounds(length.min, length.max, ' items')}` : undefined;
  const enumMessage = rule.enum ? `must be one of ${listed(rule.enum)}` : undefined;
  const regex = pattern === undefined ? undefined : new RegExp(pattern, 'u');
  const patternMessage = pattern === undefined ? undefined : `must match the pattern ${pattern}`;

  const enumParts = (kind: Kind): Part[] => {
    if (!rule.enum) return [];
    const values: (string | number | bigint)[] = [...rule.enum];
    // Longs arrive as bigint: 2n must match an allowed 2.
    if (kind === 'bigint') values.push(...rule.enum.filter(Number.isSafeInteger).map((n) => BigInt(n)));
    violation('enum', enumMessage as string);
    const allowed = new Set<unknown>(values);
    return [part(z.literal(values, { error: enumMessage }), [(value: unknown) => allowed.has(value)])];
  };

  const checkFor = (kind: Kind): KindCheck => {
    if (rule.type && typeViolation && !TYPE_KINDS[rule.type].includes(kind)) {
      return { fixed: [typeViolation], parts: [] };
    }
    const fixed: Violation[] = [];
    const parts: Part[] = [];
    // A constraint that cannot hold for this kind of value fails with its own message.
    const refuse = (name: string, message: string | undefined) => {
      if (message !== undefined) fixed.push(violation(name, message));
    };
    switch (kind) {
      case 'string': {
        const tests: (Test | null)[] = [];
        let schema: z.ZodString | z.ZodStringFormat = z.string();
        if (rule.format && formatMessage) {
          schema = stringFormat(rule.format, formatMessage);
          const test = FORMAT_TESTS[rule.format];
          tests.push(test ? (text: string) => test.test(text) : null);
          violation('format', formatMessage);
        }
        if (rule.type === 'number') {
          schema = schema.regex(DECIMAL_TEXT, { error: typeMessage, abort: true });
          tests.push((text: string) => DECIMAL_TEXT.test(text));
        }
        if (length && textLength) {
          const { min = 0, max = Infinity } = length;
          if (length.min !== undefined) schema = schema.min(length.min, textLength);
          if (length.max !== undefined) schema = schema.max(length.max, textLength);
          tests.push((text: string) => text.length >= min && text.length <= max);
          violation('length', textLength);
        }
        if (regex && patternMessage) {
          schema = schema.regex(regex, patternMessage);
          tests.push((text: string) => regex.test(text));
          violation('pattern', patternMessage);
        }
        if (range && rangeMessage) {
          const { min = -Infinity, max = Infinity } = range;
          // Compared through a double: exact enough for bounds written in YAML.
          const within = (text: string) =>
            DECIMAL_TEXT.test(text) && Number(text) >= min && Number(text) <= max;
          parts.push(part(schema.refine(within, rangeMessage), [...tests, within]));
          violation('range', rangeMessage);
        } else if (tests.length > 0) {
          parts.push(part(schema, tests));
        }
        parts.push(...enumParts(kind));
        break;
      }
      case 'number':
      case 'bigint': {
        const integerOnly = rule.type === 'integer';
        const { min = -Infinity, max = Infinity } = range ?? {};
        if (kind === 'number' && (range || integerOnly)) {
          // NaN and infinities fail the range (or the type) rather than a generic zod message.
          let schema = integerOnly ? z.int({ error: typeMessage }) : z.number({ error: rangeMessage });
          if (range?.min !== undefined) schema = schema.gte(range.min, rangeMessage);
          if (range?.max !== undefined) schema = schema.lte(range.max, rangeMessage);
          const number = integerOnly ? Number.isSafeInteger : Number.isFinite;
          parts.push(part(schema, [(n: number) => number(n) && n >= min && n <= max]));
        } else if (kind === 'bigint' && range) {
          let schema = z.bigint();
          // The bounds may be fractional; a whole number is >= 1.5 exactly when it is >= 2.
          if (range.min !== undefined) schema = schema.gte(BigInt(Math.ceil(range.min)), rangeMessage);
          if (range.max !== undefined) schema = schema.lte(BigInt(Math.floor(range.max)), rangeMessage);
          parts.push(part(schema, [(n: bigint) => n >= min && n <= max]));
        }
        if (rangeMessage) violation('range', rangeMessage);
        if (rule.format === 'iso_date' && formatMessage) {
          // The Avro date: days since 1970-01-01.
          if (kind === 'number') parts.push(part(z.int({ error: formatMessage }), [Number.isSafeInteger]));
          else refuse('format', formatMessage);
        } else if (rule.format !== 'iso_datetime' || kind !== 'bigint') {
          // A bigint under iso_datetime is a timestamp column: a date-time by construction.
          refuse('format', formatMessage);
        }
        refuse('length', textLength);
        refuse('pattern', patternMessage);
        parts.push(...enumParts(kind));
        break;
      }
      case 'array': {
        if (length) {
          const { min = 0, max = Infinity } = length;
          let schema = z.array(z.unknown());
          if (length.min !== undefined) schema = schema.min(length.min, listLength);
          if (length.max !== undefined) schema = schema.max(length.max, listLength);
          parts.push(part(schema, [(list: unknown[]) => list.length >= min && list.length <= max]));
          violation('length', listLength as string);
        }
        refuse('format', formatMessage);
        refuse('range', rangeMessage);
        refuse('pattern', patternMessage);
        refuse('enum', enumMessage);
        break;
      }
      default:
        refuse('format', formatMessage);
        refuse('range', rangeMessage);
        refuse('length', textLength);
        refuse('pattern', patternMessage);
        refuse('enum', enumMessage);
    }
    return { fixed, parts };
  };

  const byKind = Object.fromEntries(KINDS.map((kind) => [kind, checkFor(kind)])) as Record<Kind, KindCheck>;
  return {
    kind: 'field',
    field,
    required,
    when: rule.when === undefined ? null : compileExpression(rule.when),
    byKind,
    violations,
    message: rule.message,
  };
}

function compileCheckRule(rule: CheckRuleConfig): CompiledCheckRule {
  const expression = compileExpression(rule.check);
  const label = rule.name ? `check '${rule.name}'` : `check ${JSON.stringify(rule.check)}`;
  return {
    kind: 'check',
    expression,
    when: rule.when === undefined ? null : compileExpression(rule.when),
    label,
    failed: Object.freeze({ rule: 'check', field: null, message: rule.message ?? `${label} failed` }),
    message: rule.message,
  };
}

/** Maps an issue whose message no check of the rule declared (zod's own wording) to a rule name. */
function ruleOfIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return 'type';
    case 'invalid_value':
      return 'enum';
    case 'too_small':
    case 'too_big':
      return issue.origin === 'string' || issue.origin === 'array' ? 'length' : 'range';
    case 'invalid_format':
      return issue.format === 'regex' ? 'pattern' : 'format';
    default:
      return 'check';
  }
}

function validateField(rule: CompiledFieldRule, row: Row, out: Violation[]): void {
  const value = Object.hasOwn(row, rule.field) ? row[rule.field] : undefined;
  if (value === null || value === undefined) {
    if (rule.required) out.push(rule.required);
    return;
  }
  if (rule.required && typeof value === 'string' && value.trim() === '') {
    out.push(rule.required);
    return;
  }
  const check = rule.byKind[kindOf(value)];
  for (const violation of check.fixed) out.push(violation);
  for (const part of check.parts) {
    if (part.accepts?.(value)) continue;
    const result = part.schema.safeParse(value);
    if (result.success) continue;
    for (const issue of result.error.issues) {
      out.push(
        rule.violations.get(issue.message) ?? {
          rule: ruleOfIssue(issue),
          field: rule.field,
          message: rule.message ?? issue.message,
        },
      );
    }
  }
}

function nullFields(expression: CompiledExpression, row: Row): string[] {
  return expression.fields.filter(
    (name) => !Object.hasOwn(row, name) || row[name] === null || row[name] === undefined,
  );
}

function validateCheck(rule: CompiledCheckRule, row: Row, out: Violation[]): void {
  const result = rule.expression.evaluate(row);
  if (isTruthy(result)) return;
  const nulls = nullFields(rule.expression, row);
  if (nulls.length === 0) {
    out.push(rule.failed);
    return;
  }
  const which = nulls.length === 1 ? `${nulls[0]} is null` : `${nulls.join(', ')} are null`;
  out.push({ rule: 'check', field: null, message: `${rule.failed.message} (${which})` });
}

/** Edit distance, to suggest the field a misspelt name meant. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

function suggestion(name: string, fieldNames: readonly string[]): string {
  let best: string | undefined;
  // Two edits catch most typos (a swap is two); short names allow one.
  let bestDistance = name.length <= 3 ? 1 : Math.max(2, Math.floor(name.length / 3));
  for (const candidate of fieldNames) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d <= bestDistance) {
      best = candidate;
      bestDistance = d - 1;
    }
  }
  return best === undefined ? '' : ` (did you mean '${best}'?)`;
}

function describeRule(rule: RuleConfig, index: number): string {
  return isCheckRule(rule)
    ? `rule ${index + 1} (${rule.name ? `check '${rule.name}'` : `check ${JSON.stringify(rule.check)}`})`
    : `rule ${index + 1} (field '${rule.field}')`;
}

/**
 * Compiles a validator's rules (as parsed by `rulesSchema`) once: each field rule becomes zod
 * schemas per kind of value, each expression a closure. Throws the CdcError of compileExpression
 * for rules that did not go through the schema.
 */
export function compileRules(rules: readonly RuleConfig[]): RowValidator {
  const compiled: readonly CompiledRule[] = rules.map((rule) =>
    isCheckRule(rule) ? compileCheckRule(rule) : compileFieldRule(rule),
  );

  // Reused between rows: validate() is synchronous, so no two calls share it at once.
  const found: Violation[] = [];

  function validate(row: Row): Violation[] {
    for (const rule of compiled) {
      if (rule.when !== null && !isTruthy(rule.when.evaluate(row))) continue;
      if (rule.kind === 'field') validateField(rule, row, found);
      else validateCheck(rule, row, found);
    }
    if (found.length === 0) return NO_VIOLATIONS;
    const violations = found.slice();
    found.length = 0;
    return violations;
  }

  function unknownFields(fieldNames: readonly string[]): string[] {
    const known = new Set(fieldNames);
    const listing = fieldNames.join(', ');
    const problems: string[] = [];
    rules.forEach((rule, index) => {
      const where = describeRule(rule, index);
      const missing = (name: string, place: string) =>
        `${where}: ${place}no such field '${name}'${suggestion(name, fieldNames)}; fields are: ${listing}`;
      const compiledRule = compiled[index] as CompiledRule;
      if (!isCheckRule(rule) && !known.has(rule.field)) {
        problems.push(`${where}: no such field${suggestion(rule.field, fieldNames)}; fields are: ${listing}`);
      }
      if (compiledRule.kind === 'check') {
        for (const name of compiledRule.expression.fields) {
          if (!known.has(name)) problems.push(missing(name, ''));
        }
      }
      for (const name of compiledRule.when?.fields ?? []) {
        if (!known.has(name)) problems.push(missing(name, 'when: '));
      }
    });
    return problems;
  }

  return Object.freeze({ validate, unknownFields });
}
