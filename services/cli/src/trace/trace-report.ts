import type { DeadLetterReason, EventVersion } from '@cdc/core';

/**
 * What `cdc trace --json` prints: one document, keys in snake case as in the other JSON of the
 * contracts (conflict records), BigInts and offsets as decimal strings, times as ISO 8601 text.
 * Keys are stable: a script may rely on each being present (null when unknown).
 */
export interface TraceReport {
  /** `schema.table`. */
  readonly table: string;
  /** The key as given, `42` or `tenant=acme,id=42`. */
  readonly key: string;
  /** Whether the source topic holds an event of the key (false: exit code 1). */
  readonly found: boolean;
  /** Where the search began (--since), or null for whole topics. */
  readonly since: string | null;
  /** Source events of the key that were not traced (older than the last --last). */
  readonly earlier_events: number;
  readonly hops: readonly HopReport[];
}

/** A version (docs/contracts.md, Versions) as decimal text, with the commit LSN as PostgreSQL writes it. */
export interface VersionJson {
  readonly commit_lsn: string;
  readonly seq: string;
  /** `16/B374D848`: the commit LSN in PostgreSQL's notation. */
  readonly lsn: string;
}

export type HopReport = SourceHop | ProcessorHop | SinkHop;

export interface SourceHop {
  readonly hop: 'source';
  readonly topic: string;
  /** Partitions that hold the key's events (downstream topics keep these numbers). */
  readonly partitions: readonly number[];
  /** Tombstones after the key's deletes (not events: they repeat the delete's version). */
  readonly tombstones: number;
  readonly events: readonly SourceEventReport[];
}

export interface SourceEventReport {
  readonly version: VersionJson | null;
  /** c insert, u update, d delete, r snapshot read, t truncate; null when the value cannot be read. */
  readonly op: string | null;
  readonly partition: number;
  readonly offset: string;
  /** Commit time in PostgreSQL (source.ts_ms). */
  readonly committed_at: string | null;
  /** The record's Kafka timestamp. */
  readonly produced_at: string;
  /** From the commit to Kafka. */
  readonly lag_ms: number | null;
  /** A key change: the row's key after it (on the delete of the old key), as JSON text; else null. */
  readonly key_changed_to: string | null;
  /** A key change: the row's key before it (on the create under the new key), as JSON text; else null. */
  readonly key_changed_from: string | null;
  readonly trace: TraceLink;
}

export interface TraceLink {
  /** From the record's `traceparent` header; null when it has none. */
  readonly id: string | null;
  /**
   * found: the tracing UI has the trace; not_found: it does not (not sampled, or not exported);
   * not_configured: no ZIPKIN_URL; unavailable: it did not answer; no_context: no traceparent.
   */
  readonly status: 'found' | 'not_found' | 'not_configured' | 'unavailable' | 'no_context';
  readonly url: string | null;
}

export interface ProcessorHop {
  readonly hop: 'processor';
  readonly name: string;
  readonly kind: 'validate' | 'transform';
  readonly input: string;
  readonly output: string;
  readonly dead_letters: string;
  readonly group: string;
  readonly events: readonly ProcessorEventReport[];
}

export type ProcessorOutcome = 'forwarded' | 'dead_lettered' | 'handled' | 'pending';

export interface ProcessorEventReport {
  readonly version: VersionJson | null;
  /** Of the input record. */
  readonly partition: number;
  readonly offset: string;
  readonly outcome: ProcessorOutcome;
  readonly detail: string;
  /** When the output or the dead letter was written. */
  readonly at: string | null;
  /** From the input record to its output or dead letter. */
  readonly lag_ms: number | null;
  /** The output record's offset (forwarded). */
  readonly output_offset: string | null;
  /** Why it was refused (dead_lettered). */
  readonly reasons: readonly DeadLetterReason[];
  /** Records the processor's group has yet to read on the partition (pending). */
  readonly behind: number | null;
}

export interface SinkHop {
  readonly hop: 'sink';
  readonly name: string;
  readonly kind: string;
  readonly topic: string;
  readonly dead_letters: string;
  readonly conflicts: string;
  readonly group: string;
  readonly target: TargetReport;
  readonly events: readonly SinkEventReport[];
}

export interface TargetReport {
  /** holds: `version` is what the target holds for the row; nothing: no record or marker; cannot_tell: the kind cannot say; unreadable: reading it failed (`detail`). */
  readonly status: 'holds' | 'nothing' | 'cannot_tell' | 'unreadable';
  readonly version: VersionJson | null;
  readonly detail: string | null;
}

export type SinkOutcome =
  /** Applied: the target holds it, or the sink's span says so. */
  | 'written'
  /** Not applied: the target held it or a newer version (the span says so). */
  | 'stale'
  /** Left as the target had it by the conflict policy (target_wins, manual). */
  | 'skipped'
  | 'dead_lettered'
  /** Handled, and the target now holds a newer version (written, or stale on arrival). */
  | 'superseded'
  /** Handled, and the target holds an older version: not applied (conflict policy, or a write since undone). */
  | 'not_applied'
  /** Handled, and the target holds nothing for the row (removed there, or an expired delete marker). */
  | 'missing'
  /** Handled; the target cannot say more. */
  | 'handled'
  | 'pending';

export interface SinkEventReport {
  readonly version: VersionJson | null;
  readonly partition: number;
  readonly offset: string;
  readonly outcome: SinkOutcome;
  readonly detail: string;
  /** What told the outcome: the sink's span, a dead letter, a conflict record, the target's version, offsets. */
  readonly basis: 'span' | 'dead_letter' | 'conflict' | 'target' | 'offsets';
  readonly at: string | null;
  /** From the record entering the sink's topic to the write (span, dead letter or conflict). */
  readonly lag_ms: number | null;
  readonly reasons: readonly DeadLetterReason[];
  readonly conflict: ConflictReport | null;
  readonly behind: number | null;
}

export interface ConflictReport {
  readonly policy: string;
  /** source: ours written; target: theirs kept; merged: field by field; held: for review. */
  readonly resolution: string;
  readonly changed_fields: readonly string[];
  readonly detected_at: string | null;
}

/** A version as the report writes it. */
export function versionJson(version: EventVersion): VersionJson {
  const high = version.commitLsn >> 32n;
  const low = version.commitLsn & 0xffffffffn;
  return {
    commit_lsn: version.commitLsn.toString(),
    seq: version.seq.toString(),
    lsn: `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`,
  };
}

/** `16/B374D848#3`: how the text output writes a version. */
export function describeVersion(version: VersionJson): string {
  return `${version.lsn}#${version.seq}`;
}

export function isoTime(ms: number | null): string | null {
  return ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}
