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
//   (d) BENCH_WEBHOOK_EVENTS (20000) inserts through the webhook sink into a local receiver, then a
//       plain HTTP client posting the same requests to it: events/s of each and their ratio.
//
// Everything lives in the namespace `bench_sinks` (database, topics, subjects, consumer groups,
// Redis keys, MongoDB database), removed before and after. Writes bench/results/sinks.json and a
// section of BENCHMARKS.md.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { Message } from 'kafkajs';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import {
  CDC_HEADERS,
  RegistryCodec,
  avroType,
  kafkaBrokerList,
  kafkaClient,
  readStackEnv,
  silenceKnownKafkajsWarnings,
  wireFormat,
} from '@cdc/core';
import {
  SOURCE_NODE_FLAGS,
  ensurePublicationAndSlot,
  envelopeSchema,
  keySchema,
  parseSourceConfig,
  type SourceConfig,
} from '@cdc/source-postgres';
import {
  dropKafkaTopics,
  dropPostgresDatabase,
  dropSubjects,
  postgresDatabaseUrl,
} from '@cdc/stack/namespace';
import { DEFAULT_CONCURRENCY } from '../services/sinks/src/http/http-settings.ts';
import { ALL_SINK_KINDS } from '../services/sinks/src/index.ts';
import { mongoKind } from '../services/sinks/src/mongo/kind.ts';
import { redisKind } from '../services/sinks/src/redis/kind.ts';
// The testkit's index pulls in vitest; its change events alone do not.
import { patientRow, patientShape, type Row } from '../services/testkit/src/change-events.ts';
import {
  intFromEnv,
  machine,
  mark,
  markdownTable,
  pacedWrites,
  percentile,
  prng,
  round,
  sleep,
  withAdmin,
  writeRunSection,
} from './common.ts';
import type { WorkerInput, WorkerMessage, WorkerReport } from './sink-worker.ts';
import type { RawInput, RawMessage } from './webhook-raw-worker.ts';
import { BenchReceiver } from './webhook-receiver.ts';
import type { WorkerMessage as SourceMessage } from './source-worker.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const EVENTS = intFromEnv('BENCH_SINK_EVENTS', 100_000);
const KEYS = intFromEnv('BENCH_SINK_KEYS', 20_000);
const PARTITIONS = intFromEnv('BENCH_PARTITIONS', 3);
const STEADY_SECONDS = intFromEnv('BENCH_STEADY_SECONDS', 20);
const RATE = intFromEnv('BENCH_RATE', 5000);
const STEADY_WRITERS = intFromEnv('BENCH_STEADY_WRITERS', 16);
const STEADY_WARMUP_SECONDS = intFromEnv('BENCH_STEADY_WARMUP_SECONDS', 3);
const MONGO_ROWS = intFromEnv('BENCH_MONGO_ROWS', 20_000);
const MONGO_UPDATES = intFromEnv('BENCH_MONGO_UPDATES', 20);
const WEBHOOK_EVENTS = intFromEnv('BENCH_WEBHOOK_EVENTS', 20_000);
// Requests in flight, the same for the sink and the plain client: the sink's default.
const WEBHOOK_CONCURRENCY = intFromEnv('BENCH_WEBHOOK_CONCURRENCY', DEFAULT_CONCURRENCY);
const STEADY_CHUNK = 25; // at most this many transactions per round trip of a steady writer
const PRODUCE_CHUNK = 3000; // records per send: under the broker's 1 MB per partition
const STALL_MS = 90_000;
// BENCH_PHASES=a,c runs only those phases (for experiments): results are printed, not recorded.
const PHASES = new Set((process.env.BENCH_PHASES ?? 'a,b,c,d').split(',').map((phase) => phase.trim()));
const ALL_PHASES = ['a', 'b', 'c', 'd'].every((phase) => PHASES.has(phase));
// Node flags of the sink process: none by default, as `cdc sink run`.
const WORKER_FLAGS = process.env.BENCH_WORKER_FLAGS?.split(' ').filter(Boolean) ?? [];
const MONGO_SINK = join(root, 'services/sinks/src/mongo/index.ts');
const TARGETS = { redisEventsPerS: 50_000, mongoEventsPerS: 20_000, p99Ms: 500, webhookRatioToRaw: 0.7 };

const NAMESPACE = 'bench_sinks';
const run = Date.now().toString(36);

silenceKnownKafkajsWarnings();
const stack = readStackEnv();
const brokers = kafkaBrokerList(stack);
const kafka = kafkaClient(brokers, { clientId: 'bench-sinks' });
const benchUrl = postgresDatabaseUrl(stack, NAMESPACE);

