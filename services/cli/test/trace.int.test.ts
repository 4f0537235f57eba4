import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  kafkaBrokerList,
  kafkaClient,
  readHeader,
  readRanges,
  startTelemetry,
  versionText,
  type Telemetry,
} from '@cdc/core';
import { connectionsOf, loadPipelineConfig } from '@cdc/pipeline';
import { runProcessor, type ProcessorHandle } from '@cdc/processor';
import { runSink, type SinkHandle } from '@cdc/sinks';
import { runSource, type SourceHandle } from '@cdc/source-postgres';
import { isolate, waitFor } from '@cdc/testkit';
import type { ProcessorHop, SinkHop, SourceHop, TraceReport } from '../src/trace/trace-report.ts';

// `cdc trace` on a real pipeline: the PostgreSQL source, a validator and two sinks on its output
// (Redis and MongoDB), run in this process with the OpenTelemetry SDK exporting every span to the
// stack's Zipkin; the command runs as an operator would, a process of its own. Row 1 is inserted
// and updated (forwarded, written to both sinks), row 2 is refused by the validator's rule, and
// key 999 was never written.

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const iso = isolate('trace');
const topic = `${iso.id}.public.patients`;
const valid = `${topic}.valid`;
const validator = `${iso.id}-check`;
const redisSink = `${iso.id}-redis`;
const mongoSink = `${iso.id}-mongo`;
const redisKey = (id: number) => `${iso.redisKey('patient')}:${id}`;
const zipkin = iso.env.ZIPKIN_URL.replace(/\/+$/u, '');
let file = '';
let telemetry: Telemetry | undefined;
let source: SourceHandle | undefined;
const processors: ProcessorHandle[] = [];
const sinks: SinkHandle[] = [];

