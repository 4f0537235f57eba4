import { createHmac } from 'node:crypto';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CdcError, avroType, type AvroRecord } from '@cdc/core';
import type { Row } from '../row.ts';
import { stepsSchema } from './step-config.ts';
import { TransformError, compileSteps } from './index.ts';

const input: AvroRecord = {
  type: 'record',
  name: 'Value',
  namespace: 'cdc.public.patients',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'full_name', type: ['null', 'string'], default: null, doc: 'patient name' },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'phone', type: ['null', 'string'], default: null },
    { name: 'ssn', type: ['null', 'string'], default: null },
    { name: 'birth', type: ['null', 'string'], default: null },
    { name: 'appointment', type: ['null', { type: 'long', logicalType: 'timestamp-micros' }], default: null },
    {
      name: 'local_slot',
      type: ['null', { type: 'long', logicalType: 'local-timestamp-micros' }],
      default: null,
    },
    { name: 'facility_id', type: ['null', 'int'], default: null },
    {
      name: 'weight',
      type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 5, scale: 1 }],
      default: null,
    },
    { name: 'notes', type: ['null', 'string'], default: null },
    { name: 'photo', type: ['null', 'bytes'], default: null },
    { name: 'visit_day', type: ['null', { type: 'int', logicalType: 'date' }], default: null },
    { name: 'first_name', type: 'string', 'pg.column': 'First Name' },
  ],
};

// 2024-03-01T09:30:00.123456Z
const APPOINTMENT = 1_709_285_400_123_456n;

function row(overrides: Row = {}): Row {
  return {
    id: 42n,
    full_name: '  ada LOVELACE ',
    email: ' Ada.Lovelace@Example.ORG ',
    phone: '06 12 34 56 78',
    ssn: '1850512345678',
    birth: '10/12/1815',
    appointment: APPOINTMENT,
    local_slot: APPOINTMENT,
    facility_id: 7,
    weight: '61.5',
    notes: 'likes numbers',
    photo: Buffer.from([1, 2, 3]),
    visit_day: 19_783,
    first_name: 'Ada',
    ...overrides,
  };
}

const steps = (yaml: string) => stepsSchema.parse(parse(yaml));
const env = { SSN_SALT: 'pepper' };

function bind(yaml: string, deps: Parameters<typeof compileSteps>[1] = { env }) {
  return compileSteps(steps(yaml), deps).forSchema(input);
}

/** How the transformer publishes rows: inside an envelope whose `after` is the output record or null. */
function wrap(output: AvroRecord): object {
  return {
    type: 'record',
    name: 'Envelope',
    namespace: output.namespace,
    fields: [
      { name: 'after', type: ['null', output] },
      { name: 'unchanged_fields', type: { type: 'array', items: 'string' } },
    ],
  };
}

function roundTrip(output: AvroRecord, after: Row, unchanged: readonly string[] = []): unknown {
  const type = avroType(wrap(output));
  const value = { after, unchanged_fields: [...unchanged] };
  expect(type.isValid(value, { errorHook: (path) => expect.fail(`invalid at ${path.join('.')}`) })).toBe(
    true,
  );
  const decoded = type.fromBuffer(type.toBuffer(value)) as { after: Row };
  expect(decoded.after).toEqual(after);
  return decoded.after;
}

function failure(fn: () => unknown): TransformError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TransformError) return error;
    throw error;
  }
  throw new Error('expected a TransformError');
}

function schemaFailure(fn: () => unknown): CdcError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CdcError && error.code === 'TRANSFORM_SCHEMA') return error;
    throw error;
  }
  throw new Error('expected a TRANSFORM_SCHEMA error');
}

