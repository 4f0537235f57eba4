import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Batch } from 'kafkajs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { RegistryCodec } from '../registry-codec.ts';
import { endRecordSpans, startRecordSpan, untracedRecord } from '../tracing.ts';
import { SINK_TRACER, decodeBatch, markOutcome, type SinkRecord } from './sink-records.ts';
import type { SinkConflict, SinkEvent } from './sink.ts';

// With an SDK registered: a sink record's span says what became of it.

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
trace.setGlobalTracerProvider(provider);
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
});
beforeEach(() => exporter.reset());

function record(): SinkRecord {
  const span = startRecordSpan(SINK_TRACER, 'cdc.sink test', SpanKind.CONSUMER, {}, {});
  const event = { version: { commitLsn: 0x16b3748n, seq: 2n } } as SinkEvent;
  return { key: null, value: Buffer.alloc(0), headers: span.headers, event, span };
}

const conflict: SinkConflict = {
  policy: 'merge',
  resolution: 'merged',
  target: null,
  source: null,
  changedFields: ['name'],
};

describe('sink record spans', () => {
  it('carry the outcome, the version and a conflict resolution', () => {
    const written = record();
    const stale = record();
    markOutcome(written, { kind: 'written', conflict });
    markOutcome(stale, { kind: 'stale' });
    endRecordSpans([written.span, stale.span]);
    const [first, second] = exporter.getFinishedSpans();
    expect(first!.attributes).toMatchObject({
      'cdc.outcome': 'written',
      'cdc.version': '00000000016b3748/0000000000000002',
      'cdc.conflict.resolution': 'merged',
    });
    expect(second!.attributes).toMatchObject({ 'cdc.outcome': 'stale' });
    expect(second!.attributes['cdc.conflict.resolution']).toBeUndefined();
  });

  it('leaves an untraced record alone', () => {
    const untraced = { ...record(), span: untracedRecord({}) };
    markOutcome(untraced, { kind: 'written' });
    expect(untraced.span.span.isRecording()).toBe(false);
  });

  it('marks a record that cannot be read as dead-lettered', () => {
    const codec = new RegistryCodec('http://127.0.0.1:9');
    const batch = {
      topic: 't',
      partition: 0,
      messages: [{ offset: '0', key: null, value: Buffer.from('not avro'), headers: {} }],
    } as unknown as Batch;
    const decoded = decodeBatch('test', codec, batch);
    expect(decoded.deadLetters).toHaveLength(1);
    const [span] = exporter.getFinishedSpans();
    expect(span!.attributes['cdc.outcome']).toBe('dead_lettered');
  });
});
