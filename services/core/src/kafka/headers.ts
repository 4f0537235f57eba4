import type { IHeaders } from 'kafkajs';

/**
 * The headers a source writes on every change record besides the trace context, as
 * docs/contracts.md (Headers) lists them: readers find the version without decoding the value.
 */
export const CDC_HEADERS = {
  /** The event's version, as decimal text: commit_lsn, then seq. */
  commitLsn: 'cdc.commit_lsn',
  seq: 'cdc.seq',
  /** On the delete and the tombstone of a key change: the new key, as JSON text. */
  newKey: 'cdc.newkey',
  /** On the create of a key change: the old key, as JSON text. */
  oldKey: 'cdc.oldkey',
} as const;

/**
 * One header as text: UTF-8, the first value of a repeated one (kafkajs hands those over as an
 * array), undefined when the record does not have it.
 */
export function readHeader(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first?.toString();
}

/** A record's headers as text, as readHeader reads each one. */
export function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const name of Object.keys(headers)) {
    const text = readHeader(headers, name);
    if (text !== undefined) out[name] = text;
  }
  return out;
}
