import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { KafkaMessage } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolate, readTopic, topicSize, waitFor } from '@cdc/testkit';
import { schemaRegistryOptions } from '@cdc/core';
import { topicName } from '../src/avro/table-schemas.ts';
import { parseSourceConfig, type SourceConfig } from '../src/config.ts';
import type { Envelope } from '../src/events/change-event.ts';
import { lsnToBigInt } from '../src/pgoutput/messages.ts';
import { ensurePublicationAndSlot } from '../src/publication-setup.ts';
import { ChangeStream } from '../src/stream/change-stream.ts';
import { createKafkaWriter, type KafkaWriter } from '../src/stream/kafka-writer.ts';

// The streaming core end to end: PostgreSQL -> slot -> ChangeStream -> Kafka (Avro, registry),
// checking order, versions, TOAST, tombstones, and that the slot moves only past what Kafka has.

const iso = isolate('change-stream');
let sql: pg.Client;
let registry: SchemaRegistry;

function configFor(tables: string[], suffix: string, url: string): SourceConfig {
  return parseSourceConfig(
    {
      name: iso.id,
      tables,
      database: { url },
      slot: `${iso.id}_${suffix}`,
      publication: `${iso.id}_${suffix}`,
    },
    iso.env,
  );
}

const header = (message: KafkaMessage, name: string) => message.headers?.[name]?.toString();
const decode = async (message: KafkaMessage) =>
  message.value === null ? null : ((await registry.decode(message.value)) as Envelope);

beforeAll(async () => {
  sql = new pg.Client({ connectionString: await iso.postgresUrl() });
  await sql.connect();
  registry = new SchemaRegistry({ host: iso.env.SCHEMA_REGISTRY_URL }, schemaRegistryOptions);
  // EXTERNAL: stored out of line uncompressed, so an update that leaves it alone sends no value.
  await sql.query(`create table items (id int primary key, name text not null, doc text)`);
  await sql.query(`alter table items alter column doc set storage external`);
  await sql.query(`create table big (id int primary key, v text)`);
  await sql.query(`create table evolving (id int primary key, amount int)`);
});

afterAll(() => sql.end());

