// What `npm run bench:source` creates on the running stack and removes again: its own database
// `bench_source` (its tables, publications and slots), topics `bench.*` and their subjects.
import type { Admin } from 'kafkajs';
import pg from 'pg';
import { kafkaBrokerList, kafkaClient, readStackEnv, silenceKnownKafkajsWarnings } from '@cdc/core';
import { ensurePublicationAndSlot, parseSourceConfig, type SourceConfig } from '@cdc/source-postgres';
import { postgresDatabaseUrl } from '@cdc/stack/namespace';

export const DATABASE = 'bench_source';
export const PREFIX = 'bench';

silenceKnownKafkajsWarnings();
export const stack = readStackEnv();
export const kafka = kafkaClient(kafkaBrokerList(stack), { clientId: 'bench-source' });
export const benchUrl = postgresDatabaseUrl(stack, DATABASE);

const log = (line: string) => process.stderr.write(`${line}\n`);

async function withAdminClient<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: stack.CDC_PG_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

async function withBenchClient<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: benchUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

async function dropDatabase(): Promise<void> {
  await withAdminClient(async (client) => {
    // A database with replication slots cannot be dropped.
    await client.query(
      `select pg_drop_replication_slot(slot_name) from pg_replication_slots
        where database = $1 and not active`,
      [DATABASE],
    );
    await client.query(`drop database if exists ${DATABASE} with (force)`);
  });
}

async function benchTopics(admin: Admin): Promise<string[]> {
  return (await admin.listTopics()).filter((topic) => topic.startsWith(`${PREFIX}.`));
}

async function dropKafkaAndRegistry(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = await benchTopics(admin);
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
  const base = stack.SCHEMA_REGISTRY_URL.replace(/\/+$/u, '');
  const response = await fetch(`${base}/subjects`);
  if (!response.ok) return;
  for (const subject of (await response.json()) as string[]) {
    if (!subject.startsWith(`${PREFIX}.`)) continue;
    const at = `${base}/subjects/${encodeURIComponent(subject)}`;
    await fetch(at, { method: 'DELETE' });
    await fetch(`${at}?permanent=true`, { method: 'DELETE' });
  }
}

/** A table of the benchmark's rows: (id, name, amount). */
export async function createTable(table: string): Promise<void> {
  await withBenchClient((client) =>
    client.query(`create table ${table} (id bigint primary key, name text not null, amount int)`),
  );
}

export async function setUp(): Promise<void> {
  await dropDatabase();
  await dropKafkaAndRegistry();
  await withAdminClient((client) => client.query(`create database ${DATABASE}`));
  for (const table of ['single_row', 'one_tx', 'steady']) await createTable(table);
}

export async function tearDown(): Promise<void> {
  await dropDatabase().catch((error: unknown) => log(`could not drop ${DATABASE}: ${String(error)}`));
  await dropKafkaAndRegistry().catch((error: unknown) =>
    log(`could not drop bench topics: ${String(error)}`),
  );
}

/** Publication, slot, and the topic created up front with LogAppendTime (broker clock). */
export async function prepare(table: string): Promise<SourceConfig> {
  const config = parseSourceConfig(
    {
      name: PREFIX,
      tables: [`public.${table}`],
      database: { url: benchUrl },
      slot: `bench_${table}`,
      publication: `bench_${table}`,
      snapshot: { mode: 'never' },
      heartbeat: { interval_ms: 0 },
    },
    stack,
  );
  await withBenchClient((client) => ensurePublicationAndSlot(client, config));
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        {
          topic: `${PREFIX}.public.${table}`,
          numPartitions: 1,
          configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
        },
      ],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  return config;
}

/**
 * Drops a run's slot once its source has stopped: an inactive slot keeps every later WAL segment,
 * and the tracing phase makes one per run.
 */
export async function dropSlot(slot: string): Promise<void> {
  await withAdminClient((client) =>
    client.query(
      'select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1',
      [slot],
    ),
  );
}
