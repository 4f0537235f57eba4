import { isSupportedCountry } from 'libphonenumber-js/max';
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { parseKeyTemplate } from './key-template.ts';

/**
 * The steps of a transformer as written in its YAML, e.g.
 *
 *   steps:
 *     - drop: [notes]
 *     - rename: { name: full_name }
 *     - mask: { field: ssn, method: hash, salt_env: SSN_SALT }
 *
 * Each step is a mapping with exactly one key naming its kind. Everything that can be checked
 * without the input schema (zones, phone regions, templates) is checked here, at start-up.
 */

// Step names and fields end up as Avro field names.
const fieldName = z
  .string({ error: 'must be a field name (text)' })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an Avro field name: a letter or _, then letters, digits or _')
  .describe('A field of the row');

const fieldList = (what: string) =>
  z
    .array(fieldName, { error: 'must be a list of field names, such as [id, name]' })
    .min(1, 'must list at least one field')
    .refine((names) => new Set(names).size === names.length, 'lists a field twice')
    .describe(what);

const zone = z
  .string({ error: 'must be an IANA time zone name such as Europe/Paris' })
  .refine(
    (name) => IANAZone.isValidZone(name),
    'is not a known IANA time zone; use a name such as Europe/Paris',
  )
  .describe('IANA time zone name, such as Europe/Paris or UTC');

const VALUE_TYPES = ['string', 'int', 'long', 'double', 'boolean'] as const;
const valueType = z
  .enum(VALUE_TYPES, { error: `must be one of ${VALUE_TYPES.join(', ')}` })
  .describe('Avro type of the result: string, int, long (a bigint), double or boolean');

const mappingOf = (example: string) => ({
  error: (issue: { code: string }) =>
    issue.code === 'invalid_type' ? `must be a mapping, such as ${example}` : undefined,
});

const select = fieldList('Keeps only these fields, in this order; every other field is dropped');
const drop = fieldList('Removes these fields');

const rename = z
  .record(fieldName, fieldName, mappingOf('{ old_name: new_name }'))
  .refine((map) => Object.keys(map).length > 0, 'must rename at least one field, as { old_name: new_name }')
  .refine(
    (map) => new Set(Object.values(map)).size === Object.values(map).length,
    'renames two fields to the same name',
  )
  .describe('Renames fields: { old_name: new_name }; the type and value are kept');

const coerce = z
  .strictObject(
    {
      field: fieldName.describe('The field to convert'),
      to: valueType.describe('Target type: string, int, long, double or boolean'),
    },
    mappingOf('{ field: age, to: int }'),
  )
  .describe('Converts a field to another type; a value that cannot be converted dead-letters the record');

const phone = z
  .strictObject(
    {
      region: z
        .string({ error: 'must be a two-letter country code such as FR' })
        .refine(
          (code) => isSupportedCountry(code),
          'is not a country code libphonenumber knows, such as FR or US',
        )
        .optional()
        .describe('Country of numbers written without +<country code> (e.g. FR for 06 12 34 56 78)'),
    },
    mappingOf('{ region: FR }'),
  )
  .describe('Parses a phone number into E.164 (+33612345678); an invalid number dead-letters the record');

const SAMPLE = DateTime.utc(2024, 12, 25, 13, 45, 56);
const DATE_OUTPUTS = ['date', 'iso'] as const;
const date = z
  .strictObject(
    {
      format: z
        .string({ error: "must be a luxon format such as 'dd/MM/yyyy'" })
        .min(1, "must be a luxon format such as 'dd/MM/yyyy'")
        // A format that cannot read back what it writes would reject every input.
        .refine(
          (format) => DateTime.fromFormat(SAMPLE.toFormat(format), format).isValid,
          "is not a luxon format that can read dates, such as 'dd/MM/yyyy' or 'dd/MM/yyyy HH:mm'",
        )
        .optional()
        .describe('Luxon format of the input text (default: ISO 8601), e.g. dd/MM/yyyy or dd/MM/yyyy HH:mm'),
      zone: zone
        .optional()
        .describe(
          'Zone of input texts that carry no offset (default UTC); also the zone whose calendar date is kept',
        ),
      output: z
        .enum(DATE_OUTPUTS, { error: "must be 'date' (an Avro date) or 'iso' (an ISO 8601 text in UTC)" })
        .describe("'date': an Avro date (days since 1970-01-01); 'iso': an ISO 8601 instant in UTC"),
    },
    mappingOf("{ format: 'dd/MM/yyyy', output: date }"),
  )
  .describe('Parses a date or date-time text; an unparseable one dead-letters the record');

