import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaRegistryOptions } from '@cdc/core';
import { Stack, crashPostgres, killServer } from '@cdc/stack';
import {
  SteadyWriter,
  historyOf,
  isolate,
  providerName,
  readTopic,
  startCli,
  topicSize,
  waitFor,
  type CliProcess,
} from '@cdc/testkit';
import { topicName } from '../src/avro/table-schemas.ts';
import type { SourceStatus } from '../src/service.ts';

// `cdc source run` under a steady write load while its servers crash, one after the other:
// PostgreSQL (pg_ctl stop -m immediate, held away until the source says so, then started: a
// `restart -m immediate` whose outage is long enough to watch) and the Kafka broker (kill -9,
// then started). The source must stay up (the same process throughout), answer /ready 503
// while a server is away and 200 once it streams again, and Kafka must end up holding every
// committed change, per key in commit order; duplicates only with the same version.
//
// It crashes the servers of the stack it runs against, so it runs only on the local stack
// (whose servers it can crash), and no other test file may run at the same time (vitest runs
// int files one at a time).

const iso = isolate('reconnect');
const stack = new Stack();
let url: string;
let sql: pg.Client;

beforeAll(async () => {
  url = await iso.postgresUrl();
  sql = new pg.Client({ connectionString: url });
  sql.on('error', () => undefined); // its connection dies with the server; it reconnects below
  await sql.connect();
  await sql.query('create table items (id int primary key, v int not null)');
});

afterAll(async () => {
  // Whatever happened, leave every server healthy for the test files after this one; the
  // registry keeps its schemas in Kafka, so it must answer again after the broker's restart.
  await stack.up({ renderer: 'silent' });
  const registry = await fetch(`${iso.env.SCHEMA_REGISTRY_URL}/subjects`);
  expect(registry.status).toBe(200);
  await sql.end().catch(() => undefined);
}, 300_000);

interface Probe {
  readonly code: number;
  readonly reason: string | undefined;
}

