// `npm run bench:source`: throughput, latency and memory of the PostgreSQL source
// (PostgreSQL -> slot -> ChangeStream -> Kafka, Avro through the registry) on the running stack.
//
//   (a) BENCH_ROWS single-row transactions, written as fast as a few connections can commit:
//       events/s = events acknowledged by the stream / (first commit -> last acknowledgement);
//   (b) BENCH_ROWS rows in one transaction: events/s (commit -> acknowledgement) and the peak
//       RSS of the source, which runs alone in a child process (bench/source-worker.ts);
//   (c) a steady BENCH_RATE (5000) single-row commits per second for BENCH_STEADY_SECONDS (20):
//       latency = the broker's LogAppendTime of each message - the row's commit time (the
//       envelope's source.ts_ms), read back from the topic; p50 and p99;
//   (t) the cost of tracing: the workload of (b) with BENCH_TRACING_ROWS (200000) rows, the source
//       untraced and traced to Zipkin in turns (bench/tracing-phase.ts).
//
// Uses its own database `bench_source` (created fresh, dropped at the end, bench/source-stack.ts)
// and topic prefix `bench`. Writes bench/results/source.json and a section of BENCHMARKS.md
// (bench/source-report.ts).
import { writeFileSync } from 'node:fs';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import pg from 'pg';
import { schemaRegistryOptions } from '@cdc/core';
import { intFromEnv, pacedWrites, percentile } from './common.ts';
import { progressBar, Worker } from './source-process.ts';
import {
  reportSource,
  type OneTxResult,
  type SingleRowResult,
  type SourceSettings,
  type SteadyResult,
} from './source-report.ts';
import {
  benchUrl,
  createTable,
  dropSlot,
  kafka,
  prepare,
  PREFIX,
  setUp,
  stack,
  tearDown,
} from './source-stack.ts';
import { runTracingPhase, TRACING_EXPERIMENT, zipkinUrl, type TracingResult } from './tracing-phase.ts';

const ROWS = intFromEnv('BENCH_ROWS', 1_000_000);
const SINGLE_ROWS = intFromEnv('BENCH_SINGLE_ROWS', ROWS);
const STEADY_SECONDS = intFromEnv('BENCH_STEADY_SECONDS', 20);
const RATE = intFromEnv('BENCH_RATE', 5000);
const WRITERS = intFromEnv('BENCH_WRITERS', 4);
const TRACING_ROWS = intFromEnv('BENCH_TRACING_ROWS', 200_000);
// BENCH_PHASES=a,c runs only those phases (for experiments): results are printed, not recorded.
const PHASES = new Set((process.env.BENCH_PHASES ?? 'a,b,c,t').split(',').map((phase) => phase.trim()));
const ALL_PHASES = ['a', 'b', 'c', 't'].every((phase) => PHASES.has(phase));
const STEADY_WRITERS = intFromEnv('BENCH_STEADY_WRITERS', 16);
const STEADY_WARMUP_SECONDS = intFromEnv('BENCH_STEADY_WARMUP_SECONDS', 3);
const STEADY_CHUNK = 25; // at most this many transactions per round trip of a steady writer
const STEADY_SYNC = process.env.BENCH_STEADY_SYNC ?? 'on'; // synchronous_commit of (c)
const STATEMENTS_PER_QUERY = 200; // single-row transactions per round trip of a writer

const DUMP: string[] | undefined = process.env.BENCH_LATENCY_DUMP ? [] : undefined;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Single-row transactions ids from..to-1, `perQuery` of them per round trip. */
async function insertSingleRows(client: pg.Client, table: string, from: number, to: number): Promise<void> {
  let sql = '';
  for (let id = from; id < to; id++) {
    sql += `begin;insert into ${table} values (${id},'row ${id}',${id % 1000});commit;`;
  }
  if (sql !== '') await client.query(sql);
}

async function writerConnections(count: number, synchronousCommit = 'off'): Promise<pg.Client[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      // Asynchronous commit: each row still is its own transaction and its own commit record,
      // but the writer does not wait for each WAL flush (we measure the source, not fsync).
      const client = new pg.Client({
        connectionString: benchUrl,
        options: `-c synchronous_commit=${synchronousCommit}`,
      });
      await client.connect();
      return client;
    }),
  );
}

// ---------------------------------------------------------------- (a) single-row transactions

