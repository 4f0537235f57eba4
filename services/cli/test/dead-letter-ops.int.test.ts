import { Kafka, logLevel, type Producer } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DLQ_HEADERS,
  deadLetterHeaders,
  kafkaBrokerList,
  listDeadLetters,
  redriveDeadLetters,
  type DeadLetterReason,
} from '@cdc/core';
import { isolate, readTopic } from '@cdc/testkit';

const iso = isolate('dead-letter-ops');
const origin = iso.topic('orders');
const dlq = `${origin}.dlq`;
const kafka = new Kafka({ brokers: kafkaBrokerList(iso.env), logLevel: logLevel.NOTHING });
const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const required: DeadLetterReason = { rule: 'required', field: 'mrn', message: 'mrn is required' };
const email: DeadLetterReason = { rule: 'format', field: 'email', message: 'email must be an email address' };
const decode: DeadLetterReason = { rule: 'decode', field: null, message: 'not the Confluent wire format' };
// Avro-like bytes with a zero magic byte and a schema id: redrive must not touch them.
const bytes = (n: number) => Buffer.from([0, 0, 0, 0, 7, n, 0xff, n]);

function letter(partition: number, offset: string, reasons: DeadLetterReason[], n: number) {
  return {
    key: bytes(100 + n),
    value: bytes(n),
    partition,
    headers: deadLetterHeaders('validate-orders', { topic: origin, partition, offset }, reasons, {
      traceparent,
    }),
  };
}

async function transactional(id: string, send: (producer: Producer) => Promise<void>, commit: boolean) {
  const producer = kafka.producer({
    transactionalId: `${iso.id}-${id}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const tx = await producer.transaction();
  await send(tx as unknown as Producer);
  await (commit ? tx.commit() : tx.abort());
  await producer.disconnect();
}

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: origin, numPartitions: 2 },
      { topic: dlq, numPartitions: 2 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({
    topic: dlq,
    acks: -1,
    messages: [
      letter(0, '3', [required, email], 1),
      letter(1, '8', [decode], 2),
      // Not written by us: no origin, so it has nowhere to go back to.
      { key: Buffer.from('stray'), value: Buffer.from('?'), partition: 1 },
    ],
  });
  await producer.disconnect();
  // As an exactly-once processor writes them: the partitions end in transaction markers.
  await transactional(
    'ok',
    (p) =>
      p
        .send({ topic: dlq, messages: [letter(0, '5', [email], 3), letter(1, '9', [email], 4)] })
        .then(() => undefined),
    true,
  );
  await transactional(
    'aborted',
    (p) => p.send({ topic: dlq, messages: [letter(0, '6', [required], 5)] }).then(() => undefined),
    false,
  );
}, 60_000);

describe('dead-letter operations on a real .dlq topic', () => {
  it('lists every committed dead letter with its reasons, processor, origin and time, and stops at the end', async () => {
    const started = Date.now();
    const entries = await listDeadLetters(kafka, dlq);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(entries.map((e) => `${e.partition}/${e.offset}`)).toEqual(['0/0', '0/1', '1/0', '1/1', '1/2']);
    const first = entries[0];
    expect(first).toMatchObject({
      key: bytes(101),
      value: bytes(1),
      reasons: [required, email],
      processor: 'validate-orders',
      origin: { topic: origin, partition: 0, offset: '3' },
    });
    expect(first?.at?.getTime()).toBeGreaterThan(started - 120_000);
    expect(first?.headers.traceparent?.toString()).toBe(traceparent);
    expect(Object.keys(first?.headers ?? {}).filter((h) => h.startsWith('cdc.dlq.'))).toEqual([]);
    expect(entries.find((e) => e.offset === '1' && e.partition === 1)).toMatchObject({
      processor: null,
      origin: null,
      reasons: [],
      at: null,
    });
    expect(entries.flatMap((e) => e.reasons.map((r) => r.rule))).not.toContain(undefined);
    expect(await listDeadLetters(kafka, dlq, { limit: 2 })).toHaveLength(2);
  });

  it('refuses a topic that does not exist, with a fix', async () => {
    await expect(listDeadLetters(kafka, `${origin}.nope.dlq`)).rejects.toMatchObject({
      code: 'UNKNOWN_TOPIC',
      fix: expect.stringContaining('.dlq') as unknown,
    });
  });

  it('counts what a dry run would redrive and publishes nothing', async () => {
    const result = await redriveDeadLetters(kafka, dlq, { dryRun: true });
    expect(result).toEqual({ read: 5, matched: 5, unroutable: 1, published: 0, byTopic: { [origin]: 4 } });
    const admin = kafka.admin();
    await admin.connect();
    expect((await admin.fetchTopicOffsets(origin)).map((o) => o.high)).toEqual(['0', '0']);
    await admin.disconnect();
  });

  it('puts the original key, bytes and headers back on the origin partition, without the dlq headers', async () => {
    const result = await redriveDeadLetters(kafka, dlq, {
      filter: (entry) => entry.reasons.some((r) => r.rule === 'format'),
    });
    expect(result).toEqual({ read: 5, matched: 3, unroutable: 0, published: 3, byTopic: { [origin]: 3 } });
    const admin = kafka.admin();
    await admin.connect();
    const heads = await admin.fetchTopicOffsets(origin);
    await admin.disconnect();
    // Letters 1 and 3 came from partition 0, letter 4 from partition 1.
    expect(heads.sort((a, b) => a.partition - b.partition).map((o) => o.high)).toEqual(['2', '1']);
    const records = await readTopic(iso.env, origin, 3, `${iso.id}-redriven`);
    expect(records.map((r) => r.value?.toString('hex')).sort()).toEqual(
      [bytes(1), bytes(3), bytes(4)].map((b) => b.toString('hex')).sort(),
    );
    for (const record of records) {
      const n = record.value?.[5] ?? -1;
      expect(record.key).toEqual(bytes(100 + n));
      expect(record.headers?.traceparent?.toString()).toBe(traceparent);
      expect(Object.keys(record.headers ?? {}).filter((h) => h.startsWith('cdc.dlq.'))).toEqual([]);
      expect(record.headers?.[DLQ_HEADERS.reason]).toBeUndefined();
    }
  });
});
