import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokerList, readRanges } from '@cdc/core';
import { ChangeEventWriter, isolate, patientRow, patientShape, waitFor } from '@cdc/testkit';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const iso = isolate('sink-replay');
const topic = iso.topic('cdc.public.patients');
const sink = `${iso.id}-redis`;
const groupId = `cdc-sink.${sink}`;
const file = iso.pipelineFile({
  sinks: [{ name: sink, kind: 'redis', topics: [topic], key: `${iso.id}:patient:{id}` }],
});
const writer = new ChangeEventWriter(iso.env, topic, patientShape(iso.id));
const kafka = new Kafka({ brokers: kafkaBrokerList(iso.env), logLevel: logLevel.NOTHING });
const redis = new Redis(iso.env.REDIS_URL);
const key = (id: number) => iso.redisKey(`patient:${id}`);

function cdc(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

async function committed(): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).sort((a, b) => a.partition - b.partition).map((p) => p.offset);
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  await writer.connect(3);
  await writer.write(
    [1, 2, 3, 4, 5, 6].map((id) => ({ op: 'c', row: patientRow({ id, mrn: `MRN00000${id}` }) })),
  );
  await writer.write([{ op: 'u', row: patientRow({ id: 2, mrn: 'MRN000002', email: 'b@example.org' }) }]);
  // The last event again, as an exactly-once processor writes: in a transaction, whose commit
  // marker then ends the partition (an offset that no consumer receives or commits past).
  const admin = kafka.admin();
  await admin.connect();
  const ranges = (await admin.fetchTopicOffsets(topic)).map((o) => ({
    partition: o.partition,
    from: o.low,
    to: o.high,
  }));
  await admin.disconnect();
  const again = (await readRanges(kafka, topic, ranges)).at(-1);
  if (!again) throw new Error('the topic should hold the events just written');
  const producer = kafka.producer({
    transactionalId: `${iso.id}-tx`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const transaction = await producer.transaction();
  await transaction.send({
    topic,
    messages: [{ key: again.message.key, value: again.message.value, partition: again.partition }],
  });
  await transaction.commit();
  await producer.disconnect();
}, 60_000);

afterAll(async () => {
  await writer.close();
  redis.disconnect();
});

describe('cdc sink replay', () => {
  it('with --no-run only moves the offsets and says how to start the sink', async () => {
    const result = await cdc('sink', 'replay', sink, '--no-run', '-c', file);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(`rewound consumer group ${groupId} (to the beginning):`);
    expect(result.stdout).toMatch(new RegExp(`${topic} 0: \\(none\\) -> 0`));
    expect(result.stdout).toContain('9 offsets to replay'); // 8 records and a commit marker
    expect(result.stdout).toContain(`cdc sink run ${sink} -c ${file}`);
    expect(await committed()).toEqual(['0', '0', '0']);
    expect(await redis.exists(key(1))).toBe(0);
  }, 60_000);

  it('runs the sink from the rewound position to the head and stops it there', async () => {
    const result = await cdc('sink', 'replay', sink, '-c', file);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('replayed 8 records: 7 written, 1 stale');
    for (const id of [1, 2, 3, 4, 5, 6]) expect(await redis.exists(key(id))).toBe(1);
    const heads = await committed();
    expect(heads.reduce((sum, o) => sum + Number(o), 0)).toBe(8);
  }, 120_000);

  it('rewrites what the target lost and leaves the rest as stale', async () => {
    await redis.del(key(3), `${key(3)}:cdc`); // the row and its version marker: the target lost both
    const result = await cdc('sink', 'replay', sink, '--from', 'beginning', '-c', file);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('replayed 8 records: 1 written, 7 stale');
    expect(await redis.exists(key(3))).toBe(1);
  }, 120_000);

  it('replays nothing from a time after the last record', async () => {
    const result = await cdc(
      'sink',
      'replay',
      sink,
      '--from',
      new Date(Date.now() + 60_000).toISOString(),
      '-c',
      file,
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('nothing to replay');
  }, 60_000);

  it('refuses while the sink runs elsewhere, naming its members', async () => {
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    try {
      await waitFor('the member to join', async () => {
        const admin = kafka.admin();
        await admin.connect();
        const { groups } = await admin.describeGroups([groupId]);
        await admin.disconnect();
        return groups[0]?.state === 'Stable';
      });
      const result = await cdc('sink', 'replay', sink, '-c', file);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(
        `fix: stop the sink first (cdc sink run ${sink} is still running: members`,
      );
    } finally {
      await consumer.disconnect();
    }
  }, 60_000);
});
