import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaBrokerList } from '@cdc/core';
import { isolate, readTopic } from '@cdc/testkit';

const iso = isolate('kafka-registry');
const kafka = new Kafka({ clientId: iso.id, brokers: kafkaBrokerList(iso.env), logLevel: logLevel.NOTHING });
const registry = new SchemaRegistry({ host: iso.env.SCHEMA_REGISTRY_URL });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });

afterAll(async () => {
  await producer.disconnect();
});

const patientSchema = {
  type: 'record',
  name: 'Patient',
  namespace: 'dev.cdc.smoke',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'born', type: ['null', { type: 'int', logicalType: 'date' }], default: null },
  ],
};

describe('Kafka with the schema registry', () => {
  it('round-trips Avro records whose schema lives in the registry under <topic>-value', async () => {
    const topic = iso.topic('patients');
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(patientSchema) },
      { subject: `${topic}-value` },
    );

    const subjects = (await (await fetch(`${iso.env.SCHEMA_REGISTRY_URL}/subjects`)).json()) as string[];
    expect(subjects).toContain(`${topic}-value`);
    const latest = (await (
      await fetch(`${iso.env.SCHEMA_REGISTRY_URL}/subjects/${topic}-value/versions/latest`)
    ).json()) as { id: number; version: number };
    expect(latest).toMatchObject({ id, version: 1 });

    const rows = [
      { id: 1, name: 'Ada', born: null },
      { id: 2 ** 40, name: 'Zoë 🩺', born: 19_000 },
    ];
    await producer.connect();
    await producer.send({
      topic,
      messages: await Promise.all(
        rows.map(async (row) => ({ key: String(row.id), value: await registry.encode(id, row) })),
      ),
    });

    const received = await Promise.all(
      (await readTopic(iso.env, topic, rows.length, `${iso.id}-group`)).map(async (message) => {
        const bytes = message.value as Buffer;
        return { bytes, value: (await registry.decode(bytes)) as unknown };
      }),
    );

    expect(received.map((r) => r.value)).toEqual(rows);
    // Confluent wire format: magic byte 0, then the schema id as a 4-byte big-endian integer.
    for (const { bytes } of received) {
      expect(bytes[0]).toBe(0);
      expect(bytes.readUInt32BE(1)).toBe(id);
    }
  });

  it('refuses a schema change that breaks BACKWARD compatibility', async () => {
    const subject = `${iso.topic('strict')}-value`;
    await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(patientSchema) }, { subject });
    const incompatible = {
      ...patientSchema,
      fields: [...patientSchema.fields, { name: 'ward', type: 'string' }], // new field without default
    };
    await expect(
      registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(incompatible) }, { subject }),
    ).rejects.toThrow(/incompatible|compatib/i);
  });
});
