// `npm run bench:sinks`: throughput of the sinks and PostgreSQL-to-sink latency on the running stack.
//
//   (a) BENCH_SINK_EVENTS (100000) patient change events, inserts then updates of about
//       BENCH_SINK_KEYS (20000) rows, encoded as the PostgreSQL source encodes them (its key and
//       envelope schemas, its version and trace headers), are produced into a fresh 3-partition
//       topic; a SinkRuntime with the Redis sink, alone in a child process (bench/sink-worker.ts),
//       reads it from the beginning: events/s = events / (first write begun -> the write that
//       brings written + stale to the count returned);
//   (b) FerretDB (MongoDB wire) through the MongoDB sink, in two parts, since FerretDB 1.24 (SQLite)
//       reads every document of a collection for each update (and each batch's find by _id): the
//       mixed stream of (a) stalls it. (b1) an initial load: BENCH_MONGO_ROWS (20000) inserts of
//       distinct rows; (b2) BENCH_MONGO_UPDATES (20) updates of loaded rows, one per row, into the
//       collection (b1) left: events/s of each, and the time per update;
//   (c) single-row transactions committed at a steady BENCH_RATE (5000) per second for
//       BENCH_STEADY_SECONDS (20) into a fresh database, captured by the real source
//       (bench/source-worker.ts, a ChangeStream in its own process) and written to Redis by the
//       sink worker: per written event, end of its write - its commit time at the source; p50/p99;
//   (d) BENCH_WEBHOOK_EVENTS (60000) inserts through the webhook sink into a local receiver, then a
//       plain HTTP client posting the same requests to it, BENCH_WEBHOOK_ROUNDS (5) times: events/s
//       of each and their ratio (bench/sinks-webhook.ts);
//   (e) BENCH_FHIR_EVENTS (3000) patient inserts through the FHIR sink into the stack's HAPI FHIR
//       server, then a plain fetch loop making the same requests, BENCH_FHIR_ROUNDS (3) times by
//       conditional update and as many by transaction Bundles: resources/s and ratios
//       (bench/sinks-fhir.ts).
//
// Everything lives in the namespace `bench_sinks` (database, topics, subjects, consumer groups,
// Redis keys, MongoDB database), removed before and after. Writes bench/results/sinks.json and a
// section of BENCHMARKS.md.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { silenceKnownKafkajsWarnings } from '@cdc/core';
import { dropKafkaTopics, dropPostgresDatabase, dropSubjects } from '@cdc/stack/namespace';
import { ALL_SINK_KINDS } from '../services/sinks/src/index.ts';
import { mongoKind } from '../services/sinks/src/mongo/kind.ts';
import { redisKind } from '../services/sinks/src/redis/kind.ts';
import { intFromEnv, machine, mark, markdownTable, round, sleep, writeRunSection } from './common.ts';
import { NAMESPACE, PARTITIONS, log, root, run, stack } from './sink-bench-context.ts';
import { mixedPlan, produceEvents, type Produced } from './sink-events.ts';
import { NOT_MEASURED, throughput, type ThroughputResult } from './sink-throughput.ts';
import { SINKS_DESCRIPTION } from './sinks-description.ts';
import {
  FHIR_BUNDLE_ENTRIES,
  FHIR_CONCURRENCY,
  FHIR_EVENTS,
  FHIR_ROUNDS,
  fhirPhase,
  type FhirResult,
} from './sinks-fhir.ts';
import {
  RATE,
  STEADY_SECONDS,
  STEADY_WARMUP_SECONDS,
  STEADY_WRITERS,
  steady,
  type SteadyResult,
} from './sinks-steady.ts';
import {
  WEBHOOK_CONCURRENCY,
  WEBHOOK_EVENTS,
  WEBHOOK_ROUNDS,
  webhookPhase,
  type WebhookResult,
} from './sinks-webhook.ts';

const EVENTS = intFromEnv('BENCH_SINK_EVENTS', 100_000);
const KEYS = intFromEnv('BENCH_SINK_KEYS', 20_000);
const MONGO_ROWS = intFromEnv('BENCH_MONGO_ROWS', 20_000);
const MONGO_UPDATES = intFromEnv('BENCH_MONGO_UPDATES', 20);
// BENCH_PHASES=a,c runs only those phases (for experiments): results are printed, not recorded.
const PHASES = new Set((process.env.BENCH_PHASES ?? 'a,b,c,d,e').split(',').map((phase) => phase.trim()));
const ALL_PHASES = ['a', 'b', 'c', 'd', 'e'].every((phase) => PHASES.has(phase));
const MONGO_SINK = join(root, 'services/sinks/src/mongo/index.ts');
const TARGETS = {
  redisEventsPerS: 50_000,
  mongoEventsPerS: 20_000,
  p99Ms: 500,
  webhookRatioToRaw: 0.7,
  fhirRatioToRaw: 0.7,
};