async function ready(port: number): Promise<Probe | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/ready`);
    const body = (await response.json()) as { reason?: string };
    return { code: response.status, reason: body.reason };
  } catch {
    return undefined; // not an answer of the source's: the check fails further on
  }
}

async function status(port: number): Promise<SourceStatus> {
  return (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as SourceStatus;
}

interface Outage {
  /** From the crash until the server is healthy again. */
  readonly awayMs: number;
  /** From the server being healthy again until /ready answers 200. */
  readonly resumeMs: number;
  /** /status while the source waited. */
  readonly waiting: SourceStatus;
}

/**
 * Crashes a server, waits (with the server away) until the source answers /ready 503 naming it,
 * brings the stack up again, and waits until /ready answers 200.
 */
async function outage(
  source: CliProcess,
  port: number,
  server: RegExp,
  crash: () => Promise<void>,
): Promise<Outage> {
  const crashedAt = Date.now();
  await crash();
  const notReady = await waitFor(
    `/ready to answer 503 naming ${server}`,
    async () => {
      if (source.child.exitCode !== null) throw new Error(`the source exited:\n${source.output()}`);
      const probe = await ready(port);
      return probe?.code === 503 && server.test(probe.reason ?? '') ? probe : undefined;
    },
    60_000,
  );
  expect(notReady.reason).toMatch(/retrying in|reconnecting/u);
  const waiting = await status(port);
  await stack.up({ renderer: 'silent' });
  const backAt = Date.now();
  await waitFor(
    '/ready to answer 200 again',
    async () => {
      if (source.child.exitCode !== null) throw new Error(`the source exited:\n${source.output()}`);
      return (await ready(port))?.code === 200;
    },
    120_000,
  );
  expect(source.child.exitCode).toBeNull(); // the same process throughout
  return { awayMs: backAt - crashedAt, resumeMs: Date.now() - backAt, waiting };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe.runIf(providerName(process.env.CDC_TEST_PROVIDER) === 'local')(
  'cdc source run through server crashes',
  () => {
    it('stays up through a PostgreSQL crash and a Kafka kill -9, is not ready while they are away, and loses nothing', async () => {
      const file = iso.pipelineFile({
        source: {
          name: iso.id,
          tables: ['public.items'],
          database: { url },
          kafka: { brokers: iso.env.KAFKA_BROKERS },
          registry: { url: iso.env.SCHEMA_REGISTRY_URL },
          heartbeat: { interval_ms: 500 },
        },
      });
      const source = startCli(['source', 'run', '--config', file, '--health-port', '0']);
      const writer = new SteadyWriter(url);
      try {
        await source.printed('streaming started');
        const port = Number(/health: http:\/\/127\.0\.0\.1:(\d+)/u.exec(source.output())![1]);
        writer.start();
        await sleep(3_000);

        const postgres = await outage(source, port, /^PostgreSQL \(source\.database\.url/u, () =>
          crashPostgres(stack),
        );
        expect(postgres.waiting.phase).toBe('reconnecting');
        expect(postgres.waiting.reconnect?.reason).toMatch(/^PostgreSQL/u);
        expect(postgres.waiting.reconnect?.code).toBe('DATABASE_UNAVAILABLE');
        expect(postgres.waiting.reconnect?.attempt).toBeGreaterThanOrEqual(1);
        // Past the source's 10 s of probation after a reconnect, so the next outage is a new one.
        await sleep(12_000);

        const kafka = await outage(source, port, /^Kafka \(source\.kafka\.brokers/u, async () => {
          await killServer(stack, 'kafka');
        });
        expect(kafka.waiting.phase).toBe('reconnecting');
        expect(kafka.waiting.reconnect?.reason).toMatch(/^Kafka/u);
        expect(kafka.waiting.reconnect?.code).toBe('KAFKA_UNAVAILABLE');
        await sleep(3_000);
        const transactions = await writer.stop();

        // Caught up: the slot confirmed a position past the writer's last commit.
        const target = (await query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn'))[0]!.lsn;
        await waitFor(
          'the source to catch up',
          async () =>
            (
              await query<{ ok: boolean }>(
                'select confirmed_flush_lsn >= $2::pg_lsn as ok from pg_replication_slots where slot_name = $1',
                [`${iso.id}_slot`, target],
              )
            )[0]?.ok,
          60_000,
        );
        const final = await status(port);
        expect(final).toMatchObject({ phase: 'streaming', reconnect: null });
        expect(final.reconnects).toBeGreaterThanOrEqual(2);

        expect(await source.stop()).toBe(0);
        const output = source.output();
        expect(output).toMatch(/streaming resumed after [\d.]+ s[\s\S]*streaming resumed after [\d.]+ s/u);
        expect(output).toMatch(/stopping \.\.\.[\s\S]*stopped/u);
        expect(output).not.toMatch(/^cdc: /mu);

        const topic = topicName(iso.id, 'public', 'items');
        const messages = await readTopic(iso.env, topic, await topicSize(iso.env, topic), `${iso.id}_reader`);
        const registry = new SchemaRegistry({ host: iso.env.SCHEMA_REGISTRY_URL }, schemaRegistryOptions);
        const history = await historyOf(messages, (value) => registry.decode(value));
        const changes = [...writer.committed.values()].reduce((sum, list) => sum + list.length, 0);
        console.log(
          `reconnect: ${transactions} transactions (${writer.interrupted} interrupted), ${changes} changes on ` +
            `${writer.committed.size} keys, ${messages.length} messages, ${history.duplicates} duplicates; ` +
            `PostgreSQL away ${seconds(postgres.awayMs)}, streaming ${seconds(postgres.resumeMs)} after it was back; ` +
            `Kafka away ${seconds(kafka.awayMs)}, streaming ${seconds(kafka.resumeMs)} after it was back\n` +
            output
              .split('\n')
              .filter((line) => /interrupted|retrying|resumed/u.test(line))
              .join('\n'),
        );
        expect(history.wentBack).toEqual([]);
        expect(history.values).toEqual(writer.committed);
      } finally {
        await writer.stop();
        await source.stop();
      }
    }, 300_000);
  },
);

describe('cdc source run while a server is away', () => {
  it('waits in process, says why on /ready, and stops at once on SIGTERM during the back-off (exit 0)', async () => {
    // A port nothing listens on: connection refused, at every attempt.
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const file = iso.pipelineFile({
      source: {
        name: `${iso.id}_away`,
        tables: ['public.items'],
        database: { url: `postgres://cdc:secret@127.0.0.1:${closed}/cdc` },
        kafka: { brokers: iso.env.KAFKA_BROKERS },
        registry: { url: iso.env.SCHEMA_REGISTRY_URL },
      },
    });
    const source = startCli(['source', 'run', '--config', file, '--health-port', '0']);
    try {
      await source.printed('retrying in');
      await source.printed('(attempt 3)'); // the back-off goes on; the process stays
      const port = Number(/health: http:\/\/127\.0\.0\.1:(\d+)/u.exec(source.output())![1]);
      const probe = await ready(port);
      expect(probe?.code).toBe(503);
      expect(probe?.reason).toContain(
        `PostgreSQL (source.database.url, or CDC_PG_URL) at postgres://cdc:***@127.0.0.1:${closed}/cdc ` +
          'is unreachable: connection refused',
      );
      const waiting = await status(port);
      expect(waiting.reconnect?.attempt).toBeGreaterThanOrEqual(3);
      expect(waiting.reconnect?.code).toBe('DATABASE_UNAVAILABLE');
      expect(waiting.failuresByCode.DATABASE_UNAVAILABLE).toBeGreaterThanOrEqual(2);
      expect(source.output()).toMatch(
        /waiting \[DATABASE_UNAVAILABLE\]: PostgreSQL \(source\.database\.url, or CDC_PG_URL\) .* retrying in/u,
      );
      expect(await source.stop()).toBe(0);
      expect(source.output()).toContain('stopped: stopped while reconnecting');
      expect(source.output()).not.toContain('secret');
    } finally {
      await source.stop();
    }
  });
});

/** A query on the test's own connection, reconnecting it once the server is back. */
async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  try {
    return (await sql.query<T>(text, values)).rows;
  } catch {
    await sql.end().catch(() => undefined);
    sql = new pg.Client({ connectionString: url });
    sql.on('error', () => undefined);
    await sql.connect();
    return (await sql.query<T>(text, values)).rows;
  }
}
