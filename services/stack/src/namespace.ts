import pg from 'pg';
import { kafkaBrokerList, kafkaClient, sinkGroupId, type StackEnv } from '@cdc/core';

/**
 * Everything of one namespace on the stack's servers: a PostgreSQL database named `id` (and its
 * replication slots), Kafka topics and registry subjects starting with `<id>.`, consumer groups
 * starting with `<id>` or `cdc-sink.<id>`. Tests isolate themselves in one; the demo starts each
 * run in a clean one. What sinks wrote under the namespace (Redis keys `<id>:`, the MongoDB
 * database `id`) their kinds remove: cleanSinkNamespaces in services/sinks/src/namespaces.ts.
 */

/** The stack's PostgreSQL URL with another database. */
export function postgresDatabaseUrl(env: StackEnv, database: string): string {
  const parsed = new URL(env.CDC_PG_URL);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function createPostgresDatabase(env: StackEnv, id: string): Promise<string> {
  const client = new pg.Client({ connectionString: env.CDC_PG_URL });
  await client.connect();
  try {
    await client.query(`create database ${id}`);
  } finally {
    await client.end();
  }
  return postgresDatabaseUrl(env, id);
}

export async function dropPostgresDatabase(env: StackEnv, id: string): Promise<void> {
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

export async function dropKafkaTopics(env: StackEnv, id: string): Promise<void> {
  const admin = kafkaClient(kafkaBrokerList(env)).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${id}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    // Committed offsets outlive their topics: a group reading a re-created topic would skip data.
    const groups = (await admin.listGroups()).groups
      .map((group) => group.groupId)
      .filter((group) => group.startsWith(id) || group.startsWith(sinkGroupId(id)));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

export async function dropSubjects(env: StackEnv, id: string): Promise<void> {
  const response = await fetch(`${env.SCHEMA_REGISTRY_URL}/subjects`);
  const subjects = ((await response.json()) as string[]).filter((subject) => subject.startsWith(`${id}.`));
  for (const subject of subjects) {
    const path = `${env.SCHEMA_REGISTRY_URL}/subjects/${encodeURIComponent(subject)}`;
    await fetch(path, { method: 'DELETE' });
    await fetch(`${path}?permanent=true`, { method: 'DELETE' });
  }
}

/** Removes a whole namespace (see above); what does not exist is skipped. */
export async function dropNamespace(env: StackEnv, id: string): Promise<void> {
  await Promise.all([dropKafkaTopics(env, id), dropSubjects(env, id), dropPostgresDatabase(env, id)]);
}