const log = (line: string) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------- change events as the source writes them

// Seeded: every run writes the same events.
const random = prng(20_261_122);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const digits = (count: number) => Array.from({ length: count }, () => Math.floor(random() * 10)).join('');
const GIVEN = ['Marie', 'Jean', 'Camille', 'Léa', 'Lucas', 'Chloé', 'Hugo', 'Inès', 'Noah', 'Louise'];
const FAMILY = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Petit', 'Durand', 'Leroy', 'Nguyen'];
const NOW_MICROS = BigInt(Date.UTC(2026, 10, 1)) * 1000n;

function newPatient(id: number): Row {
  const given = pick(GIVEN);
  const family = pick(FAMILY);
  return patientRow({
    id,
    mrn: `MRN${String(id).padStart(6, '0')}`,
    given_name: given,
    family_name: family,
    email: `${given.toLowerCase()}.${family.toLowerCase()}${digits(2)}@example.fr`,
    phone: `+33 6 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`,
    birth_date: -9000 + Math.floor(random() * 28_000),
    facility_id: 1 + Math.floor(random() * 40),
    ssn: `${pick(['1', '2'])}${digits(12)}`,
    updated_at: NOW_MICROS + BigInt(id),
  });
}

function updated(row: Row): Row {
  const next: Row = { ...row, updated_at: (row.updated_at as bigint) + 1_000_000n };
  const roll = random();
  if (roll < 0.4) next.phone = `+33 7 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`;
  else if (roll < 0.7) next.email = `patient.${digits(6)}@example.fr`;
  else next.facility_id = BigInt(1 + Math.floor(random() * 40));
  return next;
}

interface Produced {
  readonly records: number;
  readonly inserts: number;
  readonly updates: number;
  readonly keys: number;
  readonly recordsPerS: number;
  /** Every row as its last event left it. */
  readonly rows: Map<number, Row>;
  readonly lastLsn: bigint;
}

/** Which rows the events change, in order. */
interface EventPlan {
  readonly events: number;
  /** The id of the n-th change (n from 0). */
  readonly idOf: (n: number) => number;
  /** Rows already written by an earlier topic: their changes are updates. */
  readonly rows?: ReadonlyMap<number, Row>;
  /** The first version (commit LSN) is above every version of the earlier topic. */
  readonly firstLsn?: bigint;
}

/** Changes of random rows among KEYS: the first change of a row is its insert, later ones updates. */
const MIXED: EventPlan = { events: EVENTS, idOf: () => 1 + Math.floor(random() * KEYS) };

/**
 * Transactions of 1 to 4 changes of the rows the plan names. Headers as the source writes them:
 * the version and a trace context, which the runtime continues per record.
 */
async function produceEvents(topic: string, plan: EventPlan = MIXED): Promise<Produced> {
  const shape = patientShape(NAMESPACE);
  const codec = new RegistryCodec(stack.SCHEMA_REGISTRY_URL);
  const ids = {
    key: await codec.register(`${topic}-key`, keySchema(shape)),
    value: await codec.register(`${topic}-value`, envelopeSchema(shape)),
  };
  const keyType = avroType(keySchema(shape));
  const valueType = avroType(envelopeSchema(shape));
  const rows = new Map<number, Row>(plan.rows ?? []);
  const messages: Message[] = [];
  let [inserts, updates] = [0, 0];
  let lsn = plan.firstLsn ?? 0x2000000n;
  let txId = 9_000_000n;
  const commitMs = BigInt(Date.now());
  while (messages.length < plan.events) {
    const size = 1 + Math.floor(random() * 4);
    txId += 1n;
    const commitLsn = lsn + BigInt(size) * 0x100n + 0x80n;
    for (let seq = 0; seq < size && messages.length < plan.events; seq++) {
      lsn += 0x100n;
      const id = plan.idOf(messages.length);
      const previous = rows.get(id);
      const row = previous ? updated(previous) : newPatient(id);
      rows.set(id, row);
      if (previous) updates += 1;
      else inserts += 1;
      const value = valueType.toBuffer({
        before: null,
        after: row,
        op: previous ? 'u' : 'c',
        ts_ms: commitMs + 3n,
        source: {
          version: '0.1.0',
          connector: 'postgresql',
          name: NAMESPACE,
          ts_ms: commitMs,
          snapshot: 'false',
          db: NAMESPACE,
          schema: shape.schema,
          table: shape.table,
          txId,
          lsn,
          commit_lsn: commitLsn,
          seq: BigInt(seq),
        },
        unchanged_fields: [],
      });
      messages.push({
        key: wireFormat(ids.key, keyType.toBuffer({ id: BigInt(id) })),
        value: wireFormat(ids.value, value),
        headers: {
          [CDC_HEADERS.commitLsn]: commitLsn.toString(),
          [CDC_HEADERS.seq]: String(seq),
          traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
        },
      });
    }
    lsn = commitLsn;
  }

  await withAdmin(kafka, (admin) =>
    admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true }),
  );
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const startMs = Date.now();
    // One send at a time: concurrent sends may land out of order, and a row's later version ahead
    // of its earlier one would make the earlier one stale at the sink.
    for (let next = 0; next < messages.length; next += PRODUCE_CHUNK) {
      await producer.send({ topic, messages: messages.slice(next, next + PRODUCE_CHUNK), acks: -1 });
    }
    const recordsPerS = messages.length / ((Date.now() - startMs) / 1000);
    return { records: messages.length, inserts, updates, keys: rows.size, recordsPerS, rows, lastLsn: lsn };
  } finally {
    await producer.disconnect();
  }
}

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

