import { createHmac } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokerList, type AvroRecord } from '@cdc/core';
import {
  isolate,
  readTopic,
  topicSize,
  waitFor,
  ChangeEventWriter,
  decodeAll,
  headerText,
  patientRow,
  patientShape,
} from '@cdc/testkit';
import {
  DLQ_HEADERS,
  runProcessor,
  stepsSchema,
  type ProcessorHandle,
  type Violation,
} from '../src/index.ts';

const iso = isolate('transformer');
const input = iso.topic('cdc.public.patients');
const output = iso.topic('cdc.public.patients.clean');
const SALT = 'test-salt-0123456789';
const saltEnv = `CDC_TEST_SALT_${iso.id}`.toUpperCase();
const writer = new ChangeEventWriter(iso.env, input, patientShape(iso.id));
const redis = new Redis(iso.env.REDIS_URL);
let processor: ProcessorHandle;

const steps = stepsSchema.parse([
  { drop: ['given_name'] },
  { rename: { family_name: 'last_name' } },
  { normalise: { field: 'last_name', trim: true, case: 'upper' } },
  { normalise: { field: 'email', email: true, case: 'lower' } },
  { normalise: { field: 'phone', phone: { region: 'FR' } } },
  { normalise: { field: 'updated_at', timezone: 'Europe/Paris' } },
  {
    enrich: {
      lookup: 'redis',
      key: `${iso.redisKey('facility')}:{facility_id}`,
      fields: { facility_name: 'name' },
    },
  },
  { coerce: { field: 'facility_id', to: 'string' } },
  { mask: { field: 'ssn', method: 'hash', salt_env: saltEnv } },
  { mask: { field: 'mrn', method: 'partial', keep_last: 3 } },
  { compute: { field: 'display_name', expr: "concat(last_name, ' (', mrn, ')')", type: 'string' } },
]);

function fieldsOf(schema: AvroRecord): string[] {
  const before = schema.fields.find((f) => f.name === 'before')?.type as unknown[];
  return (before.find((t) => typeof t === 'object') as AvroRecord).fields.map((f) => f.name);
}

async function latestSchema(subject: string): Promise<{ id: number; schema: AvroRecord }> {
  const response = await fetch(`${iso.env.SCHEMA_REGISTRY_URL}/subjects/${subject}/versions/latest`);
  const body = (await response.json()) as { id: number; schema: string };
  return { id: body.id, schema: JSON.parse(body.schema) as AvroRecord };
}

beforeAll(async () => {
  process.env[saltEnv] = SALT;
  await redis.hset(`${iso.redisKey('facility')}:7`, { name: 'Clinique du Parc', region: 'IDF' });
  await writer.connect(2);
  await writer.write([
    {
      op: 'c',
      row: patientRow({
        id: 1,
        mrn: 'MRN000123',
        given_name: 'Ada',
        family_name: '  lovelace ',
        email: ' Ada@Example.ORG ',
        phone: '06 12 34 56 78',
        ssn: '1850212345678',
        facility_id: 7,
        updated_at: 1_717_236_000_123_456n, // 2024-06-01T10:00:00.123456Z
      }),
    },
    { op: 'c', row: patientRow({ id: 2, mrn: 'MRN000456', phone: 'call me maybe', facility_id: 7 }) },
  ]);
  processor = await runProcessor(
    { name: `${iso.id}-transform`, kind: 'transform', input, output, delivery: 'exactly_once', steps },
    {
      brokers: kafkaBrokerList(iso.env),
      registryUrl: iso.env.SCHEMA_REGISTRY_URL,
      redisUrl: iso.env.REDIS_URL,
    },
  );
}, 60_000);

afterAll(async () => {
  await processor?.stop();
  await writer.close();
  redis.disconnect();
  delete process.env[saltEnv];
});

describe('transformer on the real stack', () => {
  it('applies every kind of step and registers the derived schema', async () => {
    await waitFor('1 output', async () => (await topicSize(iso.env, output).catch(() => 0)) >= 1, 30_000);
    const [message] = await readTopic(iso.env, output, 1, `${iso.id}-out`);
    const [event] = await decodeAll(writer.codec, [message!]);
    expect(event?.after).toEqual({
      id: 1n,
      mrn: '******123',
      last_name: 'LOVELACE',
      email: 'ada@example.org',
      phone: '+33612345678',
      birth_date: null,
      facility_id: '7',
      ssn: createHmac('sha256', SALT).update('1850212345678').digest('hex'),
      updated_at: '2024-06-01T12:00:00.123456+02:00',
      facility_name: 'Clinique du Parc',
      display_name: 'LOVELACE (******123)',
    });
    const { id, schema } = await latestSchema(`${output}-value`);
    expect(message!.value!.readUInt32BE(1)).toBe(id);
    expect(fieldsOf(schema)).toEqual([
      'id',
      'mrn',
      'last_name',
      'email',
      'phone',
      'birth_date',
      'facility_id',
      'ssn',
      'updated_at',
      'facility_name',
      'display_name',
    ]);
  });

  it('dead-letters the record a step cannot transform, with the step and field', async () => {
    await waitFor(
      '1 dead letter',
      async () => (await topicSize(iso.env, `${input}.dlq`).catch(() => 0)) >= 1,
      30_000,
    );
    const [letter] = await readTopic(iso.env, `${input}.dlq`, 1, `${iso.id}-dlq`);
    const [reason] = JSON.parse(headerText(letter!, DLQ_HEADERS.reason) ?? '[]') as Violation[];
    expect(reason).toMatchObject({ rule: 'transform:normalise', field: 'phone' });
  });

  it('derives and registers a new output version when a column is added upstream mid-stream', async () => {
    const before = await latestSchema(`${output}-value`);
    writer.evolve(
      patientShape(iso.id, [{ name: 'language', kind: { kind: 'text' }, nullable: true, isKey: false }]),
    );
    await writer.write([
      { op: 'c', row: { ...patientRow({ id: 3, mrn: 'MRN000789', facility_id: 7 }), language: 'fr' } },
    ]);
    await waitFor('2 outputs', async () => (await topicSize(iso.env, output).catch(() => 0)) >= 2, 30_000);
    const messages = await readTopic(iso.env, output, 2, `${iso.id}-out2`);
    const events = await decodeAll(writer.codec, messages);
    const added = events.find((e) => e?.after?.id === 3n);
    expect(added?.after).toMatchObject({ id: 3n, language: 'fr', facility_name: 'Clinique du Parc' });
    const after = await latestSchema(`${output}-value`);
    expect(after.id).not.toBe(before.id);
    expect(fieldsOf(after.schema)).toContain('language');
    const versions = (await (
      await fetch(`${iso.env.SCHEMA_REGISTRY_URL}/subjects/${output}-value/versions`)
    ).json()) as number[];
    expect(versions).toHaveLength(2);
    // Both versions stay readable: the earlier record still decodes with its own schema.
    expect(events.find((e) => e?.after?.id === 1n)?.after).not.toHaveProperty('language');
  });
});
