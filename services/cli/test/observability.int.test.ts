import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versionText } from '@cdc/core';
import { isolate, sampleValue, scrapeMetrics, startCli, waitFor, type CliProcess } from '@cdc/testkit';

// Issue 14's acceptance, with each service a `cdc run` process of its own, as in production: the
// source, a validator on its topic and a Redis sink on the validator's output, configured for
// telemetry by environment variables only (the standard OTEL_* ones, and CDC_METRICS_TARGETS_DIR
// as `cdc stack env` prints it). One insert and one update of a row must then show up
// - in Zipkin as one trace per change: the source's PRODUCER span, the validator's CONSUMER span
//   and the sink's CONSUMER span, each the parent of the next, under three service names;
// - in Prometheus, which finds the services through file-based discovery (scrape-targets.ts), as
//   the counters, lags and end-to-end latency of each service;
// and a service stopped with SIGTERM exits 0 and takes its scrape target with it.

const iso = isolate('obs');
const zipkin = iso.env.ZIPKIN_URL.replace(/\/+$/u, '');
const prometheus = iso.env.PROMETHEUS_URL.replace(/\/+$/u, '');
const targetsDir = resolve(iso.env.CDC_METRICS_TARGETS_DIR);
const input = `${iso.id}.public.visits`;
const output = `${input}.valid`;
const validator = `${iso.id}-validate`;
const sinkName = `${iso.id}-redis`;
const slot = `${iso.id}_slot`;
const publication = `${iso.id}_pub`;
const rowKey = `${iso.redisKey('visit')}:1`;

// Only these variables configure telemetry: a service name or resource attributes inherited
// from the test's environment would hide the names each process gives itself.
const CHILD_ENV = {
  ...iso.env,
  CDC_METRICS_TARGETS_DIR: targetsDir,
  OTEL_TRACES_EXPORTER: 'zipkin',
  OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkin}/api/v2/spans`,
  OTEL_TRACES_SAMPLER: 'always_on',
  OTEL_BSP_SCHEDULE_DELAY: '500',
  OTEL_SERVICE_NAME: undefined,
  OTEL_RESOURCE_ATTRIBUTES: undefined,
  OTEL_METRICS_EXPORTER: undefined,
};

type Stage = 'source' | 'processor' | 'sink';

interface Service {
  readonly stage: Stage;
  /** Its name in the pipeline file: the `service` label of its series. */
  readonly name: string;
  readonly process: CliProcess;
  readonly port: number;
}

const services: Service[] = [];
/** Every child started, killed in afterAll (also one that never printed its port). */
const children: CliProcess[] = [];
const redis = new Redis(iso.env.REDIS_URL);
let sql: pg.Client | undefined;
let file = '';

beforeAll(async () => {
  const url = await iso.postgresUrl();
  sql = new pg.Client({ connectionString: url });
  await sql.connect();
  await sql.query('create table visits (id int primary key, reason text)');
  file = iso.pipelineFile({
    source: {
      name: iso.id,
      tables: ['public.visits'],
      database: { url },
      slot,
      publication,
      snapshot: { mode: 'never' },
    },
    processors: [
      { name: validator, kind: 'validate', input, output, rules: [{ field: 'reason', required: true }] },
    ],
    sinks: [{ name: sinkName, kind: 'redis', topics: [output], key: `${iso.redisKey('visit')}:{id}` }],
  });
});

afterAll(async () => {
  await Promise.all(children.map((child) => child.killHard()));
  const client = sql;
  if (!client) {
    await redis.quit();
    return;
  }
  // isolate() drops the database with its slots; the slot is dropped here too, as soon as the
  // stopped source's walsender lets go of it, so that no inactive slot keeps WAL meanwhile.
  await waitFor(
    'the slot to be released',
    async () =>
      (await client.query('select 1 from pg_replication_slots where slot_name = $1 and active', [slot]))
        .rowCount === 0,
    30_000,
  ).catch(() => undefined);
  await client.query(
    'select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1 and not active',
    [slot],
  );
  await client.query(`drop publication if exists ${publication}`);
  await Promise.all([client.end(), redis.quit()]);
}, 60_000);

/** What every child printed so far, for failure messages. */
function childOutput(): string {
  return services.map((s) => `--- ${s.stage} ${s.name} ---\n${s.process.output()}`).join('\n');
}

/** waitFor, failing with what the children printed. */
async function poll<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  try {
    return await waitFor(what, probe, ms);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${childOutput()}`, { cause: error });
  }
}

async function printed(process: CliProcess, text: string): Promise<void> {
  const timer = new AbortController();
  const timeout = sleep(90_000, undefined, { signal: timer.signal }).then(() => {
    throw new Error(`no "${text}" within 90 s:\n${childOutput()}\n--- this one ---\n${process.output()}`);
  });
  try {
    await Promise.race([process.printed(text), timeout]);
  } finally {
    timer.abort();
    timeout.catch(() => undefined);
  }
}

