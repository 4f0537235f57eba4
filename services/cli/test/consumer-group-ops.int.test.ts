import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupProgress, kafkaBrokerList, rewindGroup, unreadRecords } from '@cdc/core';
import { isolate, waitFor } from '@cdc/testkit';

const iso = isolate('consumer-group-ops');
const topic = iso.topic('patients');
const other = iso.topic('visits');
const groupId = `cdc-sink.${iso.id}`;
const kafka = new Kafka({ brokers: kafkaBrokerList(iso.env), logLevel: logLevel.NOTHING });
const admin: Admin = kafka.admin();
// Record timestamps chosen by the test: partition p holds records at T0 + i * 1000 for i < 5 + p.
const T0 = Date.UTC(2024, 0, 1);

async function committed(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of await admin.fetchOffsets({ groupId, topics: [topic, other] }))
    for (const p of t.partitions)
      out[`${t.topic === topic ? 'patients' : 'visits'}/${p.partition}`] = p.offset;
  return out;
}

/** Reads everything as the sink's group would and commits, then leaves the group. */
async function consumeAll(): Promise<void> {
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic, other], fromBeginning: true });
  let seen = 0;
  await consumer.run({
    eachMessage: async () => {
      seen += 1;
    },
  });
  await waitFor('every record consumed', () => seen >= 18 + 2, 30_000);
  await consumer.disconnect(); // commits what it resolved
}

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic, numPartitions: 3 },
      { topic: other, numPartitions: 1 },
    ],
    waitForLeaders: true,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: [0, 1, 2].flatMap((partition) =>
      Array.from({ length: 5 + partition }, (_, i) => ({
        partition,
        key: `k${i}`,
        value: `p${partition}-${i}`,
        timestamp: String(T0 + i * 1000),
      })),
    ),
  });
  await producer.disconnect();
  // A transactional writer: the partition ends in a commit marker that takes an offset.
  const tx = kafka.producer({ transactionalId: `${iso.id}-tx`, idempotent: true, maxInFlightRequests: 1 });
  await tx.connect();
  const transaction = await tx.transaction();
  await transaction.send({ topic: other, messages: [{ value: 'a' }, { value: 'b' }] });
  await transaction.commit();
  await tx.disconnect();
  await consumeAll();
}, 120_000);

afterAll(async () => {
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
});

describe('consumer-group operations on real Kafka', () => {
  it('reports progress: committed offsets against the heads, summed over partitions', async () => {
    expect(await committed()).toEqual({
      'patients/0': '5',
      'patients/1': '6',
      'patients/2': '7',
      'visits/0': '2',
    });
    const progress = await groupProgress(admin, groupId, [topic, other]);
    // The commit marker at visits/0 offset 2 is one offset the consumer never receives.
    expect(progress).toMatchObject({ committed: 20, head: 21, remaining: 1 });
    expect(progress.partitions.map((p) => [p.partition, p.position, p.head, p.remaining])).toEqual([
      [0, '5', '5', 0],
      [1, '6', '6', 0],
      [2, '7', '7', 0],
      [0, '2', '3', 1],
    ]);
    expect(await unreadRecords(kafka, progress)).toBe(0);
  });

  it('rewinds to the beginning, reporting old and new offsets', async () => {
    const rewound = await rewindGroup(admin, { groupId, topics: [topic, other], to: { kind: 'beginning' } });
    expect(rewound.map((r) => [r.topic === topic, r.partition, r.from, r.to])).toEqual([
      [true, 0, '5', '0'],
      [true, 1, '6', '0'],
      [true, 2, '7', '0'],
      [false, 0, '2', '0'],
    ]);
    expect(await committed()).toEqual({
      'patients/0': '0',
      'patients/1': '0',
      'patients/2': '0',
      'visits/0': '0',
    });
    const progress = await groupProgress(admin, groupId, [topic, other]);
    expect(progress).toMatchObject({ committed: 0, head: 21, remaining: 21 });
    expect(await unreadRecords(kafka, progress)).toBe(20);
  });

  it('rewinds to an offset on every partition, within what each partition holds', async () => {
    await rewindGroup(admin, { groupId, topics: [topic], to: { kind: 'offset', offset: '6' } });
    expect(await committed()).toMatchObject({ 'patients/0': '5', 'patients/1': '6', 'patients/2': '6' });
    await rewindGroup(admin, { groupId, topics: [topic], to: { kind: 'offset', offset: '2' } });
    expect(await committed()).toMatchObject({ 'patients/0': '2', 'patients/1': '2', 'patients/2': '2' });
    expect(await groupProgress(admin, groupId, [topic])).toMatchObject({
      committed: 6,
      head: 18,
      remaining: 12,
    });
  });

  it('rewinds to a time: the first record at or after it, the end where there is none', async () => {
    await rewindGroup(admin, { groupId, topics: [topic], to: { kind: 'timestamp', ms: T0 + 3000 } });
    expect(await committed()).toMatchObject({ 'patients/0': '3', 'patients/1': '3', 'patients/2': '3' });
    await rewindGroup(admin, { groupId, topics: [topic], to: { kind: 'timestamp', ms: T0 + 5500 } });
    expect(await committed()).toMatchObject({ 'patients/0': '5', 'patients/1': '6', 'patients/2': '6' });
  });

  it('refuses while a member of the group is running, naming the sink and its members', async () => {
    const consumer: Consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    try {
      await waitFor('the member to join', async () => {
        const { groups } = await admin.describeGroups([groupId]);
        return groups[0]?.state === 'Stable';
      });
      const before = await committed();
      const error = await rewindGroup(admin, { groupId, topics: [topic], to: { kind: 'beginning' } }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'GROUP_ACTIVE', retriable: false });
      expect((error as { fix: string }).fix).toMatch(
        new RegExp(`^stop the sink first \\(cdc sink run ${iso.id} is still running: members \\S+ on `),
      );
      expect(await committed()).toEqual(before);
    } finally {
      await consumer.disconnect();
    }
  });

  it('refuses topics that do not exist', async () => {
    await expect(
      rewindGroup(admin, { groupId, topics: [`${topic}.missing`], to: { kind: 'beginning' } }),
    ).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC' });
  });
});