describe('select, drop, rename', () => {
  it('keeps the selected fields in the listed order, untouched', () => {
    const bound = bind('- select: [full_name, id]');
    expect(bound.output).toEqual({
      type: 'record',
      name: 'Value',
      namespace: 'cdc.public.patients',
      fields: [input.fields[1], input.fields[0]],
    });
    const out = bound.apply(row(), []);
    expect(out.row).toEqual({ full_name: '  ada LOVELACE ', id: 42n });
    roundTrip(bound.output, out.row);
  });

  it('drops fields and lets new upstream columns through when nothing selects', () => {
    const bound = compileSteps(steps('- drop: [photo, notes]'), { env }).forSchema({
      ...input,
      fields: [...input.fields, { name: 'added_later', type: ['null', 'string'], default: null }],
    });
    expect(bound.output.fields.map((f) => f.name)).not.toContain('photo');
    expect(bound.output.fields.at(-1)?.name).toBe('added_later');
    const out = bound.apply(row({ added_later: 'new' }), []);
    expect(out.row.added_later).toBe('new');
    expect(out.row).not.toHaveProperty('photo');
    roundTrip(bound.output, out.row);
  });

  it('renames keep type, nullability and doc; the old column name goes', () => {
    const bound = bind('- rename: { full_name: name, first_name: given, id: patient_id }');
    const fields = Object.fromEntries(bound.output.fields.map((f) => [f.name, f]));
    expect(fields.name).toEqual({ ...input.fields[1], name: 'name' });
    expect(fields.given).toEqual({ name: 'given', type: 'string' });
    expect(fields.patient_id).toEqual({ name: 'patient_id', type: 'long' });
    const out = bound.apply(row(), []);
    expect(out.row.patient_id).toBe(42n);
    expect(out.row.given).toBe('Ada');
    roundTrip(bound.output, out.row);
  });

  it('swaps names in one rename', () => {
    const bound = bind('- rename: { email: phone, phone: email }');
    expect(bound.apply(row(), []).row).toMatchObject({ email: '06 12 34 56 78', phone: row().email });
  });

  it('refuses unknown fields and clashing names, naming the step and field', () => {
    const error = schemaFailure(() => bind('- drop: [notes]\n- select: [id, notes]'));
    expect(error.message).toBe('step 2 (select), field notes: no such field at this step');
    expect(error.details).toMatchObject({ step: 1, kind: 'select', field: 'notes' });
    expect(schemaFailure(() => bind('- rename: { email: phone }')).message).toBe(
      'step 1 (rename), field email: cannot be renamed to phone, which exists already',
    );
  });
});

describe('coerce', () => {
  it('converts and makes the field nullable', () => {
    const bound = bind(`
- coerce: { field: id, to: string }
- coerce: { field: facility_id, to: long }
- coerce: { field: weight, to: double }
- coerce: { field: appointment, to: string }
- coerce: { field: visit_day, to: string }
- coerce: { field: local_slot, to: string }
- coerce: { field: first_name, to: boolean }
`);
    const types = Object.fromEntries(bound.output.fields.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      id: ['null', 'string'],
      facility_id: ['null', 'long'],
      weight: ['null', 'double'],
      appointment: ['null', 'string'],
      first_name: ['null', 'boolean'],
    });
    expect(bound.output.fields[0]).toEqual({ name: 'id', type: ['null', 'string'], default: null });
    const out = bound.apply(row({ first_name: 'yes' }), []);
    expect(out.row).toMatchObject({
      id: '42',
      facility_id: 7n,
      weight: 61.5,
      appointment: '2024-03-01T09:30:00.123456Z',
      local_slot: '2024-03-01T09:30:00.123456',
      visit_day: '2024-03-01',
      first_name: true,
    });
    roundTrip(bound.output, out.row);
  });

  it('parses text to numbers strictly and dead-letters what does not fit', () => {
    const bound = bind('- coerce: { field: notes, to: int }\n- coerce: { field: full_name, to: long }');
    const out = bound.apply(row({ notes: ' 12 ', full_name: '9223372036854775807' }), []);
    expect(out.row).toMatchObject({ notes: 12, full_name: 9_223_372_036_854_775_807n });
    roundTrip(bound.output, out.row);
    const error = failure(() => bound.apply(row({ notes: '12.5' }), []));
    expect(error.code).toBe('TRANSFORM_FAILED');
    expect(error.violation).toEqual({
      rule: 'transform:coerce',
      field: 'notes',
      message: '"12.5" is not a whole number between -2147483648 and 2147483647',
    });
    expect(
      failure(() => bound.apply(row({ notes: '1', full_name: '9223372036854775808' }), [])).violation.message,
    ).toMatch(/64-bit range/);
    expect(bound.apply(row({ notes: null, full_name: null }), []).row).toMatchObject({
      notes: null,
      full_name: null,
    });
  });

  it('refuses conversions the schema rules out', () => {
    expect(schemaFailure(() => bind('- coerce: { field: photo, to: int }')).message).toBe(
      'step 1 (coerce), field photo: cannot coerce bytes to int',
    );
    expect(schemaFailure(() => bind('- coerce: { field: appointment, to: long }')).message).toMatch(
      /cannot coerce timestamp-micros to long/,
    );
  });
});

