import type { SinkEvent, SinkRow } from './sink.ts';

/** The change event of docs/contracts.md as avsc decodes it under `avroOptions`. */
interface DecodedEnvelope {
  readonly before: SinkRow | null;
  readonly after: SinkRow | null;
  readonly op: string;
  readonly source: {
    readonly schema: string;
    readonly table: string;
    readonly commit_lsn: bigint;
    readonly seq: bigint;
    readonly ts_ms: bigint;
  };
  readonly unchanged_fields?: readonly string[];
}

const OPS = new Set(['c', 'u', 'd', 'r', 't']);

export interface RecordPlace {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The sink's view of a decoded change event; throws (the record is then a dead letter) when the
 * value is not a change event of docs/contracts.md.
 */
export function toSinkEvent(key: SinkRow | null, value: unknown, place: RecordPlace): SinkEvent {
  const envelope = value as DecodedEnvelope;
  const source = envelope?.source;
  if (
    !source ||
    !OPS.has(envelope.op) ||
    typeof source.commit_lsn !== 'bigint' ||
    typeof source.seq !== 'bigint'
  ) {
    throw new Error('not a change event (docs/contracts.md): it needs op, source.commit_lsn and source.seq');
  }
  return {
    topic: place.topic,
    partition: place.partition,
    offset: place.offset,
    headers: place.headers,
    op: envelope.op as SinkEvent['op'],
    key: key ?? {},
    before: envelope.before,
    after: envelope.after,
    unchanged: envelope.unchanged_fields ?? [],
    version: { commitLsn: source.commit_lsn, seq: source.seq },
    commitTimeMs: Number(source.ts_ms),
    table: { schema: source.schema, name: source.table },
  };
}
