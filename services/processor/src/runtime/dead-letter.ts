import type { Violation } from '../row.ts';
import type { InputEvent } from './handler.ts';

/** Header names of a dead letter (contracts.md: dead letters go to `<input topic>.dlq`). */
export const DLQ_HEADERS = {
  reason: 'cdc.dlq.reason',
  processor: 'cdc.dlq.processor',
  topic: 'cdc.dlq.origin.topic',
  partition: 'cdc.dlq.origin.partition',
  offset: 'cdc.dlq.origin.offset',
  at: 'cdc.dlq.ts',
} as const;

export function dlqTopic(input: string): string {
  return `${input}.dlq`;
}

/**
 * A dead letter keeps the original key and bytes (so it can be redriven after a fix) and says why
 * in its headers: the violations as JSON, and where the record came from.
 */
export function deadLetterHeaders(
  processor: string,
  event: InputEvent,
  violations: readonly Violation[],
  headers: Readonly<Record<string, string>>,
): Record<string, string> {
  return {
    ...headers,
    [DLQ_HEADERS.reason]: JSON.stringify(violations),
    [DLQ_HEADERS.processor]: processor,
    [DLQ_HEADERS.topic]: event.topic,
    [DLQ_HEADERS.partition]: String(event.partition),
    [DLQ_HEADERS.offset]: event.offset,
    [DLQ_HEADERS.at]: String(Date.now()),
  };
}
