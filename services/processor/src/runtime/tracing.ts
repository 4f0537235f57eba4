import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  trace,
  type Span,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { errorMessage } from '@cdc/core';

export const TRACER_NAME = '@cdc/processor';

// The header names are a contract (contracts.md), so the W3C propagator is used whatever is
// registered globally.
const propagator = new W3CTraceContextPropagator();

export interface EventSpan {
  readonly span: Span;
  /** The input's headers with the trace context of this span in place of the parent's. */
  readonly headers: Record<string, string>;
}

/**
 * A CONSUMER span per event, child of the trace context in its headers, even though events are
 * consumed in batches (libraries.md: batch instrumentation only links). Without an SDK the API
 * returns the parent's context, so the output keeps the input's trace: still one trace.
 */
export function startEventSpan(
  processor: string,
  topic: string,
  partition: number,
  offset: string,
  headers: Readonly<Record<string, string>>,
): EventSpan {
  const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  const span = trace.getTracer(TRACER_NAME).startSpan(
    `cdc.process ${processor}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': String(partition),
        'messaging.kafka.offset': Number(offset),
        'cdc.processor': processor,
      },
    },
    parent,
  );
  const out: Record<string, string> = { ...headers };
  if (isSpanContextValid(span.spanContext())) {
    delete out.traceparent;
    delete out.tracestate;
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), out, defaultTextMapSetter);
  }
  return { span, headers: out };
}

export function endEventSpans(spans: readonly EventSpan[], error?: unknown): void {
  for (const { span } of spans) {
    if (error !== undefined) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
    }
    span.end();
  }
}
