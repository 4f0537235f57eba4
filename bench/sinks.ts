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
//       (bench/sinks-fhir.ts);
//   (f) the Google Calendar sink against the stack's Calendar emulator (bench/sinks-calendar.ts):
//       BENCH_CALENDAR_QUOTA_EVENTS (300) patient inserts as visit events by a fresh service
//       account that the emulator limits to BENCH_CALENDAR_RATE (10) requests/s, the sink's
//       `requests` at the same rate: events/s over that rate (the share of the quota used) and the
//       refusals in the emulator's request log; then, the quota lifted on both sides,
//       BENCH_CALENDAR_EVENTS (2000) inserts through the sink and the same events.insert calls by a
//       plain @googleapis/calendar loop, BENCH_CALENDAR_ROUNDS (3) times: events/s and their ratio;
//   (g) the same for the Notion sink against the Notion emulator (bench/sinks-notion.ts), pages of a
//       data source of its own, BENCH_NOTION_RATE (10), BENCH_NOTION_QUOTA_EVENTS (300),
//       BENCH_NOTION_EVENTS (2000), BENCH_NOTION_ROUNDS (3), against a plain @notionhq/client loop
//       (a query per 100 keys, a pages.create per row). For both, bench/saas-phase.ts.
//
// Everything lives in the namespace `bench_sinks` (database, topics, subjects, consumer groups,
// Redis keys, MongoDB database), removed before and after; the emulators keep the accounts,
// calendars, integrations and databases of (f) and (g) in memory until they restart. Writes
// bench/results/sinks.json and a section of BENCHMARKS.md (bench/sinks-report.ts).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { silenceKnownKafkajsWarnings } from '@cdc/core';
import { dropKafkaTopics, dropPostgresDatabase, dropSubjects } from '@cdc/stack/namespace';
import { ALL_SINK_KINDS } from '../services/sinks/src/index.ts';
import { mongoKind } from '../services/sinks/src/mongo/kind.ts';
import { redisKind } from '../services/sinks/src/redis/kind.ts';
import { intFromEnv, markdownTable, round, sleep, writeRunSection } from './common.ts';
import type { SaasResult } from './saas-phase.ts';
import { NAMESPACE, PARTITIONS, log, root, run, stack } from './sink-bench-context.ts';
import { mixedPlan, produceEvents, type Produced } from './sink-events.ts';
import { NOT_MEASURED, throughput } from './sink-throughput.ts';
import { calendarPhase } from './sinks-calendar.ts';
import { SINKS_DESCRIPTION } from './sinks-description.ts';
import { fhirPhase, type FhirResult } from './sinks-fhir.ts';
import { notionPhase } from './sinks-notion.ts';
import { sinksReport } from './sinks-report.ts';
import { RATE, STEADY_SECONDS, steady, type SteadyResult } from './sinks-steady.ts';
import { webhookPhase, type WebhookResult } from './sinks-webhook.ts';

const EVENTS = intFromEnv('BENCH_SINK_EVENTS', 100_000);
const KEYS = intFromEnv('BENCH_SINK_KEYS', 20_000);
const MONGO_ROWS = intFromEnv('BENCH_MONGO_ROWS', 20_000);
const MONGO_UPDATES = intFromEnv('BENCH_MONGO_UPDATES', 20);
// BENCH_PHASES=a,c runs only those phases (for experiments): results are printed, not recorded.
const PHASE_NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
const PHASES = new Set(
  (process.env.BENCH_PHASES ?? PHASE_NAMES.join(',')).split(',').map((phase) => phase.trim()),
);
const ALL_PHASES = PHASE_NAMES.every((phase) => PHASES.has(phase));
const MONGO_SINK = join(root, 'services/sinks/src/mongo/index.ts');
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
  let calendar: SaasResult | undefined;
  let notion: SaasResult | undefined;
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
    if (PHASES.has('f')) calendar = await calendarPhase();
    // Like the webhook: a tree without the Notion kind yet runs the rest.
    if (PHASES.has('g') && ALL_SINK_KINDS.some((kind) => kind.kind === 'notion'))
      notion = await notionPhase();
    else if (PHASES.has('g')) log('Notion: not measured: the notion sink kind is not registered yet');
  } finally {
    await cleanUp(withMongo).catch((error: unknown) => log(`clean-up failed: ${String(error)}`));
  }

  const { results, rows, notes } = sinksReport({
    date,
    command,
    settings: { events: EVENTS, keys: KEYS, mongoRows: MONGO_ROWS, mongoUpdates: MONGO_UPDATES },
    produced,
    a,
    rowsInRedis,
    mongoMissing,
    loaded,
    load,
    updates,
    c,
    webhook,
    fhir,
    calendar,
    notion,
  });
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
