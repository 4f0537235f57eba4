import { randomFillSync } from 'node:crypto';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  defaultTextMapSetter,
  isSpanContextValid,
  trace,
  type Attributes,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { DEFAULT_SAMPLER, errorMessage, sampleChange } from '@cdc/core';
import type { ChangeRecord } from '../events/change-event.ts';

/**
 * One trace per change, started here at the source (docs/contracts.md, Headers): each Kafka
 * record gets a PRODUCER span `cdc.source <schema>.<table> <op>`, and its context goes into the record's
 * headers `traceparent` (and `tracestate`, when the span has one) so that every sink continues the
 * same trace. The span ends once Kafka has acknowledged the batch holding the record (`whenSent`),
 * with an error status when that send fails.
 *
 * - Each change is a root: a row's trace starts at the WAL, not inside whatever the process runs.
 * - A delete's tombstone belongs to the delete's trace: its span is a child of the delete's span.
 * - The headers are always W3C trace context, written by the W3C propagator itself, whatever
 *   propagator is registered globally: the header names are a contract, not a setting.
 * - Without an SDK the API is a no-op and its spans carry no valid context. Every message must
 *   still carry trace context, so we then make one ourselves: a random 16-byte trace id, a random
 *   8-byte span id, and flags sampled at the default ratio (DEFAULT_SAMPLER), so that processors
 *   and sinks with an SDK record the share of rows they would under a traced source. Nothing is
 *   exported for the source's part then; the ids only tie the downstream spans together.
 */

export const TRACER_NAME = '@cdc/source-postgres';

const propagator = new W3CTraceContextPropagator();

export interface TracedTable {
  readonly topic: string;
  readonly shape: { readonly schema: string; readonly table: string };
}

/** A started span and the trace headers to put on its record. */
export interface ChangeSpan {
  readonly span: Span;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Starts the spans of the records of one change (buildChangeEvents' output), in order: the first
 * is a root, the others (a tombstone) its children. `database` is the PostgreSQL database name.
 */
export function startChangeSpans(
  table: TracedTable,
  database: string,
  records: readonly ChangeRecord[],
): ChangeSpan[] {
  // Not sampled, by the default sampling decided before the SDK (@cdc/core sampling.ts): the
  // change's records take the path they take without an SDK, with the sampled flag off.
  if (!sampleChange()) return unsampledChangeSpans(records.length);
  const tracer = trace.getTracer(TRACER_NAME);
  const spans: ChangeSpan[] = [];
  let parent: SpanContext | undefined;
  for (const record of records) {
    const op = record.value?.op;
    const started = tracer.startSpan(
      `cdc.source ${table.shape.schema}.${table.shape.table} ${op ?? 'tombstone'}`,
      { kind: SpanKind.PRODUCER, ...(parent ? {} : { root: true }) },
      parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT,
    );
    // Attributes only on spans that record: the SDK checks and copies them before it samples, which
    // cost half of tracing's CPU per record when nine in ten are not sampled (BENCHMARKS.md). Our
    // samplers (ratio, parent-based) do not read attributes.
    if (started.isRecording()) started.setAttributes(changeAttributes(table, database, record, op));
    const span = withValidContext(started, parent);
    parent ??= span.spanContext();
    spans.push({ span, headers: traceHeaders(span.spanContext()) });
  }
  return spans;
}

/** Spans that record nothing, in one new trace: the first the root, the others its children. */
function unsampledChangeSpans(count: number): ChangeSpan[] {
  const traceId = randomId(16);
  const spans: ChangeSpan[] = [];
  for (let i = 0; i < count; i++) {
    const span = trace.wrapSpanContext({
      traceId,
      spanId: randomId(8),
      traceFlags: TraceFlags.NONE,
      isRemote: false,
    });
    spans.push({ span, headers: traceHeaders(span.spanContext()) });
  }
  return spans;
}

function changeAttributes(
  table: TracedTable,
  database: string,
  record: ChangeRecord,
  op: string | undefined,
): Attributes {
  return {
    'messaging.system': 'kafka',
    'messaging.destination.name': table.topic,
    'messaging.operation': 'publish', // semantic conventions before 1.26
    'messaging.operation.type': 'send', // since 1.26
    'db.system': 'postgresql', // before 1.30
    'db.system.name': 'postgresql', // since 1.30
    'db.namespace': database,
    'db.collection.name': `${table.shape.schema}.${table.shape.table}`,
    'cdc.commit_lsn': record.version.commitLsn.toString(),
    'cdc.seq': record.version.seq.toString(),
    ...(op === undefined ? { 'messaging.kafka.message.tombstone': true } : { 'cdc.op': op }),
  };
}

/** Ends the spans once `send` (the Kafka send of their batch) settles; passes its outcome on. */
export async function whenSent(spans: readonly Span[], send: Promise<void>): Promise<void> {
  try {
    await send;
  } catch (error) {
    endChangeSpans(spans, error);
    throw error;
  }
  endChangeSpans(spans);
}

/** Ends spans, with an error status when `error` is given (their records were not sent). */
export function endChangeSpans(spans: readonly Span[], error?: unknown): void {
  for (const span of spans) {
    if (error !== undefined) {
      const message = errorMessage(error);
      span.recordException(error instanceof Error ? error : message);
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    }
    span.end();
  }
}

/** `traceparent` and `tracestate` (when present) of a span context. */
export function traceHeaders(spanContext: SpanContext): Record<string, string> {
  const headers: Record<string, string> = {};
  propagator.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), headers, defaultTextMapSetter);
  return headers;
}

/**
 * The no-op API returns spans without a valid context (or, under a parent, the parent's own):
 * replace those by non-recording spans with fresh ids, in the parent's trace when there is one.
 */
function withValidContext(span: Span, parent: SpanContext | undefined): Span {
  const context = span.spanContext();
  if (isSpanContextValid(context) && context.spanId !== parent?.spanId) return span;
  return trace.wrapSpanContext({
    traceId: parent?.traceId ?? randomId(16),
    spanId: randomId(8),
    traceFlags: parent ? parent.traceFlags : sampledAtDefaultRatio(),
    isRemote: false,
  });
}

/**
 * The sampling decision of a change traced without an SDK here: the pipeline's default ratio, as a
 * source with an SDK would decide, so that processors and sinks that trace (parent-based) record
 * the same share of rows rather than every one.
 */
function sampledAtDefaultRatio(): TraceFlags {
  return Math.random() < DEFAULT_SAMPLER.ratio ? TraceFlags.SAMPLED : TraceFlags.NONE;
}

// Random ids are cut from a pool refilled in bulk: one randomBytes() call per id cost about 15%
// of the source's CPU (two ids per record, each a call into OpenSSL and a new Buffer).
const POOL_BYTES = 16 * 1024;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolOffset = POOL_BYTES;

/** Random lowercase hex of `bytes` bytes, never all zeros (invalid in W3C trace context). */
function randomId(bytes: number): string {
  for (;;) {
    if (poolOffset + bytes > POOL_BYTES) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    const start = poolOffset;
    poolOffset += bytes;
    for (let i = start; i < poolOffset; i++) {
      if (pool[i] !== 0) return pool.toString('hex', start, poolOffset);
    }
  }
}