const CASES = ['lower', 'upper', 'title'] as const;
const normalise = z
  .strictObject(
    {
      field: fieldName.describe('The field to normalise'),
      trim: z
        .boolean({ error: 'must be true or false' })
        .optional()
        .describe('Removes surrounding white space'),
      case: z
        .enum(CASES, { error: 'must be one of lower, upper, title' })
        .optional()
        .describe('Changes the letter case (title: first letter of each word upper case, the rest lower)'),
      phone: phone.optional(),
      email: z
        .literal(true, { error: 'must be true (add case: lower to lower-case the whole address)' })
        .optional()
        .describe(
          'Trims an e-mail address and lower-cases its domain; a malformed address dead-letters the record',
        ),
      date: date.optional(),
      timezone: zone
        .optional()
        .describe(
          'For timestamp fields: an ISO 8601 text with the offset of this zone (local timestamps are read as wall time there)',
        ),
    },
    mappingOf('{ field: phone, phone: { region: FR } }'),
  )
  .superRefine((step, ctx) => {
    const formats = (['phone', 'email', 'date', 'timezone'] as const).filter(
      (key) => step[key] !== undefined,
    );
    if (formats.length > 1) {
      ctx.addIssue({
        code: 'custom',
        message: `sets ${formats.join(' and ')}; a normalise step has at most one of phone, email, date, timezone (use two steps)`,
      });
    }
    if (formats.length === 0 && step.trim === undefined && step.case === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'does nothing; set at least one of trim, case, phone, email, date, timezone',
      });
    }
    if (step.timezone !== undefined && (step.trim !== undefined || step.case !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'timezone applies to timestamps, which have no trim or case' });
    }
  })
  .describe('Cleans up a value: trim and case first, then at most one of phone, email, date, timezone');

const MASK_METHODS = ['hash', 'redact', 'partial'] as const;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const mask = z
  .strictObject(
    {
      field: fieldName.describe('The field to mask'),
      method: z
        .enum(MASK_METHODS, { error: 'must be one of hash, redact, partial' })
        .describe(
          'hash: HMAC-SHA256 hex with a secret salt; redact: a fixed text or null; partial: keep the end only',
        ),
      salt_env: z
        .string({ error: 'must be the name of an environment variable' })
        .regex(ENV_NAME, 'must be an environment variable name such as SSN_SALT')
        .optional()
        .describe(
          'hash: the environment variable holding the salt (required; the salt itself never goes in YAML)',
        ),
      text: z
        .string({ error: 'must be text' })
        .optional()
        .describe("redact: the replacement text (default '[redacted]')"),
      to_null: z
        .boolean({ error: 'must be true or false' })
        .optional()
        .describe('redact: replace by null instead of a text'),
      keep_last: z
        .int('must be a whole number')
        .min(0, 'must be at least 0')
        .max(64, 'must be at most 64')
        .optional()
        .describe("partial: how many trailing characters stay visible (default 4); the rest become '*'"),
    },
    mappingOf('{ field: ssn, method: hash, salt_env: SSN_SALT }'),
  )
  .superRefine((step, ctx) => {
    const allowed: Record<(typeof MASK_METHODS)[number], readonly string[]> = {
      hash: ['salt_env'],
      redact: ['text', 'to_null'],
      partial: ['keep_last'],
    };
    for (const option of ['salt_env', 'text', 'to_null', 'keep_last'] as const) {
      if (step[option] !== undefined && !allowed[step.method].includes(option)) {
        ctx.addIssue({
          code: 'custom',
          path: [option],
          message: `does not apply to method ${step.method} (${step.method} takes ${allowed[step.method].join(', ')})`,
        });
      }
    }
    if (step.method === 'hash' && step.salt_env === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['salt_env'],
        message: 'method hash needs salt_env: the environment variable that holds the secret salt',
      });
    }
    if (step.to_null === true && step.text !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'cannot be set together with to_null: true' });
    }
  })
  .describe('Hides a value: hash, redact or partial');

const compute = z
  .strictObject(
    {
      field: fieldName.describe('The field to write (a new one, or an existing one to replace)'),
      expr: z
        .string({ error: 'must be an expression (text)' })
        .min(1, 'must not be empty')
        .describe('The expression computing the value from the row (see rules/expression)'),
      type: valueType,
    },
    mappingOf("{ field: age, expr: 'year(now()) - birth_year', type: int }"),
  )
  .describe('Computes a field from others; an evaluation error dead-letters the record');

