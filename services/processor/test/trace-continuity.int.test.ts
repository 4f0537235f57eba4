import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokerList } from '@cdc/core';
import {
  ChangeStream,
  connectToSource,
  ensurePublicationAndSlot,
  parseSourceConfig,
  topicName,
} from '@cdc/source-postgres';
import { isolate, readTopic, topicSize, waitFor, headerText } from '@cdc/testkit';
import { runProcessor } from '../src/index.ts';

// One trace follows a row from the WAL through a processor (docs/contracts.md, Headers): the
// real source and a validator in one process, with an SDK recording both.

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const iso = isolate('trace_continuity');
let sql: pg.Client;

beforeAll(async () => {
  trace.setGlobalTracerProvider(provider);
  sql = new pg.Client({ connectionString: await iso.postgresUrl() });
  await sql.connect();
  await sql.query(`create table visits (id int primary key, reason text)`);
});

afterAll(async () => {
  await sql.end();
  await provider.shutdown();
  trace.disable();
});

describe('trace continuity', () => {
  it('continues each source span in the processor span and passes the processor span on', async () => {
    const config = parseSourceConfig(
      {
        name: iso.id,
        tables: ['public.visits'],
        database: { url: await iso.postgresUrl() },
        slot: `${iso.id}_slot`,
        publication: `${iso.id}_pub`,
        snapshot: { mode: 'never' },
      },
      iso.env,
    );
    const admin = await connectToSource(config);
    await ensurePublicationAndSlot(admin, config);
    await admin.end();
    const stream = new ChangeStream({ config });
    await stream.start();
    const input = topicName(iso.id, 'public', 'visits');
    const output = `${input}.valid`;
    try {
      await sql.query(`insert into visits values (1, 'check-up'), (2, '')`);
      await sql.query(`update visits set reason = 'vaccination' where id = 1`);
      await waitFor(
        '3 source records',
        async () => (await topicSize(iso.env, input).catch(() => 0)) >= 3,
        30_000,
      );
    } finally {
      await stream.stop();
    }
    const processor = await runProcessor(
      {
        name: `${iso.id}-validate`,
        kind: 'validate',
        input,
        output,
        delivery: 'at_least_once',
        rules: [{ field: 'reason', required: true }],
      },
      {
        brokers: kafkaBrokerList(iso.env),
        registryUrl: iso.env.SCHEMA_REGISTRY_URL,
        redisUrl: iso.env.REDIS_URL,
      },
    );
    try {
      await waitFor('2 outputs', async () => (await topicSize(iso.env, output).catch(() => 0)) >= 2, 30_000);
    } finally {
      await processor.stop();
    }

    const spans = exporter.getFinishedSpans();
    const sourceSpans = spans.filter((s) => s.name.startsWith('cdc.source'));
    const processSpans = spans.filter((s) => s.name.startsWith('cdc.process'));
    expect(sourceSpans).toHaveLength(3);
    expect(processSpans).toHaveLength(3); // the invalid row gets its span too
    for (const span of processSpans) {
      expect(span.kind).toBe(SpanKind.CONSUMER);
      const parent = sourceSpans.find((s) => s.spanContext().spanId === span.parentSpanContext?.spanId);
      expect(parent, 'each processor span is the child of a source span').toBeDefined();
      expect(span.spanContext().traceId).toBe(parent?.spanContext().traceId);
    }
    // Output records carry the processor span's context: a sink continues the same trace.
    const outputs = await readTopic(iso.env, output, 2, `${iso.id}-read`);
    for (const message of outputs) {
      const [, traceId, spanId] = (headerText(message, 'traceparent') ?? '').split('-');
      const span = processSpans.find((s) => s.spanContext().spanId === spanId);
      expect(span?.spanContext().traceId).toBe(traceId);
    }
    // The dead letter keeps the trace too.
    const [letter] = await readTopic(iso.env, `${input}.dlq`, 1, `${iso.id}-dlq`);
    const [, letterTrace] = (headerText(letter!, 'traceparent') ?? '').split('-');
    expect(sourceSpans.map((s) => s.spanContext().traceId)).toContain(letterTrace);
  }, 90_000);
});
