import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { stepKind, stepSchema, stepsSchema } from './step-config.ts';

function problems(input: unknown): string[] {
  const result = stepsSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

const yamlProblems = (text: string) => problems(parse(text));

describe('stepsSchema', () => {
  it('reads every kind as written in YAML, with defaults', () => {
    const steps = stepsSchema.parse(
      parse(`
- select: [id, full_name, phone, ssn, facility_id, appointment]
- drop: [notes]
- rename: { full_name: name }
- coerce: { field: facility_id, to: string }
- normalise: { field: phone, phone: { region: FR } }
- normalise: { field: email, trim: true, email: true }
- normalise: { field: birth, date: { format: 'dd/MM/yyyy', zone: Europe/Paris, output: date } }
- normalise: { field: appointment, timezone: Europe/Paris }
- normalise: { field: name, trim: true, case: title }
- mask: { field: ssn, method: hash, salt_env: SSN_SALT }
- mask: { field: card, method: partial, keep_last: 4 }
- mask: { field: notes, method: redact, to_null: true }
- compute: { field: label, expr: "concat(name, ' #', id)", type: string }
- enrich:
    lookup: redis
    key: 'facility:{facility_id}'
    fields: { facility_name: name, facility_city: city }
`),
    );
    expect(steps.map(stepKind)).toEqual([
      'select',
      'drop',
      'rename',
      'coerce',
      'normalise',
      'normalise',
      'normalise',
      'normalise',
      'normalise',
      'mask',
      'mask',
      'mask',
      'compute',
      'enrich',
    ]);
    expect(steps[2]).toEqual({ rename: { full_name: 'name' } });
    expect(steps[13]).toEqual({
      enrich: {
        lookup: 'redis',
        key: 'facility:{facility_id}',
        fields: { facility_name: 'name', facility_city: 'city' },
        on_missing: 'null',
        cache: { max_entries: 10_000, ttl_ms: 60_000 },
      },
    });
  });

  it('wants exactly one known kind per step', () => {
    expect(yamlProblems('- {}')).toEqual([
      '0: a step needs one key naming its kind: select, drop, rename, coerce, normalise, mask, compute, enrich',
    ]);
    expect(yamlProblems('- { drop: [a], select: [b] }')).toEqual([
      '0: a step has exactly one kind, this one has select and drop; write each as its own list item',
    ]);
    expect(yamlProblems('- dorp: [a]')[0]).toMatch(/^0: unknown step kind dorp; the kinds are select, drop/);
    expect(yamlProblems('- drop')[0]).toMatch(/^0: each step must be a mapping with one key/);
    expect(problems({ drop: ['a'] })).toEqual([": must be a list of steps, such as '- drop: [notes]'"]);
  });

  it('says what fields, types and options are allowed', () => {
    expect(yamlProblems('- drop: []')).toEqual(['0.drop: must list at least one field']);
    expect(yamlProblems('- select: [a, a]')).toEqual(['0.select: lists a field twice']);
    expect(yamlProblems('- drop: [first-name]')).toEqual([
      '0.drop.0: must be an Avro field name: a letter or _, then letters, digits or _',
    ]);
    expect(yamlProblems('- rename: { a: c, b: c }')).toEqual([
      '0.rename: renames two fields to the same name',
    ]);
    expect(yamlProblems('- coerce: { field: a, to: float }')).toEqual([
      '0.coerce.to: must be one of string, int, long, double, boolean',
    ]);
    expect(yamlProblems('- coerce: { field: a, to: int, extra: 1 }')[0]).toMatch(/^0.coerce: /);
    expect(yamlProblems('- compute: { field: a, expr: "1", type: decimal }')).toEqual([
      '0.compute.type: must be one of string, int, long, double, boolean',
    ]);
  });

  it('checks zones, regions, formats and templates at start-up', () => {
    expect(yamlProblems('- normalise: { field: a, timezone: Europe/Pariss }')).toEqual([
      '0.normalise.timezone: is not a known IANA time zone; use a name such as Europe/Paris',
    ]);
    expect(yamlProblems('- normalise: { field: a, phone: { region: XX } }')).toEqual([
      '0.normalise.phone.region: is not a country code libphonenumber knows, such as FR or US',
    ]);
    expect(yamlProblems('- normalise: { field: a, date: { format: qqqq, output: iso } }')[0]).toMatch(
      /^0.normalise.date.format: is not a luxon format/,
    );
    expect(yamlProblems('- normalise: { field: a, date: { output: day } }')).toEqual([
      "0.normalise.date.output: must be 'date' (an Avro date) or 'iso' (an ISO 8601 text in UTC)",
    ]);
    expect(yamlProblems('- enrich: { lookup: redis, key: facility, fields: { n: name } }')).toEqual([
      "0.enrich.key: must reference at least one field, such as 'facility:{facility_id}'",
    ]);
    expect(yamlProblems("- enrich: { lookup: redis, key: 'f:{id', fields: { n: name } }")).toEqual([
      '0.enrich.key: has an unbalanced { or }; write placeholders as {field}',
    ]);
    expect(yamlProblems("- enrich: { lookup: redis, key: 'f:{a-b}', fields: { n: name } }")[0]).toMatch(
      /is not a field name/,
    );
    expect(yamlProblems("- enrich: { lookup: http, key: 'f:{a}', fields: { n: name } }")).toEqual([
      "0.enrich.lookup: must be 'redis' (the only lookup there is)",
    ]);
    expect(yamlProblems("- enrich: { lookup: redis, key: 'f:{a}', fields: {} }")).toEqual([
      '0.enrich.fields: must map at least one field, as { output_field: hash_field }',
    ]);
  });

  it('refuses normalise steps that do nothing or too much', () => {
    expect(yamlProblems('- normalise: { field: a }')).toEqual([
      '0.normalise: does nothing; set at least one of trim, case, phone, email, date, timezone',
    ]);
    expect(yamlProblems('- normalise: { field: a, email: true, phone: {} }')[0]).toMatch(
      /sets phone and email; a normalise step has at most one/,
    );
    expect(yamlProblems('- normalise: { field: a, email: false }')).toEqual([
      '0.normalise.email: must be true (add case: lower to lower-case the whole address)',
    ]);
  });

  it('ties mask options to their method', () => {
    expect(yamlProblems('- mask: { field: a, method: hash }')).toEqual([
      '0.mask.salt_env: method hash needs salt_env: the environment variable that holds the secret salt',
    ]);
    expect(yamlProblems('- mask: { field: a, method: redact, keep_last: 2 }')).toEqual([
      '0.mask.keep_last: does not apply to method redact (redact takes text, to_null)',
    ]);
    expect(yamlProblems('- mask: { field: a, method: redact, to_null: true, text: x }')).toEqual([
      '0.mask.text: cannot be set together with to_null: true',
    ]);
    expect(yamlProblems('- mask: { field: a, method: blur }')).toEqual([
      '0.mask.method: must be one of hash, redact, partial',
    ]);
  });

  it('describes every field', () => {
    expect(stepSchema.description).toMatch(/^One transformation step/);
    const json = JSON.stringify(stepsSchema.toJSONSchema({ io: 'input', unrepresentable: 'any' }));
    const described = (json.match(/"description"/g) ?? []).length;
    expect(described).toBeGreaterThan(40);
  });
});