/** `cdc <args>`; with `tracing`, ZIPKIN_URL names the stack's Zipkin, else none is configured. */
function cdc(
  args: readonly string[],
  tracing = false,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ZIPKIN_URL: tracing ? zipkin : '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

async function traceJson(
  key: string,
): Promise<{ status: number | null; report: TraceReport; stderr: string }> {
  const result = await cdc(['trace', 'public.patients', key, '-c', file, '--json'], true);
  return { status: result.status, report: JSON.parse(result.stdout) as TraceReport, stderr: result.stderr };
}

const stopAll = async () => {
  await Promise.allSettled(sinks.splice(0).map((s) => s.stop()));
  await Promise.allSettled(processors.splice(0).map((p) => p.stop()));
  await source?.stop();
  source = undefined;
  await telemetry?.shutdown(); // flushes the last spans to Zipkin
  telemetry = undefined;
};

/** The trace ids of a topic's records (their traceparent headers). */
async function traceIdsOf(name: string): Promise<string[]> {
  const kafka = kafkaClient(kafkaBrokerList(iso.env));
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(name);
  await admin.disconnect();
  const records = await readRanges(
    kafka,
    name,
    offsets.map((o) => ({ partition: o.partition, from: o.low, to: o.high })),
  );
  return records.flatMap(({ message }) => {
    const id = readHeader(message.headers, 'traceparent')?.split('-')[1];
    return id ? [id] : [];
  });
}

/** The sink spans Zipkin holds for a trace (its storage takes the spans a moment after they are posted). */
async function sinkSpansIn(traceId: string): Promise<number> {
  const response = await fetch(`${zipkin}/api/v2/trace/${traceId}`);
  if (!response.ok) return 0;
  const spans = (await response.json()) as Array<{ tags?: Record<string, string> }>;
  return spans.filter((span) => span.tags?.['cdc.sink'] !== undefined).length;
}

beforeAll(async () => {
  const url = await iso.postgresUrl();
  const sql = new pg.Client({ connectionString: url });
  await sql.connect();
  await sql.query('create table patients (id int primary key, mrn text, email text)');
  file = iso.pipelineFile({
    source: {
      name: iso.id,
      tables: ['public.patients'],
      database: { url },
      kafka: { brokers: iso.env.KAFKA_BROKERS },
      registry: { url: iso.env.SCHEMA_REGISTRY_URL },
      snapshot: { mode: 'never' },
    },
    processors: [
      {
        name: validator,
        kind: 'validate',
        input: topic,
        output: valid,
        rules: [{ field: 'mrn', required: true, message: 'the medical record number is required' }],
      },
    ],
    sinks: [
      { name: redisSink, kind: 'redis', topics: [valid], key: `${iso.redisKey('patient')}:{id}` },
      {
        name: mongoSink,
        kind: 'mongodb',
        topics: [valid],
        database: iso.mongoDatabase(),
        collection: 'patients',
      },
    ],
  });
  const config = await loadPipelineConfig(file);
  // Every span recorded (the services' default samples a tenth of the rows) and sent to Zipkin.
  Object.assign(process.env, {
    OTEL_TRACES_EXPORTER: 'zipkin',
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkin}/api/v2/spans`,
    OTEL_TRACES_SAMPLER: 'always_on',
  });
  telemetry = await startTelemetry({ stage: 'source', kind: 'postgres', service: iso.id });
  expect(telemetry.traces).toEqual(['zipkin']);
  // Three partitions: the command reads the downstream topics on the row's partition only.
  const admin = kafkaClient(kafkaBrokerList(iso.env)).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();

  let streaming = false;
  source = await runSource(config.source!, {
    onEvent: (event) => {
      if (event.kind === 'streaming') streaming = true;
    },
  });
  await waitFor('the source to stream', () => streaming, 60_000);
  const connections = connectionsOf(config);
  for (const spec of config.processors) processors.push(await runProcessor(spec, connections));
  for (const sink of config.sinks) sinks.push(await runSink(sink, connections));

  await sql.query(
    `insert into patients values (1, 'MRN000001', 'ada@example.org'), (2, null, 'bob@example.org')`,
  );
  await sql.query(`update patients set email = 'ada.l@example.org' where id = 1`);
  await sql.end();
  await waitFor(
    'the validator to forward row 1 twice and refuse row 2, and both sinks to write row 1 twice',
    () =>
      processors[0]!.status().counters.deadLettered >= 1 &&
      sinks.every((s) => s.status().metrics.counters.written >= 2),
    90_000,
  );
  // Stopped: the committed offsets are final, and nothing moves while the command reads.
  await stopAll();
  const traces = await traceIdsOf(topic);
  await waitFor(
    "Zipkin to hold both sinks' spans of row 1's two changes",
    async () => (await Promise.all(traces.map(sinkSpansIn))).reduce((sum, n) => sum + n, 0) >= 4,
    30_000,
  );
}, 180_000);

afterAll(async () => {
  await stopAll();
  for (const name of ['OTEL_TRACES_EXPORTER', 'OTEL_EXPORTER_ZIPKIN_ENDPOINT', 'OTEL_TRACES_SAMPLER'])
    delete process.env[name];
}, 60_000);

describe('cdc trace', () => {
  it('shows a row written to two sinks in both, with the versions they hold', async () => {
    const { status, report, stderr } = await traceJson('1');
    expect(status, stderr).toBe(0);
    expect(report).toMatchObject({ table: 'public.patients', key: '1', found: true, since: null });
    const [sourceHop, processorHop, ...sinkHops] = report.hops as [SourceHop, ProcessorHop, ...SinkHop[]];
    expect(sourceHop.topic).toBe(topic);
    expect(sourceHop.events.map((e) => e.op)).toEqual(['c', 'u']);
    expect(sourceHop.partitions).toHaveLength(1);
    for (const event of sourceHop.events) {
      expect(event.trace).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{32}$/) as string,
        status: 'found',
        url: `${zipkin}/zipkin/traces/${event.trace.id}`,
      });
      expect(event.lag_ms).toBeGreaterThanOrEqual(0);
    }
    const [insert, update] = sourceHop.events.map((e) => e.version);

    expect(processorHop).toMatchObject({ name: validator, input: topic, output: valid });
    expect(processorHop.events.map((e) => [e.version, e.outcome])).toEqual([
      [insert, 'forwarded'],
      [update, 'forwarded'],
    ]);

    expect(sinkHops.map((hop) => [hop.name, hop.kind, hop.topic])).toEqual([
      [redisSink, 'redis', valid],
      [mongoSink, 'mongodb', valid],
    ]);
    for (const hop of sinkHops) {
      expect(hop.target, hop.name).toEqual({ status: 'holds', version: update, detail: null });
      // The sinks' spans say what each write did; the target, that the update is what it holds.
      expect(hop.events.map((e) => [e.version, e.basis])).toEqual([
        [insert, 'span'],
        [update, 'span'],
      ]);
      expect(hop.events[1]).toMatchObject({ outcome: 'written', detail: "written (the sink's span)" });
      expect(hop.events[1]?.lag_ms).toBeGreaterThanOrEqual(0);
    }

    // What the targets hold, read directly, is that version.
    const version = { commitLsn: BigInt(update!.commit_lsn), seq: BigInt(update!.seq) };
    const redis = new Redis(iso.env.REDIS_URL);
    try {
      expect(await redis.hget(`${redisKey(1)}:cdc`, 'v')).toBe(versionText(version));
    } finally {
      redis.disconnect();
    }
    const mongo = new MongoClient(iso.env.MONGO_URL);
    try {
      const doc = await mongo
        .db(iso.mongoDatabase())
        .collection<{ _id: number; _cdc: { lsn: bigint; seq: bigint } }>('patients', { useBigInt64: true })
        .findOne({ _id: 1 });
      expect([doc?._cdc.lsn, doc?._cdc.seq]).toEqual([version.commitLsn, version.seq]);
    } finally {
      await mongo.close();
    }

    // Without a tracing UI the target's version decides, and the trace ids are printed as they are.
    const text = await cdc(['trace', 'public.patients', '1', '-c', file]);
    expect(text.status, text.stderr).toBe(0);
    const held = `the target holds ${update!.lsn}#${update!.seq}`;
    expect(text.stdout).toContain(`sink ${redisSink} (redis)  reads ${valid}; ${held}`);
    expect(text.stdout).toContain(`sink ${mongoSink} (mongodb)  reads ${valid}; ${held}`);
    expect(text.stdout.match(/written: the version the target holds/g)).toHaveLength(2);
    expect(text.stdout.match(/superseded by /g)).toHaveLength(2);
    expect(text.stdout).toContain(
      `trace ${sourceHop.events[0]!.trace.id} (set ZIPKIN_URL to look it up in the tracing UI)`,
    );
  }, 120_000);

  it('shows a dead-lettered row with the processor and the reason', async () => {
    const { status, report, stderr } = await traceJson('2');
    expect(status, stderr).toBe(0);
    const [sourceHop, processorHop, ...sinkHops] = report.hops as [SourceHop, ProcessorHop, ...SinkHop[]];
    expect(sourceHop.events).toHaveLength(1);
    expect(processorHop.events).toHaveLength(1);
    expect(processorHop.events[0]).toMatchObject({
      version: sourceHop.events[0]?.version,
      outcome: 'dead_lettered',
      detail: expect.stringContaining(`dead-lettered by ${validator} to ${topic}.dlq`) as string,
      reasons: [{ rule: 'required', field: 'mrn', message: 'the medical record number is required' }],
    });
    for (const hop of sinkHops) {
      expect(hop.events, hop.name).toEqual([]);
      expect(hop.target.status).toBe('nothing');
    }

    const text = await cdc(['trace', 'public.patients', 'id=2', '-c', file], true);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(`dead-lettered\\s+\\+\\d+(\\.\\d)? m?s\\s+dead-lettered by ${validator} to ${topic}\\.dlq`),
    );
    expect(text.stdout).toMatch(/\n\s+required mrn: the medical record number is required\n/);
    expect(text.stdout).toContain('no event of the row reached it');
  }, 120_000);

  it('says an unknown key was not found, naming the topic it searched, and exits 1', async () => {
    const result = await cdc(['trace', 'public.patients', '999', '-c', file]);
    expect(result.status).toBe(1);
    expect(result.stdout.trim()).toBe(
      `no event of public.patients with key 999 in ${topic} (3 partitions read from the beginning; its keys have the field id)`,
    );
    const json = await traceJson('999');
    expect(json.status).toBe(1);
    expect(json.report.found).toBe(false);
    expect(json.stderr).toContain(`no event of public.patients with key 999 in ${topic}`);
  }, 120_000);

  it('bounds the search by time with --since: an hour back finds row 1, the last millisecond nothing', async () => {
    const hour = await cdc(['trace', 'public.patients', '1', '-c', file, '--since', '1h', '--json']);
    expect(hour.status, hour.stderr).toBe(0);
    const bounded = JSON.parse(hour.stdout) as TraceReport;
    expect(bounded.since).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((bounded.hops[0] as SourceHop).events).toHaveLength(2);
    const now = await cdc(['trace', 'public.patients', '1', '-c', file, '--since', '1ms']);
    expect(now.status).toBe(1);
    expect(now.stdout).toMatch(
      new RegExp(`^no event of public\\.patients with key 1 in ${topic} \\(3 partitions read since \\d{4}-`),
    );
  }, 120_000);

  it('refuses a table the source does not capture, listing those it does', async () => {
    const result = await cdc(['trace', 'public.invoices', '1', '-c', file]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('cdc: public.invoices is not a table the source captures');
    expect(result.stderr).toContain('fix: trace one of: public.patients');
  });
});
