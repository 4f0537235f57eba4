import { SpanKind } from '@opentelemetry/api';
import { startRecordSpan, type RecordSpan } from '@cdc/core';

export const TRACER_NAME = '@cdc/processor';

/**
 * A CONSUMER span per event, child of the trace context in its headers, even though events are
 * consumed in batches (kafkajs' OpenTelemetry instrumentation only links a batch's spans to their
 * producers). Its headers, with this span's trace context, go on the event's output.
 */
export function startEventSpan(
  processor: string,
  topic: string,
  partition: number,
  offset: string,
  headers: Readonly<Record<string, string>>,
): RecordSpan {
  return startRecordSpan(
    TRACER_NAME,
    `cdc.process ${processor}`,
    SpanKind.CONSUMER,
    () => ({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': topic,
      'messaging.destination.partition.id': String(partition),
      'messaging.kafka.offset': Number(offset),
      'cdc.processor': processor,
    }),
    headers,
  );
}
