import { z } from 'zod';
import { CdcError } from '@cdc/core';
import { compileExpression } from './expression.ts';

export const FIELD_TYPES = ['string', 'integer', 'number', 'boolean', 'bytes', 'array'] as const;
export const FIELD_FORMATS = ['email', 'uuid', 'url', 'e164', 'iso_date', 'iso_datetime'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
export type FieldFormat = (typeof FIELD_FORMATS)[number];

/** The settings a field rule checks a value against; a field rule needs at least one. */
const CONSTRAINTS = ['required', 'type', 'format', 'range', 'length', 'enum', 'pattern'] as const;

function strictMapping<T extends z.ZodRawShape>(shape: T, what: string) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'invalid_type') return `must be a mapping: ${what}`;
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((key) => `'${key}'`).join(', ');
        return `unknown setting${issue.keys.length === 1 ? '' : 's'} ${keys}; known here: ${known}`;
      }
      return undefined;
    },
  });
}

const expression = z
  .string('must be an expression in quotes, such as "ends_at > starts_at"')
  // Not trimmed: the columns in error messages must match the text as written.
  .refine((source) => source.trim() !== '', {
    error: 'must be an expression such as "ends_at > starts_at"',
    abort: true,
  })
  .superRefine((source, ctx) => {
    try {
      compileExpression(source);
    } catch (error) {
      if (!(error instanceof CdcError)) throw error;
      ctx.addIssue({ code: 'custom', message: `${error.message} (fix: ${error.fix})` });
    }
  });

const bound = (what: string) => z.number(`must be a number (the ${what} allowed value)`);
const count = (what: string) =>
  z.int(`must be a whole number (the ${what} length)`).min(0, 'must be 0 or more');

function ordered(value: { min?: number | undefined; max?: number | undefined }): boolean {
  return value.min === undefined || value.max === undefined || value.min <= value.max;
}

const range = strictMapping(
  {
    min: bound('smallest').optional().describe('Smallest allowed value (inclusive)'),
    max: bound('largest').optional().describe('Largest allowed value (inclusive)'),
  },
  'min and/or max, such as { min: 0, max: 150 }',
)
  .refine((value) => value.min !== undefined || value.max !== undefined, 'must set min, max or both')
  .refine(ordered, 'min must not be greater than max');

const length = strictMapping(
  {
    min: count('smallest').optional().describe('Fewest characters (text) or items (list), inclusive'),
    max: count('largest').optional().describe('Most characters (text) or items (list), inclusive'),
  },
  'min and/or max, such as { min: 1, max: 80 }',
)
  .refine((value) => value.min !== undefined || value.max !== undefined, 'must set min, max or both')
  .refine(ordered, 'min must not be greater than max');

const fieldShape = {
  field: z
    .string('must be the name of a field of the row')
    .min(1, 'must be the name of a field of the row')
    .describe('The field this rule checks, as named in the table (and the Avro schema)'),
  required: z
    .boolean('must be true or false')
    .optional()
    .describe('Refuse null, a missing field and text that is empty or only spaces'),
  type: z
    .enum(FIELD_TYPES, { error: `must be one of ${FIELD_TYPES.join(', ')}` })
    .optional()
    .describe(
      'Kind of value: string (text), integer (int or long), number (int, long, double or decimal text), ' +
        'boolean, bytes, array (a list)',
    ),
  format: z
    .enum(FIELD_FORMATS, { error: `must be one of ${FIELD_FORMATS.join(', ')}` })
    .optional()
    .describe(
      'Format of the text: email, uuid, url (http or https), e164 (+ and up to 15 digits), ' +
        'iso_date (YYYY-MM-DD, a real date; an Avro date also passes), iso_datetime (ISO 8601 with an offset or Z)',
    ),
  range: range
    .optional()
    .describe('Bounds of a number, long or decimal value, such as { min: 0, max: 150 }; null values pass'),
  length: length
    .optional()
    .describe('Bounds of the length of text (characters) or of a list (items), such as { min: 1, max: 80 }'),
  enum: z
    .array(z.union([z.string(), z.number()], 'each allowed value must be text or a number'), {
      error: 'must be a list of allowed values, such as [active, closed]',
    })
    .min(1, 'must list at least one allowed value')
    .optional()
    .describe('The allowed values (text or numbers)'),
  pattern: z
    .string('must be a regular expression in quotes')
    .min(1, 'must be a regular expression such as "^[A-Z]{2}[0-9]{4}$"')
    .superRefine((source, ctx) => {
      try {
        new RegExp(source, 'u');
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `is not a valid regular expression: ${(error as Error).message}`,
        });
      }
    })
    .optional()
    .describe(
      'A JavaScript regular expression (unicode mode) the text must match somewhere; anchor it with ^ and $ ' +
        'to match the whole text',
    ),
};