async function start(stage: Stage, name: string): Promise<Service> {
  const process = startCli(
    ['run', stage === 'source' ? 'source' : name, '-c', file, '--health-port', '0'],
    CHILD_ENV,
  );
  children.push(process);
  await printed(process, 'health: http://127.0.0.1:');
  const port = Number(/health: http:\/\/127\.0\.0\.1:(\d+)/u.exec(process.output())?.[1]);
  const service = { stage, name, process, port };
  services.push(service);
  return service;
}

/** The scrape target files of a service in the discovery folder (`<stage>-<service>-<pid>-<port>.json`). */
async function targetFiles(service: Service): Promise<string[]> {
  const names = await readdir(targetsDir).catch(() => [] as string[]);
  return names.filter(
    (name) => name.startsWith(`${service.stage}-${service.name}-`) && name.endsWith('.json'),
  );
}

// --- Zipkin -------------------------------------------------------------------------------------

interface ZipkinSpan {
  readonly traceId: string;
  readonly id: string;
  readonly parentId?: string;
  readonly name: string;
  readonly kind?: string;
  readonly localEndpoint?: { readonly serviceName?: string };
  readonly tags?: Readonly<Record<string, string>>;
}

/** GET a JSON answer; undefined while the server does not answer (polled again). */
async function getJson<T>(url: string): Promise<T | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return response.ok ? ((await response.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

async function zipkinTraces(serviceName: string): Promise<ZipkinSpan[][]> {
  const query = new URLSearchParams({ serviceName, lookback: String(3_600_000), limit: '100' });
  return (await getJson<ZipkinSpan[][]>(`${zipkin}/api/v2/traces?${query.toString()}`)) ?? [];
}

// --- Prometheus ---------------------------------------------------------------------------------

interface PromSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: readonly [number, string];
}

async function promQuery(query: string): Promise<PromSample[]> {
  const url = `${prometheus}/api/v1/query?${new URLSearchParams({ query }).toString()}`;
  const body = await getJson<{ status: string; data?: { result?: PromSample[] } }>(url);
  return body?.status === 'success' ? (body.data?.result ?? []) : [];
}

interface Expectation {
  readonly query: string;
  /** What must hold of the query's samples (their values as numbers). */
  readonly holds: (values: number[]) => boolean;
  readonly says: string;
}

const isCount = (value: number) => Number.isInteger(value) && value >= 0;
const atLeast = (min: number) => (values: number[]) =>
  values.length === 1 && values[0]! >= min && isCount(values[0]!);
const counts = (values: number[]) => values.length > 0 && values.every(isCount);

function expectations(): Expectation[] {
  const source = { service: iso.id, stage: 'source' };
  const processor = { service: validator, stage: 'processor' };
  const sink = { service: sinkName, stage: 'sink' };
  const q = (name: string, labels: Record<string, string>) =>
    `${name}{${Object.entries(labels)
      .map(([key, value]) => `${key}="${value}"`)
      .join(',')}}`;
  const latency = (part: string) => q(`cdc_end_to_end_latency_seconds_${part}`, sink);
  return [
    {
      query: q('cdc_events_out_total', { ...source, outcome: 'sent' }),
      holds: atLeast(2),
      says: '>= 2 sent',
    },
    {
      query: q('cdc_events_out_total', { ...processor, outcome: 'forwarded' }),
      holds: atLeast(2),
      says: '>= 2 forwarded',
    },
    {
      query: q('cdc_events_out_total', { ...sink, outcome: 'written' }),
      holds: atLeast(2),
      says: '>= 2 written',
    },
    {
      query: q('cdc_source_slot_lag_bytes', { ...source, slot }),
      holds: (values) => values.length === 1 && isCount(values[0]!),
      says: 'one whole number of bytes >= 0',
    },
    {
      query: q('cdc_consumer_lag_records', { ...sink, topic: output }),
      holds: counts,
      says: 'whole numbers of records >= 0, one per partition',
    },
    { query: latency('count'), holds: atLeast(2), says: '>= 2 observations' },
    {
      query: latency('sum'),
      holds: (values) => values.length === 1 && values[0]! > 0 && values[0]! < 600,
      says: 'above 0 s and below 600 s in all',
    },
    {
      query: `${latency('sum')} / ${latency('count')}`,
      holds: (values) => values.length === 1 && values[0]! > 0 && values[0]! < 60,
      says: 'a mean between 0 s and 60 s',
    },
    ...[source, processor, sink].map(({ stage, service }) => ({
      query: `up{cdc_target="${stage}/${service}"}`,
      holds: (values: number[]) => values.length === 1 && values[0] === 1,
      says: 'one target, up',
    })),
  ];
}

describe('observability of separate service processes', () => {
  it('traces each change through source, processor and sink in Zipkin, and Prometheus scrapes all three', async () => {
    const source = await start('source', iso.id);
    await printed(source.process, 'streaming started');
    // Both wait for their input topics, which the first change creates.
    const processor = await start('processor', validator);
    const sink = await start('sink', sinkName);

    await sql!.query(`insert into visits values (1, 'check-up')`);
    await sql!.query(`update visits set reason = 'follow-up' where id = 1`);
    await poll('the update in Redis', async () => (await redis.hget(rowKey, 'reason')) === 'follow-up');
    await poll("2 written on the sink's /metrics", async () => {
      const samples = await scrapeMetrics(sink.port).catch(() => []);
      return (sampleValue(samples, 'cdc_events_out_total', { outcome: 'written' }) ?? 0) >= 2;
    });

    // Zipkin: two changes, two traces, each source <- processor <- sink.
    const sourceService = `cdc-source-${iso.id}`;
    const processorService = `cdc-processor-${validator}`;
    const sinkService = `cdc-sink-${sinkName}`;
    const traces = await poll('both traces complete in Zipkin', async () => {
      const found = await zipkinTraces(sourceService);
      const complete = found.filter((spans) =>
        spans.some((span) => span.localEndpoint?.serviceName === sinkService),
      );
      return found.length >= 2 && complete.length === found.length && found.every((s) => s.length >= 3)
        ? found
        : undefined;
    });
    expect(traces, 'one trace per change').toHaveLength(2);
    const versions: string[] = [];
    for (const spans of traces) {
      const described = JSON.stringify(spans, null, 2);
      expect(spans, described).toHaveLength(3);
      const of = (service: string) => spans.filter((span) => span.localEndpoint?.serviceName === service);
      const [sourceSpan] = of(sourceService);
      const [processorSpan] = of(processorService);
      const [sinkSpan] = of(sinkService);
      expect(new Set(spans.map((span) => span.localEndpoint?.serviceName)).size, described).toBe(3);
      expect(sourceSpan, described).toMatchObject({ kind: 'PRODUCER' });
      expect(sourceSpan!.name).toMatch(/^cdc\.source public\.visits /u);
      expect(sourceSpan!.parentId, 'the source span is the root').toBeUndefined();
      expect(processorSpan, described).toMatchObject({
        kind: 'CONSUMER',
        name: `cdc.process ${validator}`,
        parentId: sourceSpan!.id,
      });
      expect(sinkSpan, described).toMatchObject({
        kind: 'CONSUMER',
        name: `cdc.sink ${sinkName}`,
        parentId: processorSpan!.id,
      });
      const version = versionText({
        commitLsn: BigInt(sourceSpan!.tags?.['cdc.commit_lsn'] ?? -1),
        seq: BigInt(sourceSpan!.tags?.['cdc.seq'] ?? -1),
      });
      expect(sinkSpan!.tags, 'the sink span says what it wrote').toMatchObject({
        'cdc.outcome': 'written',
        'cdc.version': version,
      });
      versions.push(version);
    }
    expect(new Set(versions).size, 'two changes, two versions').toBe(2);
    expect(traces.map((spans) => spans.find((s) => s.kind === 'PRODUCER')?.tags?.['cdc.op']).sort()).toEqual([
      'c',
      'u',
    ]);

    // Prometheus: each service registered itself and is scraped.
    for (const service of [source, processor, sink]) {
      const files = await poll(`the scrape target of ${service.name}`, async () => {
        const found = await targetFiles(service);
        return found.length > 0 ? found : undefined;
      });
      expect(files, `one target file of ${service.name}`).toHaveLength(1);
      expect(files[0]).toMatch(new RegExp(`-${service.port}\\.json$`, 'u'));
      const groups = JSON.parse(await readFile(join(targetsDir, files[0]!), 'utf8')) as {
        targets: string[];
      }[];
      expect(groups.flatMap((group) => group.targets)).toEqual([`127.0.0.1:${service.port}`]);
    }
    const wanted = expectations();
    let last: string[] = [];
    await poll(
      'the series in Prometheus',
      async () => {
        last = [];
        for (const { query, holds, says } of wanted) {
          const values = (await promQuery(query)).map((sample) => Number(sample.value[1]));
          if (!holds(values)) last.push(`${query}: ${says}, has ${JSON.stringify(values)}`);
        }
        return last.length === 0;
      },
      90_000,
    ).catch((error: unknown) => {
      throw new Error(`${last.join('\n')}\n${(error as Error).message}`, { cause: error });
    });

    // SIGTERM: each exits 0, and its health server takes its scrape target away.
    for (const service of [sink, processor, source]) {
      expect(await service.process.stop(), `${service.name} exit code:\n${service.process.output()}`).toBe(0);
      expect(await targetFiles(service), `${service.name} left its scrape target`).toEqual([]);
    }
  }, 360_000);
});
