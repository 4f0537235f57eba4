import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { type KafkaMessage } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolate, readTopic, topicSize, waitFor } from '@cdc/testkit';
import { schemaRegistryOptions } from '@cdc/core';
import { topicName } from '../src/avro/table-schemas.ts';
import { parseSourceConfig, type SourceConfig } from '../src/config.ts';
import type { Envelope } from '../src/events/change-event.ts';
import { lsnToBigInt } from '../src/pgoutput/messages.ts';
import { createExportedSlot } from '../src/snapshot/exported-slot.ts';
import { snapshotState } from '../src/snapshot/snapshot-state.ts';
import { prepareSnapshot, runSnapshot } from '../src/snapshot/snapshotter.ts';
import { ChangeStream } from '../src/stream/change-stream.ts';

// The snapshot end to end: exported snapshot -> 'r' events, the hand-off to the stream at the
// slot's consistent point under concurrent writes (no row in both, none in neither), and a crash
// mid-copy.

const iso = isolate('snapshot');
let sql: pg.Client;
let registry: SchemaRegistry;

async function configFor(table: string, suffix: string, chunkRows = 10_000): Promise<SourceConfig> {
  return parseSourceConfig(
    {
      name: iso.id,
      tables: [`public.${table}`],
      database: { url: await iso.postgresUrl() },
      slot: `${iso.id}_${suffix}`,
      publication: `${iso.id}_${suffix}`,
      snapshot: { chunk_rows: chunkRows },
    },
    iso.env,
  );
}

/** Every message of a topic, decoded: key as JSON text, value null for tombstones. */
async function readAll(topic: string, group: string) {
  const messages = await readTopic(iso.env, topic, await topicSize(iso.env, topic), `${iso.id}-${group}`);
  return Promise.all(
    messages.map(async (message: KafkaMessage) => ({
      key: JSON.stringify(await registry.decode(message.key!)),
      value: message.value === null ? null : ((await registry.decode(message.value)) as Envelope),
    })),
  );
}

/** The table as a topic reader rebuilds it: r/c/u set the key's row, d and tombstones remove it. */
function rebuild(events: Awaited<ReturnType<typeof readAll>>): Map<string, Record<string, unknown>> {
  const state = new Map<string, Record<string, unknown>>();
  for (const { key, value } of events) {
    if (value === null || value.op === 'd') state.delete(key);
    else if (value.after) state.set(key, { ...value.after });
  }
  return state;
}

beforeAll(async () => {
  sql = new pg.Client({ connectionString: await iso.postgresUrl() });
  await sql.connect();
  registry = new SchemaRegistry({ host: iso.env.SCHEMA_REGISTRY_URL }, schemaRegistryOptions);
  await sql.query(`create table typed (id int primary key, name text not null, big bigint, flag boolean,
                     raw bytea, at timestamptz, tags text[], doc jsonb)`);
  await sql.query(`create table busy (id int primary key, v text not null)`);
  await sql.query(`create table crashy (id int primary key, v text)`);
});

afterAll(() => sql.end());