describe('normalise', () => {
  it('trims, changes case, formats phones and e-mails', () => {
    const bound = bind(`
- normalise: { field: full_name, trim: true, case: title }
- normalise: { field: phone, phone: { region: FR } }
- normalise: { field: email, email: true }
- normalise: { field: notes, case: upper }
`);
    const out = bound.apply(row({ full_name: " jean-pierre o'NEIL 3rd " }), []);
    expect(out.row).toMatchObject({
      full_name: "Jean-Pierre O'Neil 3rd",
      phone: '+33612345678',
      email: 'Ada.Lovelace@example.org',
      notes: 'LIKES NUMBERS',
    });
    expect(bound.output.fields.find((f) => f.name === 'full_name')).toEqual({
      name: 'full_name',
      type: ['null', 'string'],
      default: null,
      doc: 'patient name',
    });
    roundTrip(bound.output, out.row);
    expect(bound.apply(row({ phone: '+1 650-253-0000' }), []).row.phone).toBe('+16502530000');
  });

  it('dead-letters numbers and addresses that do not parse', () => {
    const bound = bind(
      '- normalise: { field: phone, phone: { region: FR } }\n- normalise: { field: email, email: true }',
    );
    expect(failure(() => bound.apply(row({ phone: '12' }), [])).violation).toEqual({
      rule: 'transform:normalise',
      field: 'phone',
      message: '"12" is not a valid phone number (numbers without + are read as FR)',
    });
    expect(failure(() => bound.apply(row({ email: 'ada at example' }), [])).violation.message).toMatch(
      /is not an e-mail address/,
    );
    expect(bound.apply(row({ phone: null, email: null }), []).row).toMatchObject({
      phone: null,
      email: null,
    });
  });

  it('parses dates into Avro dates or UTC instants', () => {
    const bound = bind(`
- normalise: { field: birth, date: { format: dd/MM/yyyy, output: date } }
- normalise: { field: notes, date: { format: 'dd/MM/yyyy HH:mm', zone: Europe/Paris, output: iso } }
- normalise: { field: email, date: { output: iso } }
`);
    expect(bound.output.fields.find((f) => f.name === 'birth')?.type).toEqual([
      'null',
      { type: 'int', logicalType: 'date' },
    ]);
    const out = bound.apply(
      row({ notes: '01/07/2024 10:15', email: '2024-07-01T10:15:00+02:00', birth: '01/01/1970' }),
      [],
    );
    expect(out.row).toMatchObject({
      birth: 0,
      notes: '2024-07-01T08:15:00.000Z',
      email: '2024-07-01T08:15:00.000Z',
    });
    const dated = { notes: null, email: null };
    expect(bound.apply(row(dated), []).row.birth).toBe(-56_270);
    roundTrip(bound.output, out.row);
    expect(failure(() => bound.apply(row({ ...dated, birth: '1815-12-10' }), [])).violation).toEqual({
      rule: 'transform:normalise',
      field: 'birth',
      message: '"1815-12-10" is not a date in the format dd/MM/yyyy',
    });
  });

  it('writes timestamps as the local time of a zone, keeping microseconds', () => {
    const bound = bind(`
- normalise: { field: appointment, timezone: Europe/Paris }
- normalise: { field: local_slot, timezone: America/New_York }
`);
    const out = bound.apply(row(), []);
    expect(out.row.appointment).toBe('2024-03-01T10:30:00.123456+01:00');
    expect(out.row.local_slot).toBe('2024-03-01T09:30:00.123456-05:00');
    const summer = bound.apply(row({ appointment: 1_719_826_200_000_001n }), []);
    expect(summer.row.appointment).toBe('2024-07-01T11:30:00.000001+02:00');
    const before1970 = bound.apply(row({ appointment: -1n }), []);
    expect(before1970.row.appointment).toBe('1970-01-01T00:59:59.999999+01:00');
    roundTrip(bound.output, out.row);
  });

  it('refuses fields of the wrong kind', () => {
    expect(schemaFailure(() => bind('- normalise: { field: facility_id, trim: true }')).message).toBe(
      'step 1 (normalise), field facility_id: normalise works on text fields, not int',
    );
    expect(schemaFailure(() => bind('- normalise: { field: birth, timezone: UTC }')).message).toMatch(
      /timezone needs a timestamp field/,
    );
  });
});