async function singleRow(): Promise<SingleRowResult> {
  const config = await prepare('single_row');
  const worker = await Worker.start(config);
  const writers = await writerConnections(WRITERS);
  const bar = progressBar('(a) single-row txs', SINGLE_ROWS);
  try {
    const startMs = Date.now();
    let next = 1;
    let writerDoneMs = 0;
    const write = Promise.all(
      writers.map(async (client) => {
        while (next <= SINGLE_ROWS) {
          const from = next;
          next = Math.min(SINGLE_ROWS + 1, next + STATEMENTS_PER_QUERY);
          await insertSingleRows(client, 'single_row', from, next);
        }
      }),
    ).then(() => (writerDoneMs = Date.now()));
    const last = await worker.waitFor(
      (report) => report.transactionsAcknowledged >= SINGLE_ROWS,
      (report) =>
        bar.update(report.transactionsAcknowledged, {
          rate: Math.round(report.transactionsAcknowledged / Math.max(0.001, (report.atMs - startMs) / 1000)),
        }),
    );
    await write;
    bar.stop();
    const final = await worker.stop();
    return {
      eventsPerS: last.eventsSent / ((last.atMs - startMs) / 1000),
      writerCommitsPerS: SINGLE_ROWS / ((writerDoneMs - startMs) / 1000),
      peakRssMb: final?.peakRssMb ?? last.peakRssMb,
    };
  } finally {
    bar.stop();
    await worker.stop();
    await Promise.all(writers.map((client) => client.end()));
  }
}

// ---------------------------------------------------------------- (b) one transaction

/** `rows` rows in one transaction on `table`, the source started with `env` (the parent's by default). */
async function oneTransaction(
  table: string,
  rows: number,
  label: string,
  env?: NodeJS.ProcessEnv,
): Promise<OneTxResult> {
  const config = await prepare(table);
  const worker = await Worker.start(config, env);
  const client = new pg.Client({ connectionString: benchUrl });
  await client.connect();
  const bar = progressBar(label, rows);
  try {
    const insertStartMs = Date.now();
    await client.query(
      `insert into ${table} select n, 'row ' || n, n % 1000 from generate_series(1, ${rows}) n`,
    );
    // The commit has returned: decoding of the transaction starts now (pgoutput, no streaming).
    const commitMs = Date.now();
    const atCommit = worker.latest;
    const last = await worker.waitFor(
      (report) => report.transactionsAcknowledged >= 1,
      (report) =>
        bar.update(report.eventsSent, {
          rate: Math.round(report.eventsSent / Math.max(0.001, (report.atMs - commitMs) / 1000)),
        }),
    );
    bar.update(last.eventsSent);
    bar.stop();
    const final = await worker.stop();
    return {
      eventsPerS: last.eventsSent / ((last.atMs - commitMs) / 1000),
      // From the last report before the commit: the source was idle since, waiting for the WAL.
      cpuUsPerEvent: ((last.cpuMs - (atCommit?.cpuMs ?? 0)) * 1000) / last.eventsSent,
      events: last.eventsSent,
      insertSeconds: (commitMs - insertStartMs) / 1000,
      peakRssMb: final?.peakRssMb ?? last.peakRssMb,
    };
  } finally {
    bar.stop();
    await worker.stop();
    await client.end();
    await dropSlot(config.slot);
  }
}

// ---------------------------------------------------------------- (t) the cost of tracing

/** The workload of (b), smaller, on a fresh table per run, untraced and traced in turns. */
function tracingCost(): Promise<TracingResult> {
  return runTracingPhase({
    label: `(t) one transaction of ${TRACING_ROWS} rows`,
    zipkinUrl: zipkinUrl(stack),
    log,
    measure: async (mode, round, env) => {
      const table = `tracing_${round}_${mode}`;
      await createTable(table);
      return oneTransaction(table, TRACING_ROWS, `(t) ${round} ${mode}`, env);
    },
  });
}

// ---------------------------------------------------------------- (c) steady load, latency

