import type { DeadLetterOrigin, DeadLetterReason, EventVersion } from '@cdc/core';
import type { TopicGraph } from './topic-graph.ts';

/**
 * What `cdc trace` gathered about one row, as plain data: the records of its key in each topic,
 * the consumer groups' positions, what each target holds, what the tracing UI has. The I/O
 * (trace-command.ts) fills it in; hop-analysis.ts turns it into the report without any.
 */
export interface TraceFacts {
  readonly graph: TopicGraph;
  /** The key as given. */
  readonly key: string;
  readonly sinceMs: number | null;
  /** How many of the newest source events to trace. */
  readonly last: number;
  /** Change records of the key, by topic (the source's and each processor output). */
  readonly changes: ReadonlyMap<string, readonly ChangeRecord[]>;
  /** Dead letters of the key, by dead-letter topic. */
  readonly deadLetters: ReadonlyMap<string, readonly DeadLetterFact[]>;
  /** Conflict records of the key, by conflict topic. */
  readonly conflicts: ReadonlyMap<string, readonly ConflictFact[]>;
  /** Committed offsets and heads, by positionKey(group, topic, partition). */
  readonly positions: ReadonlyMap<string, GroupPosition>;
  /** What each sink's target holds for the row, by sink name. */
  readonly targets: ReadonlyMap<string, TargetFact>;
  /** What the tracing UI has, by trace id. */
  readonly traces: ReadonlyMap<string, TraceLookup>;
  /** ZIPKIN_URL, without a trailing slash; null when none is configured. */
  readonly tracingUrl: string | null;
}

/** One record of a change topic, with what its headers and envelope say. */
export interface ChangeRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestampMs: number;
  /** Null when neither the envelope nor the headers say (a record not written by us). */
  readonly version: EventVersion | null;
  readonly op: string | null;
  readonly commitTimeMs: number | null;
  readonly tombstone: boolean;
  /** The trace id of its `traceparent` header. */
  readonly traceId: string | null;
  /** A key change (docs/contracts.md, Headers): the key the row moved to (on the delete) or from (on the create), as JSON text. */
  readonly keyChange: { readonly to: string } | { readonly from: string } | null;
}

export interface DeadLetterFact {
  readonly partition: number;
  readonly offset: string;
  readonly timestampMs: number;
  /** The processor or sink that refused it (`cdc.dlq.processor`). */
  readonly by: string | null;
  readonly origin: DeadLetterOrigin | null;
  /** From the original record's headers, which a dead letter keeps. */
  readonly version: EventVersion | null;
  readonly reasons: readonly DeadLetterReason[];
  readonly atMs: number | null;
}

/** A record of `<topic>.conflicts` (docs/contracts.md, Conflicts). */
export interface ConflictFact {
  readonly sink: string | null;
  readonly topic: string | null;
  readonly partition: number | null;
  readonly offset: string | null;
  readonly version: EventVersion | null;
  readonly policy: string;
  readonly resolution: string;
  readonly changedFields: readonly string[];
  readonly detectedAtMs: number | null;
}

export interface GroupPosition {
  /** The group's committed offset on the partition (the next it reads); null when it has none. */
  readonly committed: string | null;
  /** The partition's high watermark. */
  readonly head: string;
}

export function positionKey(group: string, topic: string, partition: number): string {
  return `${group}\n${topic}\n${partition}`;
}

export type TargetFact =
  | { readonly kind: 'holds'; readonly version: EventVersion }
  | { readonly kind: 'nothing' }
  | { readonly kind: 'cannot_tell' }
  | { readonly kind: 'unreadable'; readonly reason: string };

/** A sink's span in the tracing UI, reduced to what tells an event's fate. */
export interface SpanFact {
  readonly sink: string;
  readonly topic: string | null;
  readonly offset: string | null;
  /** `cdc.outcome`: written, stale, skipped or failed. */
  readonly outcome: string | null;
  readonly version: EventVersion | null;
  /** When the span ended (ms since the epoch). */
  readonly endMs: number | null;
}

export type TraceLookup =
  | { readonly status: 'found'; readonly spans: readonly SpanFact[] }
  | { readonly status: 'not_found' | 'not_configured' | 'unavailable' };