const enrich = z
  .strictObject(
    {
      lookup: z
        .literal('redis', { error: "must be 'redis' (the only lookup there is)" })
        .describe('Where to look up'),
      key: z
        .string({ error: "must be a key template such as 'facility:{facility_id}'" })
        .check((ctx) => {
          const parsed = parseKeyTemplate(ctx.value);
          if (typeof parsed === 'string')
            ctx.issues.push({ code: 'custom', input: ctx.value, message: parsed });
        })
        .describe('Key of the Redis hash, with {field} placeholders filled from the row'),
      fields: z
        .record(
          fieldName.describe('Output field'),
          z.string({ error: 'must be the name of a field of the Redis hash' }).min(1, 'must not be empty'),
          mappingOf('{ facility_name: name }'),
        )
        .refine(
          (map) => Object.keys(map).length > 0,
          'must map at least one field, as { output_field: hash_field }',
        )
        .describe('Fields to add: { output_field: hash_field }; values are strings'),
      on_missing: z
        .enum(['null', 'fail'], { error: "must be 'null' or 'fail'" })
        .default('null')
        .describe(
          "When the hash does not exist (or has none of the fields): 'null' sets the fields to null, 'fail' dead-letters the record",
        ),
      cache: z
        .strictObject(
          {
            max_entries: z
              .int('must be a whole number')
              .min(1, 'must be at least 1')
              .max(10_000_000, 'must be at most 10000000')
              .default(10_000)
              .describe('Most keys kept in memory (least recently used go first)'),
            ttl_ms: z
              .int('must be a whole number of milliseconds')
              .min(0, 'must be at least 0 (0: no caching across batches)')
              .max(86_400_000, 'must be at most 86400000 (a day)')
              .default(60_000)
              .describe('How long a looked-up hash (or its absence) is reused'),
          },
          mappingOf('{ max_entries: 10000, ttl_ms: 60000 }'),
        )
        .prefault({})
        .describe('In-memory cache of looked-up hashes'),
    },
    mappingOf("{ lookup: redis, key: 'facility:{facility_id}', fields: { facility_name: name } }"),
  )
  .describe('Adds fields read from a Redis hash; one pipelined round trip per batch for uncached keys');

const KINDS = { select, drop, rename, coerce, normalise, mask, compute, enrich } as const;

export type StepKind = keyof typeof KINDS;
export const STEP_KINDS = Object.keys(KINDS) as readonly StepKind[];

type Kinds = typeof KINDS;
/** One step, as in YAML: an object with exactly one key naming its kind (defaults applied). */
export type StepConfig = { [K in StepKind]: { readonly [P in K]: z.output<Kinds[K]> } }[StepKind];
export type StepOf<K extends StepKind> = z.output<Kinds[K]>;

const stepShape = z.strictObject(
  {
    select: select.optional(),
    drop: drop.optional(),
    rename: rename.optional(),
    coerce: coerce.optional(),
    normalise: normalise.optional(),
    mask: mask.optional(),
    compute: compute.optional(),
    enrich: enrich.optional(),
  },
  {
    error: (issue) => {
      if (issue.code === 'invalid_type') {
        return `each step must be a mapping with one key naming its kind (${STEP_KINDS.join(', ')}), such as '- drop: [notes]'`;
      }
      if (issue.code === 'unrecognized_keys') {
        return `unknown step kind ${issue.keys.join(', ')}; the kinds are ${STEP_KINDS.join(', ')}`;
      }
      return undefined;
    },
  },
);

/** One step. Its output is a StepConfig: the refinement guarantees exactly one kind is present. */
export const stepSchema = stepShape
  .superRefine((step, ctx) => {
    const present = STEP_KINDS.filter((kind) => step[kind] !== undefined);
    if (present.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          present.length === 0
            ? `a step needs one key naming its kind: ${STEP_KINDS.join(', ')}`
            : `a step has exactly one kind, this one has ${present.join(' and ')}; write each as its own list item`,
      });
    }
  })
  .transform((step) => step as StepConfig)
  .describe(`One transformation step: a mapping with one key, the kind (${STEP_KINDS.join(', ')})`);

export const stepsSchema = z
  .array(stepSchema, { error: "must be a list of steps, such as '- drop: [notes]'" })
  .describe('The transformation steps, applied in order to each row');

/** The kind of a parsed step. */
export function stepKind(step: StepConfig): StepKind {
  return Object.keys(step)[0] as StepKind;
}