// ---------------------------------------------------------------- child processes

/** A benchmark child process: its latest report, its failure, and a clean stop. */
class Child<M extends { kind: string }> {
  readonly messages: M[] = [];
  readonly #child: ChildProcess;
  readonly #listeners = new Set<(message: M | undefined) => void>();
  #failure: Error | undefined;
  readonly exited: Promise<void>;

  readonly label: string;

  constructor(label: string, script: string, argument: unknown, execArgv: readonly string[]) {
    this.label = label;
    this.#child = fork(join(root, script), [JSON.stringify(argument)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [...execArgv],
    });
    this.#child.on('message', (message: M) => {
      if (message.kind === 'failed') this.#failure = new Error(`${label} failed: ${JSON.stringify(message)}`);
      else this.messages.push(message);
      for (const listener of this.#listeners) listener(message);
    });
    this.exited = new Promise((resolve) =>
      this.#child.once('exit', (code) => {
        if (code !== 0 && !this.#failure) this.#failure = new Error(`${label} exited with ${code}`);
        for (const listener of this.#listeners) listener(undefined);
        resolve();
      }),
    );
  }

  latest<K extends M['kind']>(kind: K): Extract<M, { kind: K }> | undefined {
    return this.messages.findLast((message) => message.kind === kind) as Extract<M, { kind: K }> | undefined;
  }

  /** Resolves once `done` holds for a message; fails on the child's failure or after `progress` stops moving. */
  until(done: (message: M) => boolean, progress: () => number = () => 0, stallMs = STALL_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      let [last, movedMs] = [progress(), Date.now()];
      const timer = setInterval(() => {
        const now = progress();
        if (now !== last) [last, movedMs] = [now, Date.now()];
        else if (Date.now() - movedMs > stallMs) finish(new Error(`${this.label} stalled at ${now}`));
      }, 1000);
      const listener = (message: M | undefined) => {
        if (this.#failure) finish(this.#failure);
        else if (message && done(message)) finish();
      };
      const finish = (error?: Error) => {
        clearInterval(timer);
        this.#listeners.delete(listener);
        if (error) reject(error);
        else resolve();
      };
      this.#listeners.add(listener);
      if (this.#failure) finish(this.#failure);
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.connected) this.#child.send('stop');
    const killer = setTimeout(() => this.#child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(killer);
  }
}

function sinkWorker(label: string, input: WorkerInput): Child<WorkerMessage> {
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, `--cpu-prof-name=${label}.cpuprofile`]
    : [];
  return new Child<WorkerMessage>(label, 'bench/sink-worker.ts', input, [...WORKER_FLAGS, ...profile]);
}

function progress(label: string, report: WorkerReport | undefined, total: number): void {
  if (!report) return;
  const rate = report.firstWriteAtMs
    ? Math.round(report.settled / Math.max(0.001, (report.atMs - report.firstWriteAtMs) / 1000))
    : 0;
  process.stderr.write(`\r${label.padEnd(20)} ${report.settled}/${total} events, ${rate}/s   `);
}

// ---------------------------------------------------------------- (a), (b) throughput of one sink

interface ThroughputResult {
  readonly eventsPerS: number;
  readonly seconds: number;
  readonly written: number;
  readonly stale: number;
  readonly failed: number;
  readonly batches: number;
  readonly cpuUsPerEvent: number;
  readonly peakRssMb: number;
}