silenceKnownKafkajsWarnings();

// ---------------------------------------------------------------- stack set-up and clean-up

async function cleanUp(withMongo: boolean): Promise<void> {
  await Promise.all([
    dropKafkaTopics(stack, NAMESPACE),
    dropSubjects(stack, NAMESPACE),
    redisKind.namespace.clean(stack.REDIS_URL, NAMESPACE),
    dropPostgresDatabase(stack, NAMESPACE),
  ]);
  if (!withMongo) return;
  // A FerretDB that does not answer must not keep the other figures from being recorded.
  const dropped = await Promise.race([
    mongoKind.namespace.clean(stack.MONGO_URL, NAMESPACE).then(() => true),
    sleep(30_000).then(() => false),
  ]);
  if (!dropped) log(`could not drop the MongoDB database ${NAMESPACE} within 30 s`);
}

/** Whether FerretDB answers a ping: a server that hangs would stall the MongoDB run, not fail it. */
async function mongoAnswers(): Promise<boolean> {
  const client = new MongoClient(stack.MONGO_URL, { serverSelectionTimeoutMS: 5000 });
  try {
    return await Promise.race([
      client
        .db('admin')
        .command({ ping: 1 })
        .then(() => true)
        .catch(() => false),
      sleep(10_000).then(() => false),
    ]);
  } finally {
    void client.close(true).catch(() => undefined);
  }
}

async function redisRows(prefix: string): Promise<number> {
  const redis = new Redis(stack.REDIS_URL);
  try {
    let [cursor, count] = ['0', 0];
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      count += keys.filter((key) => !key.endsWith(':cdc')).length;
      cursor = next;
    } while (cursor !== '0');
    return count;
  } finally {
    redis.disconnect();
  }
}

// ---------------------------------------------------------------- report

/** JSON has no NaN: a figure not measured is null. */
const figure = (value: number, digits = 0) => (Number.isFinite(value) ? round(value, digits) : null);

