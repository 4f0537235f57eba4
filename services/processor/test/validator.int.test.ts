import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isolate,
  readTopic,
  waitFor,
  topicSize,
  ChangeEventWriter,
  decodeAll,
  headerText,
  patientRow,
  patientShape,
} from '@cdc/testkit';
import { avroType, kafkaBrokerList } from '@cdc/core';
import { DLQ_HEADERS, runProcessor, type ProcessorHandle, type Violation } from '../src/index.ts';

const iso = isolate('validator');
const input = iso.topic('cdc.public.patients');
const output = iso.topic('cdc.public.patients.valid');
const writer = new ChangeEventWriter(iso.env, input, patientShape(iso.id));
let processor: ProcessorHandle;

async function subjectSchema(subject: string): Promise<{ id: number; schema: string }> {
  const response = await fetch(`${iso.env.SCHEMA_REGISTRY_URL}/subjects/${subject}/versions/latest`);
  expect(response.status).toBe(200);
  return (await response.json()) as { id: number; schema: string };
}

const connections = {
  brokers: kafkaBrokerList(iso.env),
  registryUrl: iso.env.SCHEMA_REGISTRY_URL,
  redisUrl: iso.env.REDIS_URL,
};

beforeAll(async () => {
  await writer.connect(3);
  await writer.write([
    {
      op: 'c',
      row: patientRow({ id: 1, mrn: 'MRN000001', email: 'ada@example.org', phone: '+33612345678' }),
    },
    { op: 'c', row: patientRow({ id: 2, mrn: null, email: 'not-an-email', phone: '+33612345678' }) },
    { op: 'c', row: patientRow({ id: 3, mrn: 'MRN000003', email: 'bob@example.org', birth_date: 20_000 }) },
    { op: 'u', row: patientRow({ id: 1, mrn: 'MRN000001', email: 'ada@example.net', phone: '0612' }) },
    { op: 'd', row: patientRow({ id: 3, mrn: null }) }, // deletes pass, with their tombstone
  ]);
  await writer.writeRaw(4, Buffer.from('not avro at all')); // poison: not the wire format
  await writer.writeRaw(5, Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2, 3])); // poison: unknown schema id
  processor = await runProcessor(
    {
      name: `${iso.id}-validate`,
      kind: 'validate',
      input,
      output,
      delivery: 'exactly_once',
      rules: [
        { field: 'mrn', required: true, pattern: '^MRN\\d{6}$' },
        { field: 'email', format: 'email' },
        { field: 'phone', format: 'e164', message: 'phone must be E.164 such as +33612345678' },
        { check: 'birth_date == null || birth_date < 40000', name: 'born_before_2079' },
      ],
    },
    connections,
  );
}, 60_000);

afterAll(async () => {
  await processor?.stop();
  await writer.close();
});

describe('validator on the real stack', () => {
  it('passes valid events unchanged (same key, version and Avro bytes), deletes and tombstones included', async () => {
    await waitFor('4 outputs', async () => (await topicSize(iso.env, output)) >= 4, 30_000);
    const inputs = await readTopic(iso.env, input, 8, `${iso.id}-in`);
    const outputs = await readTopic(iso.env, output, 4, `${iso.id}-out`);
    const envelopes = await decodeAll(writer.codec, outputs);
    expect(
      envelopes.map((e) => (e ? `${e.op}:${String(e.after?.id ?? e.before?.id)}` : 'tombstone')).sort(),
    ).toEqual(['c:1', 'c:3', 'd:3', 'tombstone']);
    // The input record's Avro bytes (same key, same version); only the schema id may differ: it is
    // the id of the same schema under the output's subject (Apicurio numbers re-registered text anew).
    const body = (bytes: Buffer | null) => bytes?.subarray(5).toString('hex') ?? 'null';
    const inputBodies = new Set(inputs.map((m) => `${body(m.key)}/${body(m.value)}`));
    for (const message of outputs)
      expect(inputBodies.has(`${body(message.key)}/${body(message.value)}`)).toBe(true);
    const latest = await subjectSchema(`${output}-value`);
    for (const message of outputs) if (message.value) expect(message.value.readUInt32BE(1)).toBe(latest.id);
    expect(processor.runtime.counters).toMatchObject({ consumed: 8, forwarded: 4, deadLettered: 4 });
  });

  it('dead-letters invalid and poison records with every reason, the original bytes and their origin', async () => {
    const dlq = await readTopic(iso.env, `${input}.dlq`, 4, `${iso.id}-dlq`);
    const inputs = await readTopic(iso.env, input, 8, `${iso.id}-in2`);
    const reasons = new Map<string, Violation[]>();
    for (const letter of dlq) {
      const partition = Number(headerText(letter, DLQ_HEADERS.partition));
      const offset = headerText(letter, DLQ_HEADERS.offset);
      expect(headerText(letter, DLQ_HEADERS.topic)).toBe(input);
      expect(headerText(letter, DLQ_HEADERS.processor)).toBe(`${iso.id}-validate`);
      const original = inputs.find(
        (m) =>
          m.offset === offset &&
          m.key?.equals(letter.key ?? Buffer.alloc(0)) &&
          m.value?.equals(letter.value ?? Buffer.alloc(0)),
      );
      expect(original, `dead letter ${partition}/${offset} keeps the original key and bytes`).toBeDefined();
      const [key] = await decodeAll(writer.codec, [{ ...letter, value: letter.key }]);
      const id = String((key as unknown as { id: bigint }).id);
      reasons.set(id, JSON.parse(headerText(letter, DLQ_HEADERS.reason) ?? '[]') as Violation[]);
    }
    expect(reasons.get('2')?.map((v) => `${v.rule}:${v.field ?? ''}`)).toEqual([
      'required:mrn',
      'format:email',
    ]);
    expect(reasons.get('1')).toEqual([
      { rule: 'format', field: 'phone', message: 'phone must be E.164 such as +33612345678' },
    ]);
    expect(reasons.get('4')?.[0]).toMatchObject({ rule: 'decode', field: null });
    expect(reasons.get('4')?.[0]?.message).toMatch(/wire format/);
    expect(reasons.get('5')?.[0]?.message).toMatch(/schema id 2147483632 is not in the registry/);
  });

  it('describes the output topic in the registry with the input schema', async () => {
    const { schema } = await subjectSchema(`${output}-value`);
    expect(avroType(JSON.parse(schema) as object).fingerprint()).toEqual(
      avroType(writer.valueSchema).fingerprint(),
    );
  });
});
