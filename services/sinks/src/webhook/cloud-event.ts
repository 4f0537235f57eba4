import { createHash } from 'node:crypto';
import { versionText, type SinkEvent, type SinkRow } from '@cdc/core';

/**
 * A change event as the receiver gets it: a CloudEvents 1.0 event in structured mode (JSON), its
 * `data` our envelope (docs/contracts.md) with every value JSON can carry exactly: longs (and
 * timestamps, which are longs), decimals and bytes as strings (bytes in base64).
 */
export interface CloudEvent {
  readonly specversion: '1.0';
  /** The webhook-id as well: the same change always has the same id, so receivers can drop duplicates. */
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly subject: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: ChangeData;
}

export interface ChangeData {
  readonly op: SinkEvent['op'];
  readonly key: JsonRow;
  readonly before: JsonRow | null;
  readonly after: JsonRow | null;
  /** Columns PostgreSQL did not send (unchanged TOAST): null in `after`, to be left as they are. */
  readonly unchanged_fields: readonly string[];
  readonly source: { readonly schema: string; readonly table: string; readonly topic: string };
  /** The version (docs/contracts.md, Versions): apply a change only when it is newer than the one held. */
  readonly version: { readonly commit_lsn: string; readonly seq: string };
  readonly ts_ms: number;
}

type JsonRow = Readonly<Record<string, unknown>>;

const TYPES: Readonly<Record<SinkEvent['op'], string>> = {
  c: 'cdc.row.created',
  u: 'cdc.row.updated',
  d: 'cdc.row.deleted',
  r: 'cdc.row.read',
  t: 'cdc.table.truncated',
};

/** The same change (topic and version) gives the same id, on every delivery and every replay. */
export function eventId(event: Pick<SinkEvent, 'topic' | 'version'>): string {
  return `${event.topic}/${versionText(event.version)}`;
}

/** The id of a batch: that of the changes it holds, in order, so a redelivery of it keeps it. */
export function batchId(ids: readonly string[]): string {
  return `batch_${createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 32)}`;
}

/** A value as JSON can carry it exactly. */
function jsonValue(value: unknown): unknown {
  // Most values (strings, numbers, booleans, nulls) are their own JSON: one test decides.
  if (typeof value !== 'object' || value === null)
    return typeof value === 'bigint' ? value.toString() : value;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(jsonValue);
  return jsonRow(value as SinkRow);
}

/** The row itself when JSON carries every value of it exactly (most rows: no copy per event). */
function jsonRow(row: SinkRow): JsonRow {
  let copy: Record<string, unknown> | undefined;
  for (const field in row) {
    const value = row[field];
    const json = jsonValue(value);
    if (json !== value) (copy ??= { ...row })[field] = json;
  }
  return copy ?? row;
}

/** The key as text: which record a change is about (the subject, and the order of writes per record). */
export function keyText(event: Pick<SinkEvent, 'key'>): string {
  return JSON.stringify(jsonRow(event.key));
}

/** An event's id and key text, when the caller has them already (they are the costly parts). */
export interface EventIdentity {
  readonly id: string;
  /** keyText's; unused for a truncate. */
  readonly key: string;
}

export function eventIdentity(event: SinkEvent): EventIdentity {
  return { id: eventId(event), key: event.op === 't' ? '' : keyText(event) };
}

export function cloudEvent(event: SinkEvent, identity: EventIdentity = eventIdentity(event)): CloudEvent {
  const table = `${event.table.schema}.${event.table.name}`;
  return {
    specversion: '1.0',
    id: identity.id,
    source: `/topics/${event.topic}`,
    type: TYPES[event.op],
    subject: event.op === 't' ? table : `${table}/${identity.key}`,
    time: new Date(event.commitTimeMs).toISOString(),
    datacontenttype: 'application/json',
    data: {
      op: event.op,
      key: jsonRow(event.key),
      before: event.before === null ? null : jsonRow(event.before),
      after: event.after === null ? null : jsonRow(event.after),
      unchanged_fields: event.unchanged,
      source: { schema: event.table.schema, table: event.table.name, topic: event.topic },
      version: { commit_lsn: event.version.commitLsn.toString(), seq: event.version.seq.toString() },
      ts_ms: event.commitTimeMs,
    },
  };
}
