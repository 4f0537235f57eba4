/** Why a record was refused, as recorded in its dead letter. */
export interface DeadLetterReason {
  /** The rule, step or stage that refused it, e.g. `format`, `transform:mask`, `decode`, `sink`. */
  readonly rule: string;
  /** The field concerned, or null. */
  readonly field: string | null;
  readonly message: string;
}

/** Where a dead letter's record was read. */
export interface DeadLetterOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

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
  event: DeadLetterOrigin,
  violations: readonly DeadLetterReason[],
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
