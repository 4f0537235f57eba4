import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTelemetry, type Telemetry } from '@cdc/core';
import {
  connectionsOf,
  findProcessor,
  findSink,
  loadPipelineConfig,
  type PipelineConfig,
} from '@cdc/pipeline';
import { runProcessor, type ProcessorHandle } from '@cdc/processor';
import { runSink, type SinkHandle } from '@cdc/sinks';
import { ChangeStream, connectToSource, ensurePublicationAndSlot, topicName } from '@cdc/source-postgres';
import { isolate, topicSize, waitFor } from '@cdc/testkit';

// One change to a row is one trace in Zipkin: the source's PRODUCER span, a CONSUMER span per
// processor, the sink's span, each the child of the one before (docs/contracts.md, Headers). The
// SDK is configured by the standard OTEL_* variables only and exports to the stack's Zipkin.
// It is process-global, so the source, both processors and the sink run here, under one SDK
// and one service name, told apart by their span names.

const iso = isolate('trace_export');
const zipkin = iso.env.ZIPKIN_URL.replace(/\/+$/u, '');
const OTEL_ENV = {
  OTEL_TRACES_EXPORTER: 'zipkin',
  OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkin}/api/v2/spans`,
  OTEL_TRACES_SAMPLER: 'always_on',
  OTEL_SERVICE_NAME: iso.id,
};
const saved = Object.fromEntries(Object.keys(OTEL_ENV).map((name) => [name, process.env[name]]));
const input = topicName(iso.id, 'public', 'visits');
const validator = `${iso.id}-validate`;
const transformer = `${iso.id}-transform`;
const sinkName = `${iso.id}-redis`;
const redis = new Redis(iso.env.REDIS_URL);
let sql: pg.Client;
let telemetry: Telemetry | undefined;

interface ZipkinSpan {
  readonly traceId: string;
  readonly id: string;
  readonly parentId?: string;
  readonly name: string;
  readonly kind?: string;
  readonly localEndpoint?: { readonly serviceName?: string };
}

async function zipkinJson<T>(path: string): Promise<T | undefined> {
  const response = await fetch(`${zipkin}${path}`).catch(() => undefined);
  return response?.ok ? ((await response.json()) as T) : undefined;
}

beforeAll(async () => {
  sql = new pg.Client({ connectionString: await iso.postgresUrl() });
  await sql.connect();
  await sql.query(`create table visits (id int primary key, reason text)`);
  Object.assign(process.env, OTEL_ENV);
});

afterAll(async () => {
  await telemetry?.shutdown();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await Promise.all([sql.end(), redis.quit()]);
});

async function pipeline(): Promise<PipelineConfig> {
  const file = iso.pipelineFile({
    source: {
      name: iso.id,
      tables: ['public.visits'],
      database: { url: await iso.postgresUrl() },
      slot: `${iso.id}_slot`,
      publication: `${iso.id}_pub`,
      snapshot: { mode: 'never' },
    },
    processors: [
      {
        name: validator,
        kind: 'validate',
        input,
        output: `${input}.valid`,
        rules: [{ field: 'reason', required: true }],
      },
      {
        name: transformer,
        kind: 'transform',
        input: `${input}.valid`,
        output: `${input}.clean`,
        steps: [{ normalise: { field: 'reason', case: 'upper' } }],
      },
    ],
    sinks: [
      { name: sinkName, kind: 'redis', topics: [`${input}.clean`], key: `${iso.redisKey('visit')}:{id}` },
    ],
  });
  return loadPipelineConfig(file, { ...process.env, ...iso.env });
}

describe('trace export', () => {
  it('exports one trace per changed row to Zipkin: source, each processor, sink, each the parent of the next', async () => {
    telemetry = await startTelemetry({ stage: 'source', kind: 'postgres', service: iso.id });
    expect(telemetry.traces).toEqual(['zipkin']);
    const config = await pipeline();
    const source = config.source!;
    const admin = await connectToSource(source);
    await ensurePublicationAndSlot(admin, source);
    await admin.end();

    const stream = new ChangeStream({ config: source });
    await stream.start();
    try {
      await sql.query(`insert into visits values (1, 'check-up')`);
      await waitFor('the source record', async () => (await topicSize(iso.env, input).catch(() => 0)) >= 1);
    } finally {
      await stream.stop();
    }

    const connections = connectionsOf(config);
    const running: (ProcessorHandle | SinkHandle)[] = [];
    try {
      for (const name of [validator, transformer]) {
        running.push(await runProcessor(findProcessor(config, name), connections));
      }
      running.push(await runSink(findSink(config, sinkName), connections));
      const key = `${iso.redisKey('visit')}:1`;
      await waitFor('the row in Redis', async () => (await redis.hget(key, 'reason')) === 'CHECK-UP', 60_000);
    } finally {
      for (const service of running.reverse()) await service.stop();
    }
    await telemetry.shutdown(); // flushes the batch span processor

    const traces = await waitFor(
      'the trace in Zipkin',
      async () => {
        const found = await zipkinJson<ZipkinSpan[][]>(`/api/v2/traces?serviceName=${iso.id}&limit=10`);
        return found?.some((spans) => spans.length >= 4) ? found : undefined;
      },
      30_000,
    );
    expect(traces, 'one change, one trace').toHaveLength(1);
    const traceId = traces[0]![0]!.traceId;
    const spans = (await zipkinJson<ZipkinSpan[]>(`/api/v2/trace/${traceId}`)) ?? [];
    const named = (prefix: string) => spans.filter((s) => s.name.startsWith(prefix.toLowerCase()));
    const [sourceSpan, ...moreSource] = named('cdc.source public.visits');
    const [validateSpan, ...moreValidate] = named(`cdc.process ${validator}`);
    const [transformSpan, ...moreTransform] = named(`cdc.process ${transformer}`);
    const [sinkSpan, ...moreSink] = named(`cdc.sink ${sinkName}`);
    expect([moreSource, moreValidate, moreTransform, moreSink], 'one span each').toEqual([[], [], [], []]);
    expect(spans).toHaveLength(4);

    expect(sourceSpan).toMatchObject({ kind: 'PRODUCER', localEndpoint: { serviceName: iso.id } });
    expect(sourceSpan?.parentId, 'the source span is the root').toBeUndefined();
    expect(validateSpan).toMatchObject({ kind: 'CONSUMER', parentId: sourceSpan?.id });
    expect(transformSpan).toMatchObject({ kind: 'CONSUMER', parentId: validateSpan?.id });
    expect(sinkSpan).toMatchObject({ kind: 'CONSUMER', parentId: transformSpan?.id });
    for (const span of spans) expect(span.traceId).toBe(traceId);
  }, 180_000);
});
