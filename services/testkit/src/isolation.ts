import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { kafkaBrokerList, silenceKnownKafkajsWarnings, type StackEnv } from '@cdc/core';

/**
 * Names that belong to one test file alone, on servers that all test files share, and the
 * clean-up of everything made under them once the file is done.
 */
export interface Isolation {
  /** Unique for this file and this run: lower case letters, digits and underscores. */
  readonly id: string;
  readonly env: StackEnv;
  /** A Kafka topic name of this file (its registry subjects start with it too). */
  topic(name: string): string;
  redisKey(name: string): string;
  /** A MongoDB database of this file. */
  mongoDatabase(): string;
  /** Creates (once) a PostgreSQL database of this file and returns its URL. */
  postgresUrl(): Promise<string>;
}

/** Call once at the top of a test file: `const iso = isolate('kafka-registry');`. */
export function isolate(label: string): Isolation {
  silenceKnownKafkajsWarnings();
  const env = inject('stackEnv');
  const slug = label
    .toLowerCase()
    .replaceAll(/[^a-z0-9]+/g, '_')
    .slice(0, 30);
  const id = `t_${slug}_${randomBytes(4).toString('hex')}`;
  let database: Promise<string> | undefined;

  afterAll(async () => {
    await Promise.all([
      dropKafkaTopics(env, id),
      dropSubjects(env, id),
      dropRedisKeys(env, id),
      dropMongoDatabase(env, id),
      database ? dropPostgresDatabase(env, id) : Promise.resolve(),
    ]);
  }, 60_000);

  return {
    id,
    env,
    topic: (name) => `${id}.${name}`,
    redisKey: (name) => `${id}:${name}`,
    mongoDatabase: () => id,
    postgresUrl: () => (database ??= createPostgresDatabase(env, id)),
  };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function createPostgresDatabase(env: StackEnv, id: string): Promise<string> {
  const client = new pg.Client({ connectionString: env.CDC_PG_URL });
  await client.connect();
  try {
    await client.query(`create database ${id}`);
  } finally {
    await client.end();
  }
  return withDatabase(env.CDC_PG_URL, id);
}

async function dropPostgresDatabase(env: StackEnv, id: string): Promise<void> {
  const client = new pg.Client({ connectionString: env.CDC_PG_URL });
  await client.connect();
  try {
    // A database that still has replication slots cannot be dropped.
    await client.query(
      `select pg_terminate_backend(active_pid) from pg_replication_slots where database = $1 and active_pid is not null`,
      [id],
    );
    await client.query(
      `select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = $1`,
      [id],
    );
    await client.query(`drop database if exists ${id} with (force)`);
  } finally {
    await client.end();
  }
}

async function dropKafkaTopics(env: StackEnv, id: string): Promise<void> {
  const admin = new Kafka({ brokers: kafkaBrokerList(env), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${id}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

async function dropSubjects(env: StackEnv, id: string): Promise<void> {
  const response = await fetch(`${env.SCHEMA_REGISTRY_URL}/subjects`);
  const subjects = ((await response.json()) as string[]).filter((subject) => subject.startsWith(`${id}.`));
  for (const subject of subjects) {
    const path = `${env.SCHEMA_REGISTRY_URL}/subjects/${encodeURIComponent(subject)}`;
    await fetch(path, { method: 'DELETE' });
    await fetch(`${path}?permanent=true`, { method: 'DELETE' });
  }
}

async function dropRedisKeys(env: StackEnv, id: string): Promise<void> {
  const redis = new Redis(env.REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${id}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function dropMongoDatabase(env: StackEnv, id: string): Promise<void> {
  const client = new MongoClient(env.MONGO_URL);
  try {
    await client.db(id).dropDatabase();
  } finally {
    await client.close();
  }
}