/** Per row id, commit-to-Kafka milliseconds. */
async function readLatencies(topic: string, count: number): Promise<Map<number, number>> {
  const registry = new SchemaRegistry({ host: stack.SCHEMA_REGISTRY_URL }, schemaRegistryOptions);
  const consumer = kafka.consumer({ groupId: `bench-source-${Date.now()}`, maxBytes: 64 * 2 ** 20 });
  const latencies = new Map<number, number>();
  const bar = progressBar('(c) reading back', count);
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${latencies.size} of ${count} messages`)),
        300_000,
      );
      consumer
        .run({
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              if (message.value === null) continue;
              const envelope = (await registry.decode(message.value)) as {
                source: { ts_ms: bigint };
                after: { id: bigint };
              };
              const ms = Number(message.timestamp) - Number(envelope.source.ts_ms);
              latencies.set(Number(envelope.after.id), ms);
              if (DUMP) DUMP.push(`${Number(envelope.source.ts_ms)} ${ms}`);
            }
            bar.update(latencies.size);
            if (latencies.size >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    bar.stop();
    await consumer.disconnect();
  }
  if (DUMP) writeFileSync(process.env.BENCH_LATENCY_DUMP!, DUMP.join('\n'));
  return latencies;
}

async function steady(): Promise<SteadyResult> {
  const config = await prepare('steady');
  const worker = await Worker.start(config);
  // Synchronous commit here, unlike (a): with asynchronous commit a commit reaches the walsender
  // only when the WAL writer flushes it (every wal_writer_delay, 200 ms by default), so up to
  // 200 ms of PostgreSQL's own flush delay would count as the source's latency. One connection
  // cannot make 5000 fsynced commits/s; several share each flush (PostgreSQL's group commit).
  const clients = await writerConnections(STEADY_WRITERS, STEADY_SYNC);
  // The first STEADY_WARMUP_SECONDS of load are not counted: they measure the source's start
  // (JIT compilation, the table's first schema registration), not its steady state. Their worst
  // latency is reported next to the figures.
  const warmup = RATE * STEADY_WARMUP_SECONDS;
  const total = warmup + RATE * STEADY_SECONDS;
  const bar = progressBar(`(c) steady ${RATE}/s`, total);
  let durationS: number;
  try {
    durationS = await pacedWrites(
      clients,
      { rate: RATE, total, chunk: STEADY_CHUNK },
      (client, from, to) => insertSingleRows(client, 'steady', from, to),
      (startMs) =>
        bar.update(worker.latest?.transactionsAcknowledged ?? 0, {
          rate: Math.round((worker.latest?.transactionsAcknowledged ?? 0) / ((Date.now() - startMs) / 1000)),
        }),
    );
    await worker.waitFor(
      (report) => report.transactionsAcknowledged >= total,
      (report) => bar.update(report.transactionsAcknowledged),
    );
    bar.stop();
  } finally {
    bar.stop();
    await worker.stop();
    await Promise.all(clients.map((client) => client.end()));
  }
  const byId = await readLatencies(`${PREFIX}.public.steady`, total);
  const latencies = [...byId].filter(([id]) => id > warmup).map(([, ms]) => ms);
  latencies.sort((a, b) => a - b);
  return {
    events: latencies.length,
    warmupMaxMs: Math.max(...[...byId].filter(([id]) => id <= warmup).map(([, ms]) => ms)),
    achievedRate: total / durationS,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? Number.NaN,
  };
}

// ---------------------------------------------------------------- run

async function main(): Promise<void> {
  const command =
    `BENCH_ROWS=${ROWS}` +
    (SINGLE_ROWS !== ROWS ? ` BENCH_SINGLE_ROWS=${SINGLE_ROWS}` : '') +
    ` BENCH_STEADY_SECONDS=${STEADY_SECONDS} npm run bench:source`;
  const date = new Date().toISOString();
  log(
    `bench:source: ${ROWS} rows, ${SINGLE_ROWS} single-row transactions, ${RATE}/s for ${STEADY_SECONDS} s, ` +
      `tracing cost on ${TRACING_ROWS} rows`,
  );
  await setUp();
  let a: SingleRowResult, b: OneTxResult, c: SteadyResult;
  let tracing: TracingResult | undefined;
  const skipped = { eventsPerS: Number.NaN, peakRssMb: Number.NaN };
  try {
    a = PHASES.has('a') ? await singleRow() : { ...skipped, writerCommitsPerS: Number.NaN };
    b = PHASES.has('b')
      ? await oneTransaction('one_tx', ROWS, '(b) one transaction')
      : { ...skipped, cpuUsPerEvent: Number.NaN, events: 0, insertSeconds: Number.NaN };
    tracing = PHASES.has('t') ? await tracingCost() : undefined;
    c = PHASES.has('c')
      ? await steady()
      : {
          events: 0,
          warmupMaxMs: Number.NaN,
          achievedRate: Number.NaN,
          p50Ms: Number.NaN,
          p99Ms: Number.NaN,
          maxMs: Number.NaN,
        };
  } finally {
    await tearDown();
  }
  const settings: SourceSettings = {
    rows: ROWS,
    singleRows: SINGLE_ROWS,
    rate: RATE,
    writers: WRITERS,
    steadyWriters: STEADY_WRITERS,
    steadySync: STEADY_SYNC,
    steadyWarmupSeconds: STEADY_WARMUP_SECONDS,
    tracingRows: TRACING_ROWS,
  };
  reportSource({ a, b, c, tracing, settings, command, date }, ALL_PHASES && !TRACING_EXPERIMENT);
  if (!ALL_PHASES) log(`BENCH_PHASES=${[...PHASES].join(',')}: partial run, nothing recorded`);
  if (TRACING_EXPERIMENT) log('BENCH_TRACING_ENV: an experiment, nothing recorded');
}

await main();