const commonShape = {
  message: z
    .string('must be text')
    .trim()
    .min(1, 'must not be empty')
    .optional()
    .describe("Replaces the rule's default message in the dead letter"),
  when: expression
    .optional()
    .describe('Apply the rule only to rows where this expression is true, such as "country == \'FR\'"'),
};

const checkShape = {
  check: expression.describe(
    'An expression over the row that must be true, such as "ends_at > starts_at"; a null result fails',
  ),
  name: z
    .string('must be text')
    .trim()
    .min(1, 'must not be empty')
    .optional()
    .describe('Short name of the check, shown in its violations'),
};

/** Each kind of rule alone, for documentation; configurations are parsed with `ruleSchema`. */
export const fieldRuleSchema = z.strictObject({ ...fieldShape, ...commonShape });
export const checkRuleSchema = z.strictObject({ ...checkShape, ...commonShape });

/** A constraint on one field, such as `{ field: email, required: true, format: email }`. */
export type FieldRuleConfig = z.output<typeof fieldRuleSchema>;
/** An expression over the whole row, such as `{ check: 'ends_at > starts_at' }`. */
export type CheckRuleConfig = z.output<typeof checkRuleSchema>;
export type RuleConfig = FieldRuleConfig | CheckRuleConfig;

export function isCheckRule(rule: RuleConfig): rule is CheckRuleConfig {
  return 'check' in rule && rule.check !== undefined;
}

// Constraints that only make sense for some types, so that a contradiction is a config error
// rather than a violation on every row.
const APPLIES_TO: Partial<Record<(typeof CONSTRAINTS)[number], readonly FieldType[]>> = {
  format: ['string', 'integer'],
  range: ['integer', 'number'],
  length: ['string', 'array'],
  enum: ['string', 'integer', 'number'],
  pattern: ['string'],
};

type Flat = Partial<FieldRuleConfig & CheckRuleConfig>;

function checkCombination(rule: Flat, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) =>
    ctx.addIssue({ code: 'custom', path: path ? [path] : [], message });
  if (rule.field === undefined && rule.check === undefined) {
    issue('', 'a rule needs field: (constraints on one field) or check: (an expression over the row)');
    return;
  }
  if (rule.field !== undefined && rule.check !== undefined) {
    issue('check', 'a rule has field: or check:, not both; write them as two rules');
    return;
  }
  if (rule.check !== undefined) {
    for (const key of CONSTRAINTS) {
      if (rule[key] !== undefined) {
        issue(key, `only for field rules; a check rule has check, name, message and when`);
      }
    }
    return;
  }
  if (rule.name !== undefined) issue('name', 'only for check rules; a field rule is named by its field');
  if (!CONSTRAINTS.some((key) => (key === 'required' ? rule.required === true : rule[key] !== undefined))) {
    issue('', `a field rule needs at least one of ${CONSTRAINTS.join(', ')} (required: true)`);
  }
  const type = rule.type;
  if (type === undefined) return;
  for (const [key, types] of Object.entries(APPLIES_TO)) {
    if (rule[key as keyof Flat] !== undefined && !types.includes(type)) {
      issue(key, `does not apply to type ${type}; it applies to ${types.join(', ')}`);
    }
  }
  if (rule.format !== undefined && rule.format !== 'iso_date' && type !== 'string') {
    issue('format', `${rule.format} applies to type string`);
  }
  if (rule.enum?.some((value) => typeof value !== (type === 'string' ? 'string' : 'number'))) {
    issue('enum', `allowed values of a ${type} field must all be ${type === 'string' ? 'text' : 'numbers'}`);
  }
}

/**
 * One rule of a validator. The two kinds share one mapping (rather than a union) so that a
 * mistake is reported against the setting concerned, not as "matches neither kind".
 */
export const ruleSchema = strictMapping(
  {
    ...fieldShape,
    field: fieldShape.field.optional(),
    ...checkShape,
    check: checkShape.check.optional(),
    ...commonShape,
  },
  '{ field: ..., <constraints> } or { check: <expression> }',
)
  .superRefine(checkCombination)
  .transform((rule) => rule as RuleConfig)
  .describe(
    'A field rule (field: plus at least one of required, type, format, range, length, enum, pattern) ' +
      'or a check (check: an expression over the row that must be true)',
  );

export const rulesSchema = z
  .array(ruleSchema, { error: 'must be a list of rules, each starting with field: or check:' })
  .min(1, 'must list at least one rule')
  .describe('Validation rules, applied in order; every violation of a row is reported');