async function main(): Promise<void> {
  const command =
    `BENCH_SINK_EVENTS=${EVENTS}` +
    (KEYS !== 20_000 ? ` BENCH_SINK_KEYS=${KEYS}` : '') +
    ` BENCH_STEADY_SECONDS=${STEADY_SECONDS} npm run bench:sinks`;
  const date = new Date().toISOString();
  log(`bench:sinks: ${EVENTS} events over ${KEYS} keys, ${RATE}/s for ${STEADY_SECONDS} s, run ${run}`);
  let mongoMissing: string | undefined;
  if (!PHASES.has('b')) mongoMissing = 'not measured (BENCH_PHASES)';
  else if (!existsSync(MONGO_SINK)) mongoMissing = 'not measured: the MongoDB sink does not exist yet';
  else if (!(await mongoAnswers()))
    mongoMissing = `not measured: FerretDB at ${stack.MONGO_URL} did not answer a ping within 10 s`;
  if (mongoMissing) log(`MongoDB: ${mongoMissing}`);
  const mongoThere = mongoMissing === undefined;

  let a = NOT_MEASURED;
  let load = NOT_MEASURED;
  let updates = NOT_MEASURED;
  let c: SteadyResult = {
    events: 0,
    achievedRate: Number.NaN,
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    maxMs: Number.NaN,
    warmupMaxMs: Number.NaN,
  };
  let webhook: WebhookResult | undefined;
  let fhir: FhirResult | undefined;
  let produced: Produced | undefined;
  let loaded: Produced | undefined;
  let rowsInRedis = Number.NaN;
  const withMongo = mongoThere;
  await cleanUp(withMongo);
  try {
    const topic = `${NAMESPACE}.${run}.public.patients`;
    if (PHASES.has('a')) {
      produced = await produceEvents(topic, mixedPlan(EVENTS, KEYS));
      log(
        `produced ${produced.records} records (${round(produced.recordsPerS)}/s): ${produced.inserts} inserts, ` +
          `${produced.updates} updates of ${produced.keys} rows, ${PARTITIONS} partitions`,
      );
    }
    if (PHASES.has('a')) {
      const prefix = `${NAMESPACE}:patient`;
      a = await throughput('a', 'redis', topic, EVENTS, {
        kind: 'redis',
        name: `${NAMESPACE}-redis`,
        topics: [topic],
        url: stack.REDIS_URL,
        key: `${prefix}:{id}`,
      });
      rowsInRedis = await redisRows(prefix);
    }
    if (mongoThere) {
      const mongoSink = (input: string) => ({
        kind: 'mongodb',
        name: `${NAMESPACE}-mongo`,
        topics: [input],
        url: stack.MONGO_URL,
        database: NAMESPACE,
        collection: '{table}',
      });
      const loadTopic = `${NAMESPACE}.${run}.load.public.patients`;
      loaded = await produceEvents(loadTopic, { events: MONGO_ROWS, idOf: (n) => n + 1 });
      load = await throughput('b1', 'mongodb', loadTopic, MONGO_ROWS, mongoSink(loadTopic));
      // Rows spread over the loaded ones, each changed once, at versions above the load's.
      const updateTopic = `${NAMESPACE}.${run}.update.public.patients`;
      await produceEvents(updateTopic, {
        events: MONGO_UPDATES,
        idOf: (n) => 1 + Math.floor((n * MONGO_ROWS) / MONGO_UPDATES),
        rows: loaded.rows,
        firstLsn: loaded.lastLsn + 0x1000n,
      });
      updates = await throughput('b2', 'mongodb', updateTopic, MONGO_UPDATES, mongoSink(updateTopic));
    }
    if (PHASES.has('c')) c = await steady();
    // Like the MongoDB phase: a tree without the webhook kind yet runs the rest.
    if (PHASES.has('d') && ALL_SINK_KINDS.some((kind) => kind.kind === 'webhook'))
      webhook = await webhookPhase();
    else if (PHASES.has('d')) log('webhook: not measured: the webhook sink kind is not registered yet');
    if (PHASES.has('e')) fhir = await fhirPhase();
  } finally {
    await cleanUp(withMongo).catch((error: unknown) => log(`clean-up failed: ${String(error)}`));
  }

  const results = {
    redis_events_per_s: figure(a.eventsPerS),
    // (b1): the initial load; (b2) below: updates, which FerretDB makes far slower.
    mongo_events_per_s: figure(load.eventsPerS),
    mongo_update_events_per_s: figure(updates.eventsPerS, 1),
    mongo_ms_per_update: figure((updates.seconds * 1000) / updates.written, 1),
    e2e_p50_ms_at_5k: figure(c.p50Ms, 1),
    e2e_p99_ms_at_5k: figure(c.p99Ms, 1),
    // The rate the latency was measured at: below RATE the writers could not keep up.
    e2e_commits_per_s_achieved: figure(c.achievedRate),
    e2e_max_ms: figure(c.maxMs),
    // The round of median ratio (bench/sinks-webhook.ts); every round's below.
    webhook_events_per_s: figure(webhook?.median.sink.eventsPerS ?? Number.NaN),
    webhook_raw_events_per_s: figure(webhook?.median.rawEventsPerS ?? Number.NaN),
    webhook_ratio_to_raw: figure(webhook?.median.ratio ?? Number.NaN, 2),
    webhook_rounds: (webhook?.rounds ?? []).map((r) => ({
      events_per_s: figure(r.sink.eventsPerS),
      raw_events_per_s: figure(r.rawEventsPerS),
      ratio: figure(r.ratio, 2),
      cpu_us_per_event: figure(r.sink.cpuUsPerEvent, 1),
      raw_cpu_us_per_request: figure(r.rawCpuUsPerRequest, 1),
      machine_busy: figure(r.sink.machineBusy, 2),
      raw_machine_busy: figure(r.rawMachineBusy, 2),
    })),
    // Per write mode, the round of median ratio (bench/sinks-fhir.ts); every round's below.
    fhir_resources_per_s: figure(fhir?.update.median.sink.eventsPerS ?? Number.NaN, 1),
    fhir_raw_resources_per_s: figure(fhir?.update.median.rawResourcesPerS ?? Number.NaN, 1),
    fhir_ratio_to_raw: figure(fhir?.update.median.ratio ?? Number.NaN, 2),
    fhir_bundle_resources_per_s: figure(fhir?.transaction.median.sink.eventsPerS ?? Number.NaN, 1),
    fhir_bundle_raw_resources_per_s: figure(fhir?.transaction.median.rawResourcesPerS ?? Number.NaN, 1),
    fhir_bundle_ratio_to_raw: figure(fhir?.transaction.median.ratio ?? Number.NaN, 2),
    fhir_rounds: fhir
      ? [...fhir.update.rounds, ...fhir.transaction.rounds].map((r) => ({
          mode: r.mode,
          resources_per_s: figure(r.sink.eventsPerS, 1),
          raw_resources_per_s: figure(r.rawResourcesPerS, 1),
          ratio: figure(r.ratio, 2),
          cpu_us_per_resource: figure(r.sink.cpuUsPerEvent, 1),
          raw_cpu_us_per_resource: figure(r.rawCpuUsPerResource, 1),
          machine_busy: figure(r.sink.machineBusy, 2),
          raw_machine_busy: figure(r.rawMachineBusy, 2),
        }))
      : [],
    redis_cpu_us_per_event: figure(a.cpuUsPerEvent, 1),
    mongo_cpu_us_per_event: figure(load.cpuUsPerEvent, 1),
    targets: {
      redis_events_per_s: TARGETS.redisEventsPerS,
      mongo_events_per_s: TARGETS.mongoEventsPerS,
      e2e_p99_ms_at_5k: TARGETS.p99Ms,
      webhook_ratio_to_raw: TARGETS.webhookRatioToRaw,
      fhir_ratio_to_raw: TARGETS.fhirRatioToRaw,
    },
    machine: machine(),
    date,
    command,
    events: EVENTS,
    keys: KEYS,
    mongo_rows: MONGO_ROWS,
    mongo_updates: MONGO_UPDATES,
    webhook_events: WEBHOOK_EVENTS,
    webhook_concurrency: WEBHOOK_CONCURRENCY,
    fhir_events: FHIR_EVENTS,
    fhir_concurrency: FHIR_CONCURRENCY,
    fhir_bundle_entries: FHIR_BUNDLE_ENTRIES,
  };
  const steadyShort =
    c.achievedRate < 0.95 * RATE ? ` (writers reached only ${round(c.achievedRate)}/s)` : '';
  const rows: string[][] = [
    [
      `events/s into Redis, ${EVENTS} events`,
      String(results.redis_events_per_s ?? 'not measured'),
      `>= ${TARGETS.redisEventsPerS}`,
      Number.isFinite(a.eventsPerS) ? mark(a.eventsPerS >= TARGETS.redisEventsPerS) : '',
    ],
    [
      `events/s into FerretDB (MongoDB wire), initial load of ${MONGO_ROWS} rows`,
      String(results.mongo_events_per_s ?? 'not measured'),
      `>= ${TARGETS.mongoEventsPerS}`,
      Number.isFinite(load.eventsPerS) ? mark(load.eventsPerS >= TARGETS.mongoEventsPerS) : '',
    ],
    [
      `events/s into FerretDB, ${MONGO_UPDATES} updates of rows among ${MONGO_ROWS}`,
      String(results.mongo_update_events_per_s ?? 'not measured'),
      `>= ${TARGETS.mongoEventsPerS}`,
      Number.isFinite(updates.eventsPerS) ? mark(updates.eventsPerS >= TARGETS.mongoEventsPerS) : '',
    ],
    [
      `webhook events/s into a local receiver, ${WEBHOOK_EVENTS} events, one per request (round of median ratio)`,
      String(results.webhook_events_per_s ?? 'not measured'),
      '',
      '',
    ],
    [
      'webhook sink / plain HTTP client posting the same requests (events/s ratio)',
      String(results.webhook_ratio_to_raw ?? 'not measured'),
      `>= ${TARGETS.webhookRatioToRaw}`,
      webhook ? mark(webhook.median.ratio >= TARGETS.webhookRatioToRaw) : '',
    ],
    [
      `FHIR resources/s into HAPI FHIR by conditional update, ${FHIR_EVENTS} patients (round of median ratio)`,
      String(results.fhir_resources_per_s ?? 'not measured'),
      '',
      '',
    ],
    [
      'FHIR sink / plain fetch loop making the same requests, conditional updates (resources/s ratio)',
      String(results.fhir_ratio_to_raw ?? 'not measured'),
      `>= ${TARGETS.fhirRatioToRaw}`,
      fhir ? mark(fhir.update.median.ratio >= TARGETS.fhirRatioToRaw) : '',
    ],
    [
      `FHIR resources/s by transaction Bundles of ${FHIR_BUNDLE_ENTRIES} (round of median ratio)`,
      String(results.fhir_bundle_resources_per_s ?? 'not measured'),
      '',
      '',
    ],
    [
      'FHIR sink / plain fetch loop making the same requests, transaction Bundles (resources/s ratio)',
      String(results.fhir_bundle_ratio_to_raw ?? 'not measured'),
      '',
      '',
    ],
    [`p50 PostgreSQL-to-Redis ms at ${RATE}/s${steadyShort}`, String(results.e2e_p50_ms_at_5k), '', ''],
    [
      `p99 PostgreSQL-to-Redis ms at ${RATE}/s${steadyShort}`,
      String(results.e2e_p99_ms_at_5k),
      `< ${TARGETS.p99Ms}`,
      // A latency at a lower rate than offered says little about the target: not counted as met.
      steadyShort === '' ? mark(c.p99Ms < TARGETS.p99Ms) : 'not comparable',
    ],
  ];
  const sinkNote = (name: string, r: ThroughputResult) =>
    `${name}: ${r.written} written, ${r.stale} stale, ${r.failed} failed in ${r.batches} batches, ${round(r.seconds, 2)} s; ` +
    `${round(r.cpuUsPerEvent, 1)} µs CPU per event, main thread busy ${round(r.mainThreadBusy * 100)}%, ` +
    `machine busy ${round(r.machineBusy * 100)}%; ` +
    `peak RSS ${round(r.peakRssMb, 1)} MB`;
  const notes = [
    produced
      ? `input: ${produced.records} records (${produced.inserts} inserts, ${produced.updates} updates of ${produced.keys} rows) in ${PARTITIONS} partitions`
      : 'input: not produced',
    sinkNote('Redis', a) + `; ${rowsInRedis} rows in Redis afterwards`,
    ...(mongoMissing === undefined
      ? [
          sinkNote(`MongoDB load (${loaded?.inserts ?? 0} inserts)`, load),
          // Too few events for CPU per event or batch counts to mean anything: the time per update.
          `MongoDB updates: ${updates.written} written, ${updates.stale} stale, ${updates.failed} failed, ` +
            `${round(updates.seconds, 2)} s: ${results.mongo_ms_per_update} ms per update`,
        ]
      : [`MongoDB: ${mongoMissing}`]),
    ...(webhook
      ? webhook.rounds.map(
          (r, i) =>
            sinkNote(`webhook round ${i + 1} of ${WEBHOOK_ROUNDS}`, r.sink) +
            `; ${webhook.requests} requests; plain client: ${round(r.rawEventsPerS)}/s, ${round(r.rawSeconds, 2)} s, ` +
            `${r.rawFailed} failed, ${round(r.rawCpuUsPerRequest, 1)} µs CPU per request, main thread busy ` +
            `${round(r.rawMainThreadBusy * 100)}%, machine busy ${round(r.rawMachineBusy * 100)}%; ratio ${round(r.ratio, 2)}`,
        )
      : ['webhook: not measured']),
    ...(fhir
      ? [...fhir.update.rounds, ...fhir.transaction.rounds].map(
          (r, i) =>
            sinkNote(`FHIR ${r.mode} round ${(i % FHIR_ROUNDS) + 1} of ${FHIR_ROUNDS}`, r.sink) +
            `; plain fetch loop: ${round(r.rawResourcesPerS, 1)}/s, ${r.rawRequests} requests, ${round(r.rawSeconds, 2)} s, ` +
            `${r.rawFailed} failed, ${round(r.rawCpuUsPerResource, 1)} µs CPU per resource, machine busy ` +
            `${round(r.rawMachineBusy * 100)}%; ratio ${round(r.ratio, 2)}`,
        )
      : ['FHIR: not measured']),
    `steady load: ${c.events} events at ${round(c.achievedRate)} commits/s offered (${STEADY_WRITERS} connections, synchronous_commit=on); max latency ${round(c.maxMs)} ms`,
    `steady load warm-up (first ${STEADY_WARMUP_SECONDS} s, not counted, source and sink just started): max latency ${round(c.warmupMaxMs)} ms`,
  ];
  console.table(rows.map(([name, value, target, status]) => ({ figure: name, value, target, status })));
  for (const note of notes) console.log(`  ${note}`);
  if (!ALL_PHASES) {
    log(`BENCH_PHASES=${[...PHASES].join(',')}: partial run, nothing recorded`);
    return;
  }
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/sinks.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeRunSection(join(root, 'BENCHMARKS.md'), {
    marker: 'sinks',
    description: SINKS_DESCRIPTION,
    title: `Run with ${results.events} events`,
    ...results,
    table: markdownTable(['figure', 'value', 'target', 'status'], rows),
    notes,
  });
  log('wrote bench/results/sinks.json and BENCHMARKS.md');
}

await main();