async function throughput(
  phase: string,
  kind: WorkerInput['kind'],
  topic: string,
  expected: number,
  sink: Record<string, unknown>,
): Promise<ThroughputResult> {
  const label = `(${phase}) ${kind}`;
  const worker = sinkWorker(`${phase}-${kind}`, {
    kind,
    sink,
    topics: [topic],
    brokers,
    registryUrl: stack.SCHEMA_REGISTRY_URL,
    groupId: `${NAMESPACE}-${run}-${phase}-${kind}`,
    expected,
    latencies: false,
  });
  try {
    await worker.until(
      (message) => message.kind === 'report' && message.doneAtMs !== undefined,
      () => {
        const report = worker.latest('report');
        progress(label, report, expected);
        return report?.settled ?? 0;
      },
    );
    process.stderr.write('\n');
    const report = worker.latest('report') as WorkerReport;
    const seconds = ((report.doneAtMs as number) - (report.firstWriteAtMs as number)) / 1000;
    return {
      eventsPerS: report.settled / seconds,
      seconds,
      written: report.written,
      stale: report.stale,
      failed: report.failed,
      batches: report.batches,
      cpuUsPerEvent: ((report.cpuMs ?? Number.NaN) * 1000) / report.settled,
      peakRssMb: report.peakRssMb,
    };
  } finally {
    await worker.stop();
  }
}

// ---------------------------------------------------------------- (c) PostgreSQL -> sink latency

