/** Which part of a record: its key or its value. */
export type RecordPart = 'key' | 'value';

/**
 * Why a record was refused, as recorded in its dead letter: `cdc.dlq.reason` holds a JSON array
 * of these. `part` and `schema_id` are there when the reason concerns the bytes of one part
 * (rule `decode`: they cannot be read; `schema`: their schema cannot be written on): which part,
 * and the registry id its bytes name (null when they name none: not in the wire format).
 */
export interface DeadLetterReason {
  /** The rule, step or stage that refused it, e.g. `format`, `transform:mask`, `decode`, `sink`. */
  readonly rule: string;
  /** The field concerned, or null. */
  readonly field: string | null;
  readonly part?: RecordPart;
  readonly schema_id?: number | null;
  readonly message: string;
}

/**
 * The reason for a part that cannot be read (bad bytes, an id the registry does not know), in the
 * same words for processors and sinks: `{rule: 'decode', field: null, part: 'value', schema_id: 42,
 * message: 'value: schema id 42 is not in the registry'}`.
 */
export function partReason(
  rule: string,
  part: RecordPart,
  schemaId: number | null,
  message: string,
): DeadLetterReason {
  return { rule, field: null, part, schema_id: schemaId, message: `${part}: ${message}` };
}

/** The schema id a part's bytes name in the registry's wire format (byte 0, then 4 bytes), or null. */
export function schemaIdIn(bytes: Buffer | null): number | null {
  return bytes && bytes.length >= 5 && bytes[0] === 0 ? bytes.readUInt32BE(1) : null;
}

/** Where a dead letter's record was read. */
export interface DeadLetterOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** Header names of a dead letter (docs/contracts.md, Dead letters: they go to `<input topic>.dlq`). */
export const DLQ_HEADERS = {
  reason: 'cdc.dlq.reason',
  processor: 'cdc.dlq.processor',
  topic: 'cdc.dlq.origin.topic',
  partition: 'cdc.dlq.origin.partition',
  offset: 'cdc.dlq.origin.offset',
  at: 'cdc.dlq.ts',
} as const;

/** What every name of DLQ_HEADERS starts with: a redrive takes them off again. */
export const DLQ_HEADER_PREFIX = 'cdc.dlq.';

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