describe('mask', () => {
  it('hashes with the salt, redacts and keeps the end', () => {
    const bound = bind(`
- mask: { field: ssn, method: hash, salt_env: SSN_SALT }
- mask: { field: photo, method: hash, salt_env: SSN_SALT }
- mask: { field: notes, method: redact }
- mask: { field: full_name, method: redact, to_null: true }
- mask: { field: email, method: redact, text: hidden }
- mask: { field: phone, method: partial }
- mask: { field: id, method: partial, keep_last: 1 }
- mask: { field: first_name, method: partial, keep_last: 3 }
`);
    const out = bound.apply(row(), []);
    expect(out.row).toMatchObject({
      ssn: createHmac('sha256', 'pepper').update('1850512345678').digest('hex'),
      photo: createHmac('sha256', 'pepper')
        .update(Buffer.from([1, 2, 3]))
        .digest('hex'),
      notes: '[redacted]',
      full_name: null,
      email: 'hidden',
      phone: '**********6 78',
      id: '*2',
      first_name: '***',
    });
    const types = Object.fromEntries(bound.output.fields.map((f) => [f.name, f.type]));
    expect(types.id).toEqual(['null', 'string']);
    expect(types.photo).toEqual(['null', 'string']);
    roundTrip(bound.output, out.row);
    expect(bound.apply(row({ ssn: null }), []).row.ssn).toBeNull();
  });

  it('refuses to start without the salt', () => {
    const config = steps('- mask: { field: ssn, method: hash, salt_env: SSN_SALT }');
    for (const missing of [{}, { SSN_SALT: '' }]) {
      expect(() => compileSteps(config, { env: missing })).toThrow(
        expect.objectContaining({
          code: 'INVALID_CONFIG',
          message: 'step 1 (mask) of ssn: the environment variable SSN_SALT holding the hash salt is not set',
        }),
      );
    }
  });

  it('refuses partial masks of bytes', () => {
    expect(schemaFailure(() => bind('- mask: { field: photo, method: partial }')).message).toMatch(
      /partial works on text and whole numbers, not bytes/,
    );
  });
});

describe('compute', () => {
  it('writes the declared type, long as bigint, replacing or appending', () => {
    const bound = bind(`
- compute: { field: label, expr: "concat(first_name, ' #', id)", type: string }
- compute: { field: double_id, expr: 'id * 2', type: long }
- compute: { field: facility_id, expr: 'facility_id + 1', type: int }
- compute: { field: heavy, expr: 'weight > 60', type: boolean }
- compute: { field: half, expr: 'weight / 2', type: double }
`);
    const fields = bound.output.fields.map((f) => f.name);
    expect(fields.indexOf('facility_id')).toBe(8);
    expect(fields.slice(-4)).toEqual(['label', 'double_id', 'heavy', 'half']);
    expect(bound.output.fields.find((f) => f.name === 'double_id')).toEqual({
      name: 'double_id',
      type: ['null', 'long'],
      default: null,
      doc: 'computed: id * 2',
    });
    const out = bound.apply(row(), []);
    expect(out.row).toMatchObject({
      label: 'Ada #42',
      double_id: 84n,
      facility_id: 8,
      heavy: true,
      half: 30.75,
    });
    roundTrip(bound.output, out.row);
    expect(bound.apply(row({ facility_id: null }), []).row.facility_id).toBeNull();
  });

  it('dead-letters results that do not fit the type', () => {
    const bound = bind("- compute: { field: n, expr: 'len(notes) / 2', type: int }");
    expect(failure(() => bound.apply(row({ notes: 'abc' }), [])).violation).toEqual({
      rule: 'transform:compute',
      field: 'n',
      message: 'len(notes) / 2: 1.5 is not a whole number between -2147483648 and 2147483647',
    });
  });

  it('refuses expressions that do not parse or read unknown fields', () => {
    const compile = () => compileSteps(steps("- compute: { field: n, expr: 'id +', type: int }"), { env });
    expect(compile).toThrow(expect.objectContaining({ code: 'INVALID_EXPRESSION' }));
    expect(compile).toThrow(/^step 1 \(compute\) of n: /);
    expect(schemaFailure(() => bind("- compute: { field: n, expr: 'nope + 1', type: int }")).message).toBe(
      'step 1 (compute), field nope: no such field at this step',
    );
  });
});

