import { type KafkaMessage } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolate, readTopic, topicSize } from '@cdc/testkit';
import { topicName } from '../src/avro/table-schemas.ts';
import { parseSourceConfig } from '../src/config.ts';
import { prepareSnapshot } from '../src/snapshot/snapshotter.ts';
import { ChangeStream } from '../src/stream/change-stream.ts';

// Every message on a real topic carries W3C trace context (docs/contracts.md, Headers), snapshot
// reads and streamed changes alike, here without any OpenTelemetry SDK registered: one trace per change,
// a delete's tombstone in the delete's trace.

// Flags 01 or 00: without an SDK the source samples at the default ratio itself (change-span.ts).
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/u;
const iso = isolate('tracing');
let sql: pg.Client;

async function waitForSize(topic: string, size: number, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await topicSize(iso.env, topic).catch(() => 0)) < size) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${size} messages on ${topic}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const traceOf = (message: KafkaMessage) => {
  const match = TRACEPARENT.exec(message.headers?.traceparent?.toString() ?? '');
  expect(match, 'traceparent').not.toBeNull();
  return { traceId: match![1]!, spanId: match![2]! };
};

beforeAll(async () => {
  sql = new pg.Client({ connectionString: await iso.postgresUrl() });
  await sql.connect();
  await sql.query(`create table traced (id int primary key, name text)`);
  await sql.query(`insert into traced values (1, 'a'), (2, 'b')`);
});

afterAll(() => sql.end());

describe('tracing', () => {
  it('puts a traceparent on every snapshot and stream message', async () => {
    const config = parseSourceConfig(
      {
        name: iso.id,
        tables: ['public.traced'],
        database: { url: await iso.postgresUrl() },
        slot: `${iso.id}_traced`,
        publication: `${iso.id}_traced`,
      },
      iso.env,
    );
    expect(await prepareSnapshot(config)).toMatchObject({ snapshot: 'taken', rows: 2 });
    const stream = new ChangeStream({ config });
    await stream.start();
    const topic = topicName(iso.id, 'public', 'traced');
    try {
      await sql.query(`insert into traced values (3, 'c')`);
      await sql.query(`delete from traced where id = 1`);
      await waitForSize(topic, 5); // r, r, c, d, tombstone
    } finally {
      await stream.stop();
    }

    const messages = await readTopic(iso.env, topic, 5, `${iso.id}-traced`);
    const traces = messages.map(traceOf);
    // The delete and its tombstone share the key, so a partition: the delete is the key's last event.
    const tombstone = messages.findIndex((message) => message.value === null);
    const deleted = messages.findLastIndex(
      (message) => message.value !== null && message.key!.equals(messages[tombstone]!.key!),
    );
    expect(traces[tombstone]!.traceId).toBe(traces[deleted]!.traceId);
    expect(new Set(traces.map((t) => t.traceId)).size).toBe(4); // one trace per change
    expect(new Set(traces.map((t) => t.spanId)).size).toBe(5);
  });
});
