import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokerList } from '@cdc/core';
import { isolate, readTopic } from '@cdc/testkit';
import { schemaRegistryOptions } from '@cdc/core';
import { topicName } from '../src/avro/table-schemas.ts';
import type { Envelope } from '../src/events/change-event.ts';

// The runnable source (`cdc source run`, a child process) is killed with SIGKILL at random
// moments while a writer commits steadily, and restarted each time. Kafka must end up holding
// every committed change, per key in commit order; re-sent duplicates (same version) are allowed.

const main = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
const iso = isolate('crash-safety');
const WRITE_MS = 20_000;
let dir: string;
let url: string;
let sql: pg.Client;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cdc-crash-safety-'));
  url = await iso.postgresUrl();
  sql = new pg.Client({ connectionString: url });
  await sql.connect();
  await sql.query('create table items (id int primary key, v int not null)');
});

afterAll(async () => {
  await sql.end();
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (low: number, high: number) => low + Math.floor(Math.random() * (high - low));

interface Source {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
  port: Promise<number>;
}

function startSource(config: string): Source {
  const child = spawn(process.execPath, [main, 'source', 'run', '--config', config, '--health-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const match = /health: http:\/\/127\.0\.0\.1:(\d+)/.exec(output.join(''));
      if (match) resolve(Number(match[1]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    void exited.then(() => reject(new Error(`source exited before serving health:\n${output.join('')}`)));
  });
  port.catch(() => undefined);
  return { child, output, exited, port };
}

/** True once /ready answers 200; false if the process exits first. */
async function ready(source: Source): Promise<boolean> {
  let gone = false;
  void source.exited.then(() => (gone = true));
  const port = await source.port.catch(() => undefined);
  while (port !== undefined && !gone) {
    const response = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined);
    if (response?.status === 200) return true;
    await sleep(100);
  }
  return false;
}

/** Starts the source until one instance is streaming (a start may fail while the old slot holder dies). */
async function startReady(config: string, log: string[]): Promise<Source> {
  for (let attempt = 1; ; attempt++) {
    const source = startSource(config);
    if (await ready(source)) return source;
    log.push(source.output.join(''));
    if (attempt >= 5) throw new Error(`the source did not become ready:\n${log.join('\n---\n')}`);
  }
}

/** A steady stream of committed transactions; every committed value, per key, in commit order. */
async function write(until: number, committed: Map<number, number[]>): Promise<number> {
  const writer = new pg.Client({ connectionString: url });
  await writer.connect();
  const keys: number[] = [];
  let nextId = 1;
  let nextValue = 1;
  let transactions = 0;
  const record = (changes: [number, number][]) => {
    for (const [id, v] of changes) {
      const list = committed.get(id) ?? [];
      list.push(v);
      committed.set(id, list);
    }
  };
  try {
    while (Date.now() < until) {
      const kind = keys.length < 5 ? 0 : between(0, 10);
      const changes: [number, number][] = [];
      if (kind < 4) {
        // a single-row insert
        const id = nextId++;
        changes.push([id, nextValue++]);
        await writer.query('insert into items values ($1, $2)', changes[0]);
      } else if (kind < 6) {
        // one statement inserting several rows: they share one LSN and one commit
        for (let i = between(2, 6); i > 0; i--) changes.push([nextId++, nextValue++]);
        await writer.query(
          `insert into items values ${changes.map((_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(', ')}`,
          changes.flat(),
        );
      } else {
        // several updates of existing keys (possibly the same one twice) in one transaction
        await writer.query('begin');
        for (let i = between(1, 4); i > 0; i--) {
          const change: [number, number] = [keys[between(0, keys.length)]!, nextValue++];
          changes.push(change);
          await writer.query('update items set v = $2 where id = $1', change);
        }
        await writer.query('commit');
      }
      record(changes);
      for (const [id] of changes) if (!keys.includes(id)) keys.push(id);
      transactions += 1;
      await sleep(between(2, 15));
    }
    return transactions;
  } finally {
    await writer.end();
  }
}

describe('cdc source run under kill -9', () => {
  it('loses no committed change and keeps per-key order across crashes', async () => {
    const config = join(dir, 'pipeline.yaml');
    await writeFile(
      config,
      JSON.stringify({
        source: {
          name: iso.id,
          tables: ['public.items'],
          database: { url },
          kafka: { brokers: iso.env.KAFKA_BROKERS },
          registry: { url: iso.env.SCHEMA_REGISTRY_URL },
          heartbeat: { interval_ms: 500 },
        },
      }),
    );
    const log: string[] = [];
    let source = await startReady(config, log);

    const committed = new Map<number, number[]>();
    const writing = write(Date.now() + WRITE_MS, committed);
    let writerDone = false;
    void writing.finally(() => (writerDone = true));

    let crashes = 0;
    while (crashes < 5) {
      await sleep(between(800, 3000));
      if (writerDone) break;
      source.child.kill('SIGKILL');
      await source.exited;
      crashes += 1;
      source = await startReady(config, log);
    }
    const transactions = await writing;

    // Caught up: the slot has confirmed a position past the writer's last commit (the heartbeat
    // transactions carry it past that point even though the table is quiet now).
    const { rows } = await sql.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');
    const target = rows[0]!.lsn;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const caught = await sql.query<{ ok: boolean }>(
        'select confirmed_flush_lsn >= $2::pg_lsn as ok from pg_replication_slots where slot_name = $1',
        [`${iso.id}_slot`, target],
      );
      if (caught.rows[0]?.ok) break;
      if (Date.now() > deadline) throw new Error(`the source did not catch up:\n${source.output.join('')}`);
      await sleep(200);
    }

    source.child.kill('SIGTERM');
    expect(await source.exited, source.output.join('')).toBe(0);
    expect(source.output.join('')).toMatch(/stopping \.\.\.[\s\S]*stopped/);

    // The whole topic, per key.
    const topic = topicName(iso.id, 'public', 'items');
    const admin = new Kafka({ brokers: kafkaBrokerList(iso.env), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const size = (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
    await admin.disconnect();
    const messages = await readTopic(iso.env, topic, size, `${iso.id}_reader`);
    const registry = new SchemaRegistry({ host: iso.env.SCHEMA_REGISTRY_URL }, schemaRegistryOptions);

    const seen = new Map<number, { versions: Set<string>; last: [bigint, bigint]; values: number[] }>();
    let duplicates = 0;
    for (const message of messages) {
      const envelope = (await registry.decode(message.value!)) as Envelope;
      const after = envelope.after as { id: number; v: number };
      const commitLsn = BigInt(message.headers!['cdc.commit_lsn']!.toString());
      const seq = BigInt(message.headers!['cdc.seq']!.toString());
      const version = `${commitLsn}/${seq}`;
      const key = seen.get(after.id) ?? { versions: new Set<string>(), last: [-1n, -1n], values: [] };
      seen.set(after.id, key);
      if (key.versions.has(version)) {
        duplicates += 1;
        continue;
      }
      // A version never seen before must be newer than every earlier one of the key.
      const [lastLsn, lastSeq] = key.last;
      expect(
        commitLsn > lastLsn || (commitLsn === lastLsn && seq > lastSeq),
        `key ${after.id} went back`,
      ).toBe(true);
      key.versions.add(version);
      key.last = [commitLsn, seq];
      key.values.push(after.v);
    }

    const changes = [...committed.values()].reduce((sum, list) => sum + list.length, 0);
    console.log(
      `crash safety: ${transactions} transactions, ${changes} changes on ${committed.size} keys, ` +
        `${crashes} kill -9, ${messages.length} messages, ${duplicates} duplicates`,
    );
    expect(crashes).toBeGreaterThanOrEqual(3);
    expect(new Map([...seen].map(([id, key]) => [id, key.values]))).toEqual(committed);
  }, 90_000);
});