describe('ChangeStream', () => {
  it('streams changes in order and moves the slot only past what Kafka holds', async () => {
    const config = configFor(['public.items'], 'items', await iso.postgresUrl());
    await ensurePublicationAndSlot(sql, config);
    const topic = topicName(iso.id, 'public', 'items');
    let stream = new ChangeStream({ config, batchSize: 50 });
    await stream.start();
    try {
      await sql.query(
        `insert into items values (1, 'a', repeat('x', 10000)), (2, 'b', 'small'), (3, 'c', null)`,
      );
      await sql.query(`update items set name = 'a2' where id = 1`);
      await sql.query(`update items set doc = repeat('y', 9000) where id = 1`);
      await sql.query(`delete from items where id = 2`);
      await sql.query(`truncate items`);
      // readTopic cannot subscribe to a topic that does not exist yet.
      await waitFor('five transactions', async () =>
        stream.counters.transactionsAcknowledged >= 5 ? true : undefined,
      );

      const messages = await readTopic(iso.env, topic, 8, `${iso.id}-items`);
      const events = await Promise.all(messages.map(decode));
      expect(events.map((event) => event?.op ?? 'tombstone')).toEqual([
        'c',
        'c',
        'c',
        'u',
        'u',
        'd',
        'tombstone',
        't',
      ]);

      const inserts = messages.slice(0, 3);
      expect(inserts.map((m) => header(m, 'cdc.seq'))).toEqual(['0', '1', '2']);
      expect(new Set(inserts.map((m) => header(m, 'cdc.commit_lsn'))).size).toBe(1);
      expect(events.slice(0, 3).map((e) => e?.source.seq)).toEqual([0n, 1n, 2n]);
      // Versions grow with commit order; a delete and its tombstone share one.
      const versions = messages.map((m) => [
        BigInt(header(m, 'cdc.commit_lsn')!),
        BigInt(header(m, 'cdc.seq')!),
      ]);
      for (let i = 1; i < versions.length; i++) {
        const [[lsnA, seqA], [lsnB, seqB]] = [versions[i - 1]!, versions[i]!];
        expect(lsnB! > lsnA! || (lsnB === lsnA && seqB! >= seqA!)).toBe(true);
      }

      const [untouched, changed] = [events[3]!, events[4]!];
      expect({ ...untouched.after }).toEqual({ id: 1, name: 'a2', doc: null });
      expect(untouched.unchanged_fields).toEqual(['doc']);
      expect(changed.after?.doc).toBe('y'.repeat(9000));
      expect(changed.unchanged_fields).toEqual([]);

      const deleted = events[5]!;
      expect({ ...deleted.before }).toEqual({ id: 2, name: null, doc: null }); // key only
      expect(deleted.after).toBeNull();
      expect(messages[6]!.value).toBeNull();
      expect(messages[6]!.key).toEqual(messages[5]!.key);
      expect(events[7]!.source.table).toBe('items');

      // The slot reaches the end of the last transaction, which lies past its commit LSN.
      const lastCommit = BigInt(header(messages[7]!, 'cdc.commit_lsn')!);
      const confirmed = await waitFor('the slot to pass the last commit', async () => {
        const { rows } = await sql.query<{ lsn: string }>(
          `select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = $1`,
          [config.slot],
        );
        const lsn = lsnToBigInt(rows[0]!.lsn);
        return lsn > lastCommit ? lsn : undefined;
      });
      // Exactly the end LSN we acknowledged: not one byte further (the library adds one; we take it off).
      expect(lsnToBigInt(stream.counters.lastAcknowledgedLsn!)).toBe(confirmed);
      expect(stream.counters.eventsSent).toBe(8);
    } finally {
      await stream.stop();
    }
    await stream.done;

    // Restart on the same slot: only what came after the acknowledged position arrives.
    await sql.query(`insert into items values (4, 'd', 'after restart')`);
    stream = new ChangeStream({ config });
    await stream.start();
    try {
      await waitFor('the new row', async () =>
        stream.counters.transactionsAcknowledged > 0 ? true : undefined,
      );
      const messages = await readTopic(iso.env, topic, 9, `${iso.id}-items-2`);
      const last = await decode(messages[8]!);
      expect(last?.op).toBe('c');
      expect(last?.after?.id).toBe(4);
      expect(stream.counters.eventsSent).toBe(1);
      expect(await topicSize(iso.env, topic)).toBe(9);
    } finally {
      await stream.stop();
    }
  });

  it('delivers a transaction larger than the batch whole and in order, in bounded batches', async () => {
    const config = configFor(['public.big'], 'big', await iso.postgresUrl());
    await ensurePublicationAndSlot(sql, config);
    const inner = createKafkaWriter({ brokers: config.kafka.brokers });
    const batches: number[] = [];
    const writer: KafkaWriter = {
      send: (records) => (batches.push(records.length), inner.send(records)),
      close: () => inner.close(),
    };
    const stream = new ChangeStream({ config, batchSize: 100, writer });
    await stream.start();
    try {
      await sql.query(`insert into big select n, 'row ' || n from generate_series(1, 1000) n`);
      await waitFor('the acknowledgement', async () =>
        stream.counters.transactionsAcknowledged > 0 ? true : undefined,
      );
      const messages = await readTopic(iso.env, topicName(iso.id, 'public', 'big'), 1000, `${iso.id}-big`);
      expect(messages.map((m) => header(m, 'cdc.seq'))).toEqual(
        Array.from({ length: 1000 }, (_, i) => String(i)),
      );
      expect(new Set(messages.map((m) => header(m, 'cdc.commit_lsn'))).size).toBe(1);
      const ids = await Promise.all(messages.map(async (m) => (await decode(m))?.after?.id));
      expect(ids).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
      expect(Math.max(...batches)).toBe(100);
      expect(batches.reduce((a, b) => a + b, 0)).toBe(1000);
    } finally {
      await stream.stop();
    }
  });

  it('stops with INCOMPATIBLE_SCHEMA_CHANGE naming the column, and acknowledges nothing of it', async () => {
    const config = configFor(['public.evolving'], 'evolving', await iso.postgresUrl());
    await ensurePublicationAndSlot(sql, config);
    const stream = new ChangeStream({ config });
    await stream.start();
    try {
      await sql.query(`insert into evolving values (1, 10)`);
      await waitFor('the first row', async () =>
        stream.counters.transactionsAcknowledged > 0 ? true : undefined,
      );
      const acknowledged = stream.counters.lastAcknowledgedLsn;
      // int -> text cannot be read by the old schema's readers under BACKWARD.
      await sql.query(`alter table evolving alter column amount type text`);
      await sql.query(`insert into evolving values (2, 'twenty')`);
      const error = await stream.done.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'INCOMPATIBLE_SCHEMA_CHANGE' });
      expect((error as Error).message).toMatch(/public\.evolving.*"amount" changed/u);
      expect(stream.counters.lastAcknowledgedLsn).toBe(acknowledged);
    } finally {
      await stream.stop();
    }
  });
});
