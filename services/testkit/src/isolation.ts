import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, inject } from 'vitest';
import { silenceKnownKafkajsWarnings, type StackEnv } from '@cdc/core';
import {
  createPostgresDatabase,
  dropKafkaTopics,
  dropPostgresDatabase,
  dropSubjects,
} from '@cdc/stack/namespace';
import { cleanSinkNamespaces, stackTargets } from '@cdc/sinks';

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
  /**
   * Writes a pipeline file (YAML) with the stack's addresses (Kafka, registry, Redis, MongoDB)
   * and these sections, in a folder of this file's own, and returns its path.
   */
  pipelineFile(sections: Record<string, unknown>): string;
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
  let folder: string | undefined;
  let files = 0;

  afterAll(async () => {
    if (folder) rmSync(folder, { recursive: true, force: true });
    await Promise.all([
      dropKafkaTopics(env, id),
      dropSubjects(env, id),
      cleanSinkNamespaces(stackTargets(env), id),
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
    pipelineFile: (sections) => {
      folder ??= mkdtempSync(join(tmpdir(), `cdc-${slug}-`));
      const file = join(folder, `pipeline-${++files}.yaml`);
      writeFileSync(
        file,
        stringify({
          kafka: { brokers: env.KAFKA_BROKERS },
          registry: { url: env.SCHEMA_REGISTRY_URL },
          redis: { url: env.REDIS_URL },
          mongo: { url: env.MONGO_URL },
          ...sections,
        }),
      );
      return file;
    },
  };
}