describe('snapshot', () => {
  it('copies the rows present before start as r events at the consistent point', async () => {
    await sql.query(`insert into typed values
      (1, 'one', 9007199254740993, true, '\\x00ff', '2024-02-29 12:34:56.123456+00', '{a,"b c"}', '{"k": 1}'),
      (2, 'two', null, false, null, null, null, null),
      (3, 'three', -1, null, '\\x', '1970-01-01 00:00:00+00', '{}', '[]')`);
    const config = await configFor('typed', 'typed');
    const result = await prepareSnapshot(config);
    expect(result).toMatchObject({ snapshot: 'taken', rows: 3 });
    expect((await snapshotState(config))?.snapshot).toBe('done');

    const events = await readAll(topicName(iso.id, 'public', 'typed'), 'typed');
    const values = events.map((event) => event.value!);
    expect(values.map((v) => v.op)).toEqual(['r', 'r', 'r']);
    expect(values.map((v) => v.source.snapshot)).toEqual(['true', 'true', 'last']);
    expect(values.map((v) => v.source.seq)).toEqual([0n, 1n, 2n]);
    for (const v of values) expect(v.source.commit_lsn).toBe(lsnToBigInt(result.consistentPoint!));
    // The stream starts exactly where the snapshot was taken.
    const { rows } = await sql.query<{ lsn: string }>(
      `select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = $1`,
      [config.slot],
    );
    expect(rows[0]!.lsn).toBe(result.consistentPoint);

    expect({ ...values[0]!.after }).toEqual({
      id: 1,
      name: 'one',
      big: 9007199254740993n,
      flag: true,
      raw: Buffer.from([0, 255]),
      at: 1709210096123456n,
      tags: ['a', 'b c'],
      doc: '{"k": 1}',
    });
    expect({ ...values[1]!.after }).toEqual({
      id: 2,
      name: 'two',
      big: null,
      flag: false,
      raw: null,
      at: null,
      tags: null,
      doc: null,
    });
    expect(values[2]!.after).toMatchObject({
      id: 3,
      big: -1n,
      flag: null,
      raw: Buffer.alloc(0),
      at: 0n,
      tags: [],
    });
  });

  it('hands off to the stream with nothing missed or doubled under concurrent writes', async () => {
    await sql.query(`insert into busy select n, 'v' || n from generate_series(1, 5000) n`);
    const config = await configFor('busy', 'busy', 500);
    const writer = new pg.Client({ connectionString: await iso.postgresUrl() });
    await writer.connect();
    let done = false;
    let writes = 0;
    // Inserts, updates (of old and new rows) and deletes, each its own transaction, all through
    // the snapshot: some commit before the consistent point, the rest after it.
    const writing = (async () => {
      for (let i = 1; !done || writes < 50; i++) {
        await writer.query(`insert into busy values ($1, 'new')`, [10_000 + i]);
        await writer.query(`update busy set v = v || '+' where id = $1`, [1 + ((i * 97) % 5000)]);
        await writer.query(`update busy set v = 'changed' where id = $1`, [10_000 + Math.ceil(i / 2)]);
        if (i % 5 === 0) await writer.query(`delete from busy where id = $1`, [1 + ((i * 31) % 5000)]);
        writes += 1;
      }
    })();
    let result: Awaited<ReturnType<typeof prepareSnapshot>>;
    try {
      result = await prepareSnapshot(config);
    } finally {
      done = true;
      await writing;
      await writer.end();
    }
    expect(result.snapshot).toBe('taken');
    expect(result.rows).toBeGreaterThanOrEqual(5000);

    const before = (await sql.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')).rows[0]!
      .lsn;
    await sql.query(`insert into busy values (0, 'marker')`);
    const stream = new ChangeStream({ config });
    await stream.start();
    try {
      await waitFor('the stream to pass the marker', async () => {
        const acknowledged = stream.counters.lastAcknowledgedLsn;
        return acknowledged && lsnToBigInt(acknowledged) > lsnToBigInt(before) ? true : undefined;
      });
    } finally {
      await stream.stop();
    }
    // The stream started at the consistent point: it had changes of its own to send.
    expect(stream.counters.eventsSent).toBeGreaterThan(0);

    const events = await readAll(topicName(iso.id, 'public', 'busy'), 'busy');
    const table = await sql.query<{ id: number; v: string }>('select id, v from busy');
    const expected = new Map(
      table.rows.map((row) => [JSON.stringify({ id: row.id }), { id: row.id, v: row.v }]),
    );
    expect(rebuild(events)).toEqual(expected);
    // Snapshot rows are exactly the table at the consistent point: no key twice among them.
    const reads = events.filter((event) => event.value?.op === 'r');
    expect(new Set(reads.map((event) => event.key)).size).toBe(reads.length);
    expect(reads.length).toBe(result.rows);
    // The writes did straddle the consistent point: some are in the snapshot, some streamed.
    const marker = JSON.stringify({ id: 0 });
    expect(reads.some((event) => (event.value!.after!.id as number) > 10_000)).toBe(true);
    expect(events.filter((event) => event.value?.op !== 'r' && event.key !== marker).length).toBeGreaterThan(
      0,
    );
  });

  it('takes the snapshot again after a crash in the middle of it', async () => {
    await sql.query(`insert into crashy select n, 'v' || n from generate_series(1, 300) n`);
    const config = await configFor('crashy', 'crashy', 50);
    await sql.query(`create publication ${config.publication} for table crashy`);
    // The slot was created, then the process died before the snapshot was recorded as done.
    const slot = await createExportedSlot(config.database.url, config.slot);
    await slot.close();
    expect(await snapshotState(config)).toBeUndefined();

    const result = await prepareSnapshot(config);
    expect(result).toMatchObject({ snapshot: 'taken', rows: 300 });
    expect(result.reason).toMatch(/did not finish/u);
    expect(lsnToBigInt(result.consistentPoint!)).toBeGreaterThan(lsnToBigInt(slot.consistentPoint));
    const events = await readAll(topicName(iso.id, 'public', 'crashy'), 'crashy');
    const ids = events.map((event) => event.value?.after?.id);
    expect(ids).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect((await snapshotState(config))?.consistentPoint).toBe(result.consistentPoint);

    // Now done: a restart takes no snapshot.
    expect(await prepareSnapshot(config)).toMatchObject({ snapshot: 'skipped' });
  });

  it('runSnapshot refuses an existing slot', async () => {
    const config = await configFor('crashy', 'crashy');
    await expect(runSnapshot({ config })).rejects.toMatchObject({ code: 'SLOT_EXISTS' });
    // and leaves the finished snapshot recorded as done.
    expect((await snapshotState(config))?.snapshot).toBe('done');
  });
});