describe('unchanged fields', () => {
  it('follow renames, drops and selects; value steps leave them null and listed', () => {
    const bound = bind(`
- rename: { notes: remarks }
- drop: [photo]
- mask: { field: remarks, method: redact }
- normalise: { field: full_name, trim: true }
- coerce: { field: email, to: int }
- compute: { field: note_len, expr: 'len(remarks)', type: int }
- compute: { field: id_text, expr: "concat('p', id)", type: string }
`);
    const out = bound.apply(row({ notes: null, full_name: null, email: null, photo: null }), [
      'notes',
      'photo',
      'full_name',
      'email',
    ]);
    expect(out.unchanged).toEqual(['full_name', 'email', 'remarks', 'note_len']);
    expect(out.row).toMatchObject({
      remarks: null,
      full_name: null,
      email: null,
      note_len: null,
      id_text: 'p42',
    });
    roundTrip(bound.output, out.row, out.unchanged);
    expect(bound.apply(row({ email: '3' }), []).unchanged).toEqual([]);
  });
});

/** Stands in for ioredis: records each pipeline, answers HMGET from a map of hashes. */
function fakeRedis(hashes: Record<string, Record<string, string>>) {
  const pipelines: string[][] = [];
  const client = {
    pipeline() {
      const keys: string[] = [];
      pipelines.push(keys);
      const commands: (string | null)[][] = [];
      const pipeline = {
        hmget(key: string, ...fields: string[]) {
          keys.push(key);
          commands.push(fields.map((field) => hashes[key]?.[field] ?? null));
          return pipeline;
        },
        exec: async () => commands.map((reply) => [null, reply]),
      };
      return pipeline;
    },
  };
  return { redis: client as unknown as Redis, pipelines };
}

describe('enrich', () => {
  const config = `
- rename: { facility_id: site }
- enrich:
    lookup: redis
    key: 'facility:{site}'
    fields: { facility_name: name, facility_city: city }
`;

  it('looks up a batch in one round trip, then serves the cache', async () => {
    const { redis, pipelines } = fakeRedis({ 'facility:7': { name: 'Hôpital Nord', city: 'Lyon' } });
    const compiled = compileSteps(steps(config), { redis });
    const bound = compiled.forSchema(input);
    expect(bound.output.fields.slice(-2)).toEqual([
      {
        name: 'facility_name',
        type: ['null', 'string'],
        default: null,
        doc: 'from Redis facility:{site}, field name',
      },
      {
        name: 'facility_city',
        type: ['null', 'string'],
        default: null,
        doc: 'from Redis facility:{site}, field city',
      },
    ]);
    const batch = [row(), row({ facility_id: 8 }), row(), row({ facility_id: null })];
    await compiled.prepare(batch);
    expect(pipelines).toEqual([['facility:7', 'facility:8']]);
    const out = batch.map((r) => bound.apply(r, []).row);
    expect(out.map((r) => [r.facility_name, r.facility_city])).toEqual([
      ['Hôpital Nord', 'Lyon'],
      [null, null],
      ['Hôpital Nord', 'Lyon'],
      [null, null],
    ]);
    roundTrip(bound.output, out[0] as Row);
    await compiled.prepare(batch);
    expect(pipelines).toHaveLength(1);
  });

  it('dead-letters missing keys with on_missing: fail', async () => {
    const { redis } = fakeRedis({});
    const compiled = compileSteps(steps(config.replace('fields:', 'on_missing: fail\n    fields:')), {
      redis,
    });
    const bound = compiled.forSchema(input);
    await compiled.prepare([row()]);
    expect(failure(() => bound.apply(row(), [])).violation).toEqual({
      rule: 'transform:enrich',
      field: 'site',
      message: 'no Redis hash at facility:7 (on_missing: fail)',
    });
  });

  it('marks its fields unchanged when the key is', async () => {
    const { redis, pipelines } = fakeRedis({});
    const compiled = compileSteps(steps(config), { redis });
    await compiled.prepare([row({ facility_id: null })]);
    expect(pipelines).toEqual([]);
    const out = compiled.forSchema(input).apply(row({ facility_id: null }), ['facility_id']);
    expect(out.unchanged).toEqual(['site', 'facility_name', 'facility_city']);
  });

  it('refuses keys changed by an earlier step, and a missing client', () => {
    const { redis } = fakeRedis({});
    expect(() =>
      compileSteps(steps(`- coerce: { field: facility_id, to: string }\n${config}`), { redis }),
    ).toThrow(/key field site is changed by step 1 \(coerce\) before it/);
    expect(() => compileSteps(steps(config), {})).toThrow(/enrichment needs a Redis connection/);
  });

  it('says when apply comes before prepare', () => {
    const { redis } = fakeRedis({});
    const bound = compileSteps(steps(config), { redis }).forSchema(input);
    expect(() => bound.apply(row(), [])).toThrow(expect.objectContaining({ code: 'ENRICH_NOT_PREPARED' }));
  });
});