interface SteadyResult {
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

async function steady(): Promise<SteadyResult> {
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

// ---------------------------------------------------------------- (d) webhook sink against a plain HTTP client

interface WebhookResult {
  readonly sink: ThroughputResult;
  readonly requests: number;
  readonly rawEventsPerS: number;
  readonly rawSeconds: number;
  readonly rawFailed: number;
}

/**
 * The webhook sink (one CloudEvent per request) into a local receiver, then a plain client posting
 * the requests the sink made to the same receiver with the sink's concurrency: the ratio is the
 * sink's cost over the HTTP exchange itself.
 */
async function webhookPhase(): Promise<WebhookResult> {
  const receiver = new BenchReceiver();
  const url = await receiver.start();
  const file = join(tmpdir(), `bench-webhook-${run}.json`);
  try {
    const topic = `${NAMESPACE}.${run}.webhook.public.patients`;
    await produceEvents(topic, { events: WEBHOOK_EVENTS, idOf: (n) => n + 1 });
    const sink = await throughput('d', 'webhook', topic, WEBHOOK_EVENTS, {
      kind: 'webhook',
      name: `${NAMESPACE}-webhook`,
      topics: [topic],
      url,
      secret: `whsec_${randomBytes(32).toString('base64')}`,
      concurrency: WEBHOOK_CONCURRENCY,
    });
    receiver.recording = false;
    writeFileSync(file, JSON.stringify(receiver.recorded));
    const raw = new Child<RawMessage>(
      '(d) plain HTTP client',
      'bench/webhook-raw-worker.ts',
      { url, requests: file, concurrency: WEBHOOK_CONCURRENCY } satisfies RawInput,
      WORKER_FLAGS,
    );
    try {
      await raw.until((message) => message.kind === 'report');
    } finally {
      await raw.stop();
    }
    const report = raw.latest('report')!;
    return {
      sink,
      requests: receiver.recorded.length,
      rawEventsPerS: report.sent / report.seconds,
      rawSeconds: report.seconds,
      rawFailed: report.failed,
    };
  } finally {
    rmSync(file, { force: true });
    await receiver.stop();
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

  const none: ThroughputResult = {
    eventsPerS: Number.NaN,
    seconds: Number.NaN,
    written: 0,
    stale: 0,
    failed: 0,
    batches: 0,
    cpuUsPerEvent: Number.NaN,
    peakRssMb: Number.NaN,
  };
  let a = none;
  let load = none;
  let updates = none;
  let c: SteadyResult = {
    events: 0,
    achievedRate: Number.NaN,
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    maxMs: Number.NaN,
    warmupMaxMs: Number.NaN,
  };
  let webhook: WebhookResult | undefined;
  let produced: Produced | undefined;
  let loaded: Produced | undefined;
  let rowsInRedis = Number.NaN;
  const withMongo = mongoThere;
  await cleanUp(withMongo);
  try {
    const topic = `${NAMESPACE}.${run}.public.patients`;
    if (PHASES.has('a')) {
      produced = await produceEvents(topic);
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
    webhook_events_per_s: figure(webhook?.sink.eventsPerS ?? Number.NaN),
    webhook_raw_events_per_s: figure(webhook?.rawEventsPerS ?? Number.NaN),
    webhook_ratio_to_raw: figure(
      (webhook?.sink.eventsPerS ?? Number.NaN) / (webhook?.rawEventsPerS ?? Number.NaN),
      2,
    ),
    redis_cpu_us_per_event: figure(a.cpuUsPerEvent, 1),
    mongo_cpu_us_per_event: figure(load.cpuUsPerEvent, 1),
    targets: {
      redis_events_per_s: TARGETS.redisEventsPerS,
      mongo_events_per_s: TARGETS.mongoEventsPerS,
      e2e_p99_ms_at_5k: TARGETS.p99Ms,
      webhook_ratio_to_raw: TARGETS.webhookRatioToRaw,
    },
    machine: machine(),
    date,
    command,
    events: EVENTS,
    keys: KEYS,
    mongo_rows: MONGO_ROWS,
    mongo_updates: MONGO_UPDATES,
    webhook_events: WEBHOOK_EVENTS,
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
      `webhook events/s into a local receiver, ${WEBHOOK_EVENTS} events, one per request`,
      String(results.webhook_events_per_s ?? 'not measured'),
      '',
      '',
    ],
    [
      'webhook sink / plain HTTP client posting the same requests (events/s ratio)',
      String(results.webhook_ratio_to_raw ?? 'not measured'),
      `>= ${TARGETS.webhookRatioToRaw}`,
      webhook ? mark(webhook.sink.eventsPerS / webhook.rawEventsPerS >= TARGETS.webhookRatioToRaw) : '',
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
    `${round(r.cpuUsPerEvent, 1)} µs CPU per event; peak RSS ${round(r.peakRssMb, 1)} MB`;
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
    webhook
      ? sinkNote('webhook', webhook.sink) +
        `; ${webhook.requests} requests; plain client: ${round(webhook.rawEventsPerS)}/s, ${round(webhook.rawSeconds, 2)} s, ${webhook.rawFailed} failed`
      : 'webhook: not measured',
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
    description: DESCRIPTION,
    title: `Run with ${results.events} events`,
    ...results,
    table: markdownTable(['figure', 'value', 'target', 'status'], rows),
    notes,
  });
  log('wrote bench/results/sinks.json and BENCHMARKS.md');
}

const DESCRIPTION = `## sinks: \`npm run bench:sinks\`

\`SinkRuntime\` with the Redis sink and with the MongoDB sink (FerretDB), each alone in a child
process (\`bench/sink-worker.ts\`, a fresh consumer group reading from the beginning), and the whole
pipeline from PostgreSQL to Redis. Everything in the namespace \`bench_sinks\`, removed before and after.

- **events/s into a sink**: \`BENCH_SINK_EVENTS\` patient change events produced beforehand into a
  fresh 3-partition topic as the PostgreSQL source writes them (its key and envelope schemas, its
  version and \`traceparent\` headers), in transactions of 1 to 4 changes: the first change of a row
  an insert, later ones updates, over about 20000 rows. Events / time from the start of the sink's
  first write to the end of the write that brings its outcomes (written + stale) to the count.
  Redis gets that stream. FerretDB 1.24 (SQLite) reads every document of a collection for each
  update of an existing document (and for each batch's find by \`_id\`), so that stream stalls it;
  the MongoDB sink is measured on an initial load instead, \`BENCH_MONGO_ROWS\` (20000) inserts of
  distinct rows, then on \`BENCH_MONGO_UPDATES\` (20) updates of rows spread over the loaded ones.
- **p50/p99 PostgreSQL-to-Redis latency**: single-row transactions paced at 5000/s by 16
  connections with \`synchronous_commit=on\` for \`BENCH_STEADY_SECONDS\` (20) after a 3 s warm-up
  that is not counted (its worst latency is listed), captured by the real source
  (\`bench/source-worker.ts\`, its own process) and written by the Redis sink worker; per event, the
  end of the sink's write minus the row's commit time (\`source.ts_ms\`). Same host, same clock.
  When the writers cannot reach the rate, the row says so and the target is not judged.

- **webhook sink against a plain HTTP client**: \`BENCH_WEBHOOK_EVENTS\` (20000) inserts of distinct
  rows through the webhook sink (one signed CloudEvent per request, 8 in flight) into a local
  receiver that answers 204 (\`bench/webhook-receiver.ts\`, in the benchmark's process); then a
  plain \`fetch\` client in its own process (\`bench/webhook-raw-worker.ts\`) posts the very
  requests the sink made to the same receiver, 8 at a time. The ratio of their events/s is the
  sink's cost (Kafka, decoding, JSON, signing, the runtime) over the HTTP exchange itself.

Targets (issue): >= 50000 events/s into Redis, >= 20000 events/s into MongoDB, p99 < 500 ms,
webhook sink >= 0.7 of the plain client.
The latest figures are also in \`bench/results/sinks.json\`.`;

await main();
