import {
  CDC_HEADERS,
  parseDeadLetter,
  schemaIdIn,
  stringHeaders,
  toSinkEvent,
  type EventVersion,
  type RegistryCodec,
} from '@cdc/core';
import type { KeyedRecord } from './topic-search.ts';
import type { ChangeRecord, ConflictFact, DeadLetterFact } from './trace-facts.ts';

/**
 * The key's records as facts: change events read the way sinks read them (core's toSinkEvent),
 * dead letters the way `cdc dlq` does (parseDeadLetter), conflict records as their JSON. A value
 * that cannot be read still gives its version from the headers every record carries.
 */
export async function changeRecords(
  codec: RegistryCodec,
  records: readonly KeyedRecord[],
): Promise<ChangeRecord[]> {
  await codec.load(records.flatMap(({ message }) => idOf(message.value)));
  return records.map((record) => {
    const { topic, partition, message } = record;
    const headers = stringHeaders(message.headers);
    const base = {
      topic,
      partition,
      offset: message.offset,
      timestampMs: Number(message.timestamp),
      traceId: traceIdOf(headers.traceparent),
      keyChange: keyChangeOf(headers),
    };
    if (message.value === null) {
      return { ...base, version: headerVersion(headers), op: null, commitTimeMs: null, tombstone: true };
    }
    try {
      const event = toSinkEvent(record.key, codec.decode(message.value).value, {
        topic,
        partition,
        offset: message.offset,
        headers,
      });
      return {
        ...base,
        version: event.version,
        op: event.op,
        commitTimeMs: event.commitTimeMs,
        tombstone: false,
      };
    } catch {
      return { ...base, version: headerVersion(headers), op: null, commitTimeMs: null, tombstone: false };
    }
  });
}

export function deadLetterFacts(records: readonly KeyedRecord[]): DeadLetterFact[] {
  return records.map(({ partition, message }) => {
    const letter = parseDeadLetter(partition, message);
    return {
      partition,
      offset: message.offset,
      timestampMs: Number(message.timestamp),
      by: letter.processor,
      origin: letter.origin,
      version: headerVersion(stringHeaders(letter.headers)),
      reasons: letter.reasons,
      atMs: letter.at?.getTime() ?? null,
    };
  });
}

/** Conflict records (side-records.ts writes them); one that is not such JSON is passed over. */
export function conflictFacts(records: readonly KeyedRecord[]): ConflictFact[] {
  return records.flatMap(({ message }) => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(message.value?.toString() ?? 'null') as Record<string, unknown>;
      if (typeof body !== 'object' || body === null) return [];
    } catch {
      return [];
    }
    const version = body.version as { commit_lsn?: unknown; seq?: unknown } | undefined;
    const detected = Date.parse(String(body.detected_at));
    return [
      {
        sink: typeof body.sink === 'string' ? body.sink : null,
        topic: typeof body.topic === 'string' ? body.topic : null,
        partition: typeof body.partition === 'number' ? body.partition : null,
        offset: typeof body.offset === 'string' ? body.offset : null,
        version: decimalVersion(version?.commit_lsn, version?.seq),
        policy: typeof body.policy === 'string' ? body.policy : 'unknown',
        resolution: typeof body.resolution === 'string' ? body.resolution : 'unknown',
        changedFields: Array.isArray(body.changed_fields) ? body.changed_fields.map(String) : [],
        detectedAtMs: Number.isFinite(detected) ? detected : null,
      },
    ];
  });
}

function keyChangeOf(headers: Readonly<Record<string, string>>): ChangeRecord['keyChange'] {
  const to = headers[CDC_HEADERS.newKey];
  if (to !== undefined) return { to };
  const from = headers[CDC_HEADERS.oldKey];
  return from === undefined ? null : { from };
}

/** The trace id of a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`). */
export function traceIdOf(traceparent: string | undefined): string | null {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/u.exec(traceparent?.trim() ?? '');
  return match?.[1] && !/^0+$/u.test(match[1]) ? match[1] : null;
}

function headerVersion(headers: Readonly<Record<string, string>>): EventVersion | null {
  return decimalVersion(headers[CDC_HEADERS.commitLsn], headers[CDC_HEADERS.seq]);
}

export function decimalVersion(commitLsn: unknown, seq: unknown): EventVersion | null {
  const text = (value: unknown) =>
    typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' ? String(value) : '';
  const lsn = text(commitLsn);
  const s = text(seq);
  return /^\d+$/u.test(lsn) && /^\d+$/u.test(s) ? { commitLsn: BigInt(lsn), seq: BigInt(s) } : null;
}

function idOf(bytes: Buffer | null): number[] {
  const id = schemaIdIn(bytes);
  return id === null ? [] : [id];
}
