import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolate, readTopic, waitFor } from '@cdc/testkit';
import { schemaRegistryOptions } from '@cdc/core';
import { topicName } from '../src/avro/table-schemas.ts';
import { parseSourceConfig } from '../src/config.ts';
import type { Envelope } from '../src/events/change-event.ts';
import { ensurePublicationAndSlot } from '../src/publication-setup.ts';
import { ChangeStream } from '../src/stream/change-stream.ts';

// Compatible schema changes in the middle of the stream: each one registers a new version of
// the value schema (BACKWARD), and the events after it use that version.

const iso = isolate('schema-evolution');
let sql: pg.Client;

beforeAll(async () => {
  sql = new pg.Client({ connectionString: await iso.postgresUrl() });
  await sql.connect();
  await sql.query(`create table visits (id int primary key, amount int not null)`);
});

afterAll(() => sql.end());

describe('schema changes mid-stream', () => {
  it('registers a schema version per table shape (ADD COLUMN, DROP COLUMN, int -> bigint) and uses it', async () => {
    const config = parseSourceConfig(
      { name: iso.id, tables: ['public.visits'], database: { url: await iso.postgresUrl() } },
      iso.env,
    );
    await ensurePublicationAndSlot(sql, config);
    const stream = new ChangeStream({ config });
    await stream.start();
    try {
      const steps = [
        `insert into visits values (1, 10)`,
        `alter table visits add column note text; insert into visits values (2, 20, 'added')`,
        `alter table visits drop column note; insert into visits values (3, 30)`,
        `alter table visits alter column amount type bigint; insert into visits values (4, 9007199254740993)`,
      ];
      for (const [index, step] of steps.entries()) {
        await sql.query(step);
        await waitFor(`step ${index + 1}`, () => stream.counters.eventsSent >= index + 1);
      }
    } finally {
      await stream.stop();
    }
    expect(stream.counters.eventsSent).toBe(4);

    const topic = topicName(iso.id, 'public', 'visits');
    const registry = new SchemaRegistry({ host: iso.env.SCHEMA_REGISTRY_URL }, schemaRegistryOptions);
    const messages = await readTopic(iso.env, topic, 4, `${iso.id}-evolution`);
    // Confluent wire format: the schema id follows the magic byte.
    const schemaIds = messages.map((message) => message.value!.readUInt32BE(1));
    // After DROP COLUMN the table has its first shape again, so the registry hands back the
    // first schema (same content, same id) rather than a new version.
    const [first, added, dropped, widened] = schemaIds;
    expect(dropped).toBe(first);
    expect(new Set([first, added, widened]).size).toBe(3);
    const afters = await Promise.all(
      messages.map(async (message) => ((await registry.decode(message.value!)) as Envelope).after),
    );
    expect(afters.map((after) => ({ ...after }))).toEqual([
      { id: 1, amount: 10 },
      { id: 2, amount: 20, note: 'added' },
      { id: 3, amount: 30 },
      { id: 4, amount: 9007199254740993n },
    ]);

    const versions = (await (
      await fetch(`${iso.env.SCHEMA_REGISTRY_URL}/subjects/${topic}-value/versions`)
    ).json()) as number[];
    expect(versions).toHaveLength(3);
  });
});
