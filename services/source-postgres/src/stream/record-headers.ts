import { CDC_HEADERS } from '@cdc/core';
import type { ChangeRecord, Row } from '../events/change-event.ts';
import type { ColumnValue } from '../types/column-kind.ts';

/**
 * The Kafka headers the source writes on a change record besides the trace context, named here
 * once: an envelope mode that speaks another dialect (Debezium's `__debezium.newkey`) passes
 * names of its own.
 */
export interface RecordHeaderNames {
  /** The event's version, readable without decoding (docs/contracts.md, Headers). */
  readonly commitLsn: string;
  readonly seq: string;
  /** On the delete and the tombstone of a key change: the new key, as keyJson text. */
  readonly newKey: string;
  /** On the create of a key change: the old key, as keyJson text. */
  readonly oldKey: string;
}

/** Our envelope's names: CDC_HEADERS, which the readers of our topics share. */
export const RECORD_HEADERS: RecordHeaderNames = CDC_HEADERS;

export function recordHeaders(
  record: ChangeRecord,
  trace: Readonly<Record<string, string>>,
  names: RecordHeaderNames = RECORD_HEADERS,
): Record<string, string> {
  const headers: Record<string, string> = { ...versionHeaders(record, names), ...trace };
  const { keyChange } = record;
  if (keyChange) {
    if ('newKey' in keyChange) headers[names.newKey] = keyJson(keyChange.newKey);
    else headers[names.oldKey] = keyJson(keyChange.oldKey);
  }
  return headers;
}

/** The event's version (commit_lsn, seq) as headers: in every envelope, readable without decoding. */
export function versionHeaders(
  record: Pick<ChangeRecord, 'version'>,
  names: Pick<RecordHeaderNames, 'commitLsn' | 'seq'> = RECORD_HEADERS,
): Record<string, string> {
  return {
    [names.commitLsn]: record.version.commitLsn.toString(),
    [names.seq]: record.version.seq.toString(),
  };
}

/**
 * A message key as JSON text: an object with the key schema's field names, in its order, and
 * each value as the key record holds it, exactly: longs (bigint, microsecond times included) as
 * JSON numbers with every digit, other numbers as JSON numbers (a float NaN or infinity, which
 * JSON lacks, as the strings "NaN", "Infinity", "-Infinity"), decimals, uuids and text as JSON
 * strings, bytes as base64 strings, arrays as arrays, NULL as null.
 */
export function keyJson(key: Row): string {
  return `{${Object.entries(key)
    .map(([name, value]) => `${JSON.stringify(name)}:${valueJson(value)}`)
    .join(',')}}`;
}

function valueJson(value: ColumnValue): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : `"${value}"`;
  if (Buffer.isBuffer(value)) return JSON.stringify(value.toString('base64'));
  if (Array.isArray(value)) return `[${value.map(valueJson).join(',')}]`;
  return JSON.stringify(value);
}
