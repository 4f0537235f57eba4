import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DLQ_HEADERS, SinkRuntime, kafkaBrokerList, type Sink } from '@cdc/core';
import { Stack } from '@cdc/stack';
import {
  ChangeEventWriter,
  headerText,
  isolate,
  patientRow,
  patientShape,
  readTopic,
  waitFor,
} from '@cdc/testkit';
import { createMongoSink } from '../src/mongo/index.ts';
import { createRedisSink } from '../src/redis/index.ts';

// The sink runtime around real sinks: poison records become dead letters while the rest land,
// offsets are committed only after the write, and a target server that goes away for 30 s is
// waited for (Redis and the MongoDB-wire server alike): nothing is lost, nothing is dead-lettered.

const iso = isolate('sink_runtime');
const redis = new Redis(iso.env.REDIS_URL, { maxRetriesPerRequest: null });
redis.on('error', () => undefined); // the outage below is on purpose
const mongo = new MongoClient(iso.env.MONGO_URL, { serverSelectionTimeoutMS: 60_000 });
const admin = new Kafka({ brokers: kafkaBrokerList(iso.env), logLevel: logLevel.NOTHING }).admin();

function redisSink(topic: string, name: string): Sink {
  return createRedisSink({
    kind: 'redis',
    name,
    topics: [topic],
    url: iso.env.REDIS_URL,
    key: `${iso.redisKey(name)}:{id}`,
  });
}

function mongoSink(topic: string, name: string): Sink {
  return createMongoSink({
    kind: 'mongodb',
    name,
    topics: [topic],
    url: iso.env.MONGO_URL,
    database: iso.mongoDatabase(),
    collection: name,
  });
}

function runtimeFor(topic: string, name: string, sink: Sink = redisSink(topic, name)): SinkRuntime {
  return new SinkRuntime({
    sink,
    topics: [topic],
    brokers: kafkaBrokerList(iso.env),
    registryUrl: iso.env.SCHEMA_REGISTRY_URL,
    retry: { minMs: 200, maxMs: 2000 },
  });
}

async function committed(groupId: string, topic: string): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

beforeAll(() => admin.connect());
afterAll(async () => {
  redis.disconnect();
  await mongo.close();
  await admin.disconnect();
});

describe('sink runtime with real sinks', () => {
  it('dead-letters a poison record with its reason while the rest land, and commits after the writes', async () => {
    const topic = iso.topic('cdc.public.patients');
    const writer = new ChangeEventWriter(iso.env, topic, patientShape(iso.id));
    await writer.connect(1);
    await writer.write([
      { op: 'c', row: patientRow({ id: 1, mrn: 'MRN000001' }) },
      { op: 'c', row: patientRow({ id: 2, mrn: 'MRN000002' }) },
    ]);
    await writer.writeRaw(3, Buffer.from('definitely not avro'));
    await writer.write([
      { op: 'u', row: patientRow({ id: 1, mrn: 'MRN000011' }) },
      { op: 'd', row: patientRow({ id: 2 }) },
    ]);
    const runtime = runtimeFor(topic, 'poison');
    await runtime.start();
    try {
      await waitFor('6 records consumed', async () => runtime.counters.consumed >= 6, 30_000);
      expect(runtime.counters).toMatchObject({ written: 4, failed: 0, tombstones: 1 });
      expect(await redis.hget(`${iso.redisKey('poison')}:1`, 'mrn')).toBe('MRN000011');
      expect(await redis.exists(`${iso.redisKey('poison')}:2`)).toBe(0);
      const [letter] = await readTopic(iso.env, `${topic}.dlq`, 1, `${iso.id}-dlq`);
      expect(JSON.parse(headerText(letter!, DLQ_HEADERS.reason) ?? '[]')).toEqual([
        {
          rule: 'decode',
          field: null,
          part: 'value',
          schema_id: null,
          message: expect.stringMatching(/^value: .*wire format/) as unknown,
        },
      ]);
      expect(letter!.value?.toString()).toBe('definitely not avro');
      expect(await committed(runtime.groupId, topic)).toBe(6);
    } finally {
      await runtime.stop();
      await writer.close();
    }
  });

  interface OutageTarget {
    readonly component: 'redis' | 'mongo';
    readonly sink: (topic: string, name: string) => Sink;
    /** The mrn column of every row the target holds (delete markers are not rows). */
    readonly stored: (name: string) => Promise<string[]>;
    readonly error: RegExp;
  }
  const outageTargets: OutageTarget[] = [
    {
      component: 'redis',
      sink: redisSink,
      stored: async (name) => {
        const keys = await redis.keys(`${iso.redisKey(name)}:[0-9]*`);
        const rows = keys.filter((key) => !key.endsWith(':cdc'));
        return (await Promise.all(rows.map((key) => redis.hget(key, 'mrn')))).filter((mrn) => mrn !== null);
      },
      error: /redis|ECONNREFUSED|connect/i,
    },
    {
      component: 'mongo',
      sink: mongoSink,
      stored: async (name) => {
        const rows = mongo
          .db(iso.mongoDatabase())
          .collection(name)
          .find({ '_cdc.deleted': { $ne: true } });
        return (await rows.toArray()).map((row) => String(row.mrn));
      },
      error: /mongo|ECONNREFUSED|connect|server selection/i,
    },
  ];

  it.each(outageTargets)(
    '$component: waits for a target stopped for 30 s, then writes everything: nothing lost, nothing dead-lettered',
    async (target) => {
      const name = `outage_${target.component}`;
      const topic = iso.topic(`cdc.public.${name}`);
      const writer = new ChangeEventWriter(iso.env, topic, patientShape(iso.id));
      await writer.connect(2);
      const runtime = runtimeFor(topic, name, target.sink(topic, name));
      await runtime.start();
      const stack = new Stack();
      const server = stack.components.find((c) => c.name === target.component);
      try {
        await writer.write([{ op: 'c', row: patientRow({ id: 1, mrn: 'before 1' }) }]);
        await waitFor('the first write', async () => runtime.counters.written >= 1, 30_000);

        expect(await server?.stop()).toBe('stopped');
        const stoppedAt = Date.now();
        for (let id = 2; id <= 50; id += 1)
          await writer.write([{ op: 'c', row: patientRow({ id, mrn: `during ${id}` }) }]);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, 30_000 - (Date.now() - stoppedAt))));
        expect(runtime.counters.retries).toBeGreaterThan(0);
        expect(runtime.counters.written).toBe(1);
        expect(runtime.metrics().lastError).toMatch(target.error);
        await stack.up();

        await waitFor('every write after the outage', async () => runtime.counters.written >= 50, 60_000);
        expect(runtime.counters.failed).toBe(0);
        const expected = ['before 1', ...Array.from({ length: 49 }, (_, i) => `during ${i + 2}`)];
        expect((await target.stored(name)).sort()).toEqual(expected.sort());
        expect(await committed(runtime.groupId, topic)).toBe(50);
      } finally {
        await stack.up(); // whatever happened above, leave the stack whole for the next test file
        await runtime.stop();
        await writer.close();
      }
    },
    150_000,
  );
});
