import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeRecord, Envelope } from '../events/change-event.ts';
import type { OutRecord } from '../stream/kafka-writer.ts';
import { startChangeSpans, whenSent } from './change-span.ts';

// With an SDK registered: the headers name the exported spans, which end when Kafka has the batch.

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
trace.setGlobalTracerProvider(provider);
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
});
beforeEach(() => exporter.reset());

const table = { topic: 'app.public.items', shape: { schema: 'public', table: 'items' } };
const record = (op: Envelope['op'] | null, seq: bigint): ChangeRecord => ({
  key: { id: 1 },
  value: op === null ? null : ({ op } as Envelope),
  version: { commitLsn: 0x16b3748n, seq },
});
const parse = (traceparent: string | undefined) => {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/u.exec(traceparent ?? '');
  expect(match, traceparent).not.toBeNull();
  return { traceId: match![1]!, spanId: match![2]! };
};

/** A writer whose send settles when the test says so. */
function fakeWriter() {
  const sent: OutRecord[][] = [];
  let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  return {
    sent,
    send(records: readonly OutRecord[]): Promise<void> {
      sent.push([...records]);
      return new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    },
    ack: () => settle!.resolve(),
    fail: (error: Error) => settle!.reject(error),
  };
}

const outRecords = (traced: ReturnType<typeof startChangeSpans>): OutRecord[] =>
  traced.map(({ headers }) => ({ topic: table.topic, key: null, value: null, headers }));

describe('change spans with an SDK', () => {
  it('puts the exported span into traceparent and ends it once Kafka acknowledged', async () => {
    const traced = startChangeSpans(table, 'shop', [record('c', 7n)]);
    const writer = fakeWriter();
    const sending = whenSent(
      traced.map(({ span }) => span),
      writer.send(outRecords(traced)),
    );
    await Promise.resolve();
    expect(exporter.getFinishedSpans()).toEqual([]); // not ended before the acknowledgement
    writer.ack();
    await sending;

    const [span] = exporter.getFinishedSpans();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    const { traceId, spanId } = parse(writer.sent[0]![0]!.headers.traceparent);
    expect(span!.spanContext().traceId).toBe(traceId);
    expect(span!.spanContext().spanId).toBe(spanId);
    expect(span!.parentSpanContext).toBeUndefined(); // each change starts its own trace
    expect(span!.name).toBe('cdc.source public.items c');
    expect(span!.kind).toBe(SpanKind.PRODUCER);
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    expect(span!.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'app.public.items',
      'messaging.operation': 'publish',
      'db.system': 'postgresql',
      'db.namespace': 'shop',
      'cdc.commit_lsn': String(0x16b3748n),
      'cdc.seq': '7',
      'cdc.op': 'c',
    });
  });

  it('puts a tombstone into its delete trace, each change into a trace of its own', async () => {
    const deleted = startChangeSpans(table, 'shop', [record('d', 1n), record(null, 1n)]);
    const inserted = startChangeSpans(table, 'shop', [record('c', 2n)]);
    const [remove, tombstone] = deleted.map(({ headers }) => parse(headers.traceparent));
    const insert = parse(inserted[0]!.headers.traceparent);
    expect(tombstone!.traceId).toBe(remove!.traceId);
    expect(tombstone!.spanId).not.toBe(remove!.spanId);
    expect(insert.traceId).not.toBe(remove!.traceId);

    await whenSent(
      [...deleted, ...inserted].map(({ span }) => span),
      Promise.resolve(),
    );
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual([
      'cdc.source public.items d',
      'cdc.source public.items tombstone',
      'cdc.source public.items c',
    ]);
    expect(spans[1]!.parentSpanContext?.spanId).toBe(remove!.spanId);
    expect(spans[1]!.attributes['messaging.kafka.message.tombstone']).toBe(true);
  });

  it('ends the spans with an error status when the send fails, and passes the error on', async () => {
    const traced = startChangeSpans(table, 'shop', [record('u', 3n), record('u', 4n)]);
    const writer = fakeWriter();
    const sending = whenSent(
      traced.map(({ span }) => span),
      writer.send(outRecords(traced)),
    );
    writer.fail(new Error('broker down'));
    await expect(sending).rejects.toThrow('broker down');
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'broker down' });
      expect(span.events.map((event) => event.name)).toContain('exception');
    }
  });

  it('carries tracestate when the span context has one', async () => {
    const { traceHeaders } = await import('./change-span.ts');
    const { TraceState } = await import('@opentelemetry/core');
    const headers = traceHeaders({
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: 1,
      traceState: new TraceState('vendor=value'),
    });
    expect(headers).toEqual({
      traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
      tracestate: 'vendor=value',
    });
  });
});
