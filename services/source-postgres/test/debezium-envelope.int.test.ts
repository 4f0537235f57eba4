import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryCodec, type AvroRecord } from '@cdc/core';
import { isolate, readTopic, topicSize, waitFor } from '@cdc/testkit';
import { topicName } from '../src/avro/table-schemas.ts';
import { parseSourceConfig, type SourceConfig } from '../src/config.ts';
import { toConnect } from '../src/debezium/avro-data.ts';
import { debeziumEnvelope } from '../src/debezium/debezium-format.ts';
import { runSource, type SourceHandle } from '../src/service.ts';
import { SnapshotReader } from '../src/snapshot/table-reader.ts';
import { ALL_TYPES_SCHEMA, ALL_TYPES_TABLES, SNAPSHOT_ROWS, STREAMED_CHANGES } from './debezium/all-types.ts';
import { describeDifference, differences, plain, type Plain } from './debezium/record-diff.ts';

// The real source in Debezium mode on a table of every mapped type (and the key cases), snapshot
// then stream: what it registers must be Debezium mode's schemas (debezium/debezium-schemas.ts)
// and Debezium Server 3.6.1's own, its records must decode with them, and their keys, rows, ops,
// snapshot markers and key-change headers must be what Debezium wrote for the same tables and
// changes (debezium/debezium-server-3.6.1.json, captured by scripts/debezium-compare.ts).

type Captured = { key: Plain; value: Plain; headers: Record<string, Plain> };
type Fixture = { tables: Record<string, { schemas: { key: Plain; value: Plain }; records: Captured[] }> };
const fixture = JSON.parse(
  readFileSync(new URL('./debezium/debezium-server-3.6.1.json', import.meta.url), 'utf8'),
) as Fixture;

const iso = isolate('debezium-envelope');
let config: SourceConfig;
let source: SourceHandle | undefined;
let url: string;

async function sql(text: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  url = await iso.postgresUrl();
  await sql(ALL_TYPES_SCHEMA + SNAPSHOT_ROWS);
  config = parseSourceConfig(
    {
      name: iso.id,
      envelope: 'debezium',
      database: { url },
      tables: ALL_TYPES_TABLES.map((table) => `public.${table}`),
      keyless: { allow: ['public.keyless', 'public.keyless_unique'] },
      heartbeat: { interval_ms: 0 },
    },
    iso.env,
  );
  let streaming!: () => void;
  const started = new Promise<void>((resolve) => (streaming = resolve));
  source = await runSource(config, { onEvent: (event) => event.kind === 'streaming' && streaming() });
  await started;
  for (const change of STREAMED_CHANGES) await sql(change);
  for (const table of ALL_TYPES_TABLES) {
    const topic = topicName(iso.id, 'public', table);
    const expected = fixture.tables[table]!.records.length;
    await waitFor(
      `${expected} records on ${topic}`,
      async () => (await topicSize(iso.env, topic).catch(() => 0)) >= expected,
      60_000,
    );
  }
});

afterAll(async () => {
  await source?.stop();
  await sql(
    `select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = '${config.slot}'`,
  );
});

const registered = async (subject: string): Promise<AvroRecord | null> => {
  const response = await fetch(`${iso.env.SCHEMA_REGISTRY_URL}/subjects/${subject}/versions/latest`);
  if (response.status === 404) return null;
  return JSON.parse(((await response.json()) as { schema: string }).schema) as AvroRecord;
};

/** Debezium's captured schema, with our prefix, as Connect reads it. */
const debeziums = (schema: Plain) =>
  schema === null
    ? null
    : toConnect(JSON.parse(JSON.stringify(schema).replaceAll('<prefix>', iso.id)) as AvroRecord);

describe('the source in Debezium mode', () => {
  it("registers Debezium mode's schemas, which are Debezium Server's", async () => {
    const reader = await SnapshotReader.open(url, undefined, config);
    try {
      for (const table of ALL_TYPES_TABLES) {
        const shape = (await reader.table('public', table)).shape;
        const format = debeziumEnvelope();
        const topic = topicName(iso.id, 'public', table);
        const [key, value] = await Promise.all([registered(`${topic}-key`), registered(`${topic}-value`)]);
        const ourKey = format.keySchema(shape);
        expect(key && toConnect(key)).toEqual(ourKey ? toConnect(ourKey) : null);
        expect(toConnect(value!)).toEqual(toConnect(format.valueSchema(shape)));
        expect(key && toConnect(key)).toEqual(debeziums(fixture.tables[table]!.schemas.key));
        expect(toConnect(value!)).toEqual(debeziums(fixture.tables[table]!.schemas.value));
      }
    } finally {
      await reader.close();
    }
  });

  it('writes the records Debezium wrote: keys, ops, rows of every type, snapshot markers, key-change headers', async () => {
    const codec = new RegistryCodec(iso.env.SCHEMA_REGISTRY_URL);
    const found: string[] = [];
    for (const table of ALL_TYPES_TABLES) {
      const topic = topicName(iso.id, 'public', table);
      const messages = await readTopic(iso.env, topic, await topicSize(iso.env, topic), `${iso.id}-${table}`);
      const theirs = fixture.tables[table]!.records;
      expect(messages.length, table).toBe(theirs.length);
      for (const [index, message] of messages.entries()) {
        await codec.load(
          [message.key, message.value]
            .filter((b): b is Buffer => b !== null)
            .map((b) => RegistryCodec.schemaIdOf(b)),
        );
        const decode = (bytes: Buffer | null) =>
          bytes === null ? null : plain(codec.decode(bytes).value, iso.id);
        const value = decode(message.value) as Record<string, Record<string, Plain>> | null;
        const their = theirs[index]!;
        const theirValue = their.value as Record<string, Record<string, Plain>> | null;
        const header = (headers: Record<string, Plain>, name: string) => {
          const text = headers[name];
          return typeof text === 'string' ? plain((JSON.parse(text) as { payload: Plain }).payload) : null;
        };
        const ourHeaders = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, v]) => [name, plain(String(v), iso.id)]),
        );
        const snapshot = theirValue?.op === ('r' as unknown);
        const pairs: [string, Plain, Plain][] = [
          ['key', their.key, decode(message.key)],
          ['op', theirValue?.op ?? null, value?.op ?? null],
          ['before', theirValue?.before ?? null, value?.before ?? null],
          ['after', theirValue?.after ?? null, value?.after ?? null],
          ['snapshot', theirValue?.source?.snapshot ?? null, value?.source?.snapshot ?? null],
          ['newkey', header(their.headers, '__debezium.newkey'), header(ourHeaders, '__debezium.newkey')],
          ['oldkey', header(their.headers, '__debezium.oldkey'), header(ourHeaders, '__debezium.oldkey')],
        ];
        for (const [path, a, b] of pairs) {
          for (const difference of differences(path, a, b, { snapshot })) {
            if (!difference.explained) found.push(describeDifference(`${table}[${index}]`, difference));
          }
        }
        if (value && !snapshot) {
          // The event's own LSN ends the sequence; the previous commit's end LSN, when known, is before it.
          const [previous, lsn] = JSON.parse(value.source!.sequence as string) as [string | null, string];
          expect(`${lsn}n`).toBe(value.source!.lsn);
          if (previous !== null) expect(BigInt(previous)).toBeLessThanOrEqual(BigInt(lsn));
          expect(value.transaction).toMatchObject({
            id: `${(value.source!.txId as string).slice(0, -1)}:${lsn}`,
          });
        }
      }
    }
    expect(found).toEqual([]);
  });
});
