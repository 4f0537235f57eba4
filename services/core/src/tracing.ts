import {
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  trace,
  type Attributes,
  type Span,
  type SpanKind,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { errorMessage } from './errors.ts';
import { parentSampled, skipsUnsampled } from './telemetry/sampling.ts';

// The header names are a contract (docs/contracts.md, Headers), so the W3C propagator is used
// whatever is registered globally.
const propagator = new W3CTraceContextPropagator();

export interface RecordSpan {
  readonly span: Span;
  /** The record's headers with this span's trace context in place of its parent's. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * A span for one consumed record, child of the trace context in its headers, even when records
 * are consumed in batches (kafkajs' batch instrumentation would only link them). Without an SDK
 * the API returns the parent's context, so the headers keep the input's trace: still one trace.
 */
export function startRecordSpan(
  tracerName: string,
  name: string,
  kind: SpanKind,
  /** Built only for a span that records, when given as a function. */
  attributes: Attributes | (() => Attributes),
  headers: Readonly<Record<string, string>>,
): RecordSpan {
  // Under the default sampling a parent that was not sampled gets no span of ours either
  // (telemetry/sampling.ts): the record keeps its headers, as without an SDK.
  if (skipsUnsampled() && !parentSampled(headers.traceparent)) return untracedRecord(headers);
  const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  const span = trace.getTracer(tracerName).startSpan(name, { kind }, parent);
  // Attributes only on spans that record: the SDK checks and copies them before it samples, a
  // cost paid for every unsampled record (BENCHMARKS.md). Our samplers do not read attributes.
  if (span.isRecording()) span.setAttributes(typeof attributes === 'function' ? attributes() : attributes);
  const out: Record<string, string> = { ...headers };
  if (isSpanContextValid(span.spanContext())) {
    delete out.traceparent;
    delete out.tracestate;
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), out, defaultTextMapSetter);
  }
  return { span, headers: out };
}

/**
 * Whether spans of `tracerName` go anywhere, asked once per batch rather than paid per record:
 * without an SDK the API's tracer gives only invalid span contexts to a root span. The probe is
 * never ended, so an SDK exports nothing of it.
 */
export function tracerRecords(tracerName: string): boolean {
  return isSpanContextValid(trace.getTracer(tracerName).startSpan('probe', {}, ROOT_CONTEXT).spanContext());
}

/** The RecordSpan of a record when nothing is traced: its headers as they are, a span that does nothing. */
export function untracedRecord(headers: Readonly<Record<string, string>>): RecordSpan {
  return { span: NO_SPAN, headers };
}

const NO_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Ends spans, with an error status when `error` is given. */
export function endRecordSpans(spans: readonly RecordSpan[], error?: unknown): void {
  for (const { span } of spans) {
    if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
    span.end();
  }
}
