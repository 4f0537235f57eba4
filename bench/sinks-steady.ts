// Phase (c) of `npm run bench:sinks`: PostgreSQL-to-Redis latency under a steady load, the real
// source and the Redis sink each in a process of its own.
import pg from 'pg';
import {
  SOURCE_NODE_FLAGS,
  ensurePublicationAndSlot,
  parseSourceConfig,
  type SourceConfig,
} from '@cdc/source-postgres';
import { postgresDatabaseUrl } from '@cdc/stack/namespace';
import { Child, progress, sinkWorker } from './bench-child.ts';
import { intFromEnv, pacedWrites, percentile, withAdmin } from './common.ts';
import { NAMESPACE, brokers, kafka, run, stack } from './sink-bench-context.ts';
import type { WorkerMessage as SourceMessage } from './source-worker.ts';

const benchUrl = postgresDatabaseUrl(stack, NAMESPACE);
const STEADY_CHUNK = 25; // at most this many transactions per round trip of a steady writer
export const STEADY_WRITERS = intFromEnv('BENCH_STEADY_WRITERS', 16);
export const STEADY_WARMUP_SECONDS = intFromEnv('BENCH_STEADY_WARMUP_SECONDS', 3);
export const STEADY_SECONDS = intFromEnv('BENCH_STEADY_SECONDS', 20);
export const RATE = intFromEnv('BENCH_RATE', 5000);
// ---------------------------------------------------------------- (c) PostgreSQL -> sink latency

export interface SteadyResult {
  readonly events: number;
  readonly achievedRate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly warmupMaxMs: number;
}

async function prepareSource(): Promise<SourceConfig> {
  const admin = new pg.Client({ connectionString: stack.CDC_PG_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${NAMESPACE}`);
  } finally {
    await admin.end();
  }
  const config = parseSourceConfig(
    {
      name: NAMESPACE,
      tables: ['public.steady'],
      database: { url: benchUrl },
      slot: `${NAMESPACE}_steady`,
      publication: `${NAMESPACE}_steady`,
      snapshot: { mode: 'never' },
      heartbeat: { interval_ms: 0 },
    },
    stack,
  );
  const client = new pg.Client({ connectionString: benchUrl });
  await client.connect();
  try {
    await client.query('create table steady (id bigint primary key, name text not null, amount int)');
    await ensurePublicationAndSlot(client, config);
  } finally {
    await client.end();
  }
  // Created here so that the sink can subscribe before the first change reaches the source.
  await withAdmin(kafka, (admin) =>
    admin.createTopics({
      topics: [{ topic: `${NAMESPACE}.public.steady`, numPartitions: 1 }],
      waitForLeaders: true,
    }),
  );
  return config;
}

async function insertSingleRows(client: pg.Client, from: number, to: number): Promise<void> {
  let sql = '';
  for (let id = from; id < to; id++)
    sql += `begin;insert into steady values (${id},'row ${id}',${id % 1000});commit;`;
  if (sql !== '') await client.query(sql);
}

export async function steady(): Promise<SteadyResult> {
  const config = await prepareSource();
  const topic = `${NAMESPACE}.public.steady`;
  const warmup = RATE * STEADY_WARMUP_SECONDS;
  const total = warmup + RATE * STEADY_SECONDS;
  const sink = sinkWorker('e2e-redis', {
    kind: 'redis',
    sink: {
      kind: 'redis',
      name: `${NAMESPACE}-e2e`,
      topics: [topic],
      url: stack.REDIS_URL,
      key: `${NAMESPACE}:steady:{id}`,
    },
    topics: [topic],
    brokers,
    registryUrl: stack.SCHEMA_REGISTRY_URL,
    groupId: `${NAMESPACE}-${run}-e2e`,
    expected: total,
    latencies: true,
  });
  let source: Child<SourceMessage> | undefined;
  const clients: pg.Client[] = [];
  let durationS: number;
  try {
    await sink.until((message) => message.kind === 'started');
    source = new Child<SourceMessage>('source', 'bench/source-worker.ts', config, SOURCE_NODE_FLAGS);
    await source.until((message) => message.kind === 'started');
    // Synchronous commit: an asynchronous one reaches the walsender only when the WAL writer
    // flushes it (every wal_writer_delay, 200 ms), which would count as the pipeline's latency.
    // Many connections share each flush (group commit), as the source benchmark's latency run.
    for (let i = 0; i < STEADY_WRITERS; i++) {
      const client = new pg.Client({ connectionString: benchUrl, options: '-c synchronous_commit=on' });
      await client.connect();
      clients.push(client);
    }
    const ticker = setInterval(() => progress(`(c) e2e ${RATE}/s`, sink.latest('report'), total), 500);
    try {
      durationS = await pacedWrites(clients, { rate: RATE, total, chunk: STEADY_CHUNK }, insertSingleRows);
      await sink.until(
        (message) => message.kind === 'latencies',
        () => sink.latest('report')?.settled ?? 0,
      );
    } finally {
      clearInterval(ticker);
    }
    process.stderr.write('\n');
  } finally {
    await source?.stop();
    await sink.stop();
    await Promise.all(clients.map((client) => client.end()));
  }
  const recorded = sink.latest('latencies');
  if (!recorded) throw new Error('the sink reported no latencies');
  const counted: number[] = [];
  let warmupMaxMs = 0;
  recorded.ids.forEach((id, i) => {
    const ms = recorded.ms[i] as number;
    if (id > warmup) counted.push(ms);
    else warmupMaxMs = Math.max(warmupMaxMs, ms);
  });
  counted.sort((a, b) => a - b);
  return {
    events: counted.length,
    achievedRate: total / durationS,
    p50Ms: percentile(counted, 50),
    p99Ms: percentile(counted, 99),
    maxMs: counted.at(-1) ?? Number.NaN,
    warmupMaxMs,
  };
}
