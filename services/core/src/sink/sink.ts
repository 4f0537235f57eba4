/**
 * What every sink implements and what the sink runtime hands it. The runtime owns Kafka, the
 * registry, retries, rate limits, the circuit breaker, dead letters, offsets, metrics and spans;
 * a sink only knows how to write a batch to its target idempotently and never backwards.
 */

/** A row as decoded from Avro under `avroOptions` (longs are BigInt, decimals exact strings). */
export type SinkRow = Readonly<Record<string, unknown>>;

/** The version of a change (docs/contracts.md, Versions): it grows with commit order. */
export interface EventVersion {
  readonly commitLsn: bigint;
  readonly seq: bigint;
}

export function compareVersions(a: EventVersion, b: EventVersion): number {
  if (a.commitLsn !== b.commitLsn) return a.commitLsn < b.commitLsn ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

/**
 * A version as text whose string order is its version order (fixed-width hex), for targets
 * that compare strings (Redis scripts: Lua numbers lose precision beyond 2^53).
 */
export function versionText(version: EventVersion): string {
  return `${version.commitLsn.toString(16).padStart(16, '0')}/${version.seq.toString(16).padStart(16, '0')}`;
}

export function parseVersionText(text: string): EventVersion {
  const match = /^([0-9a-f]{16})\/([0-9a-f]{16})$/u.exec(text);
  if (!match) throw new Error(`not a version: ${JSON.stringify(text)}`);
  return { commitLsn: BigInt(`0x${match[1]}`), seq: BigInt(`0x${match[2]}`) };
}

/** One change event as a sink sees it. Tombstones never reach sinks (the delete event did). */
export interface SinkEvent {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** c insert, u update, d delete, r snapshot read, t truncate (key is empty for t). */
  readonly op: 'c' | 'u' | 'd' | 'r' | 't';
  /** The primary key, decoded (field name -> value). */
  readonly key: SinkRow;
  readonly before: SinkRow | null;
  /** Null for deletes and truncates. Fields listed in `unchanged` are null here and must be left as they are. */
  readonly after: SinkRow | null;
  /** Columns PostgreSQL did not send (unchanged TOAST): a partial update. */
  readonly unchanged: readonly string[];
  readonly version: EventVersion;
  /** Commit time at the source, ms since the epoch (newest_wins compares it). */
  readonly commitTimeMs: number;
  /** The source table (`source.schema`, `source.table`). */
  readonly table: { readonly schema: string; readonly name: string };
  readonly headers: Readonly<Record<string, string>>;
}

/** Someone changed the target since our last write; what was there and what we brought. */
export interface SinkConflict {
  readonly policy: ConflictPolicy;
  /** What the sink did: kept ours, kept theirs, merged field by field, or held for review. */
  readonly resolution: 'source' | 'target' | 'merged' | 'held';
  /** The target's record as found (without our bookkeeping fields). */
  readonly target: SinkRow | null;
  /** The record the event would have written. */
  readonly source: SinkRow | null;
  /** Fields whose value differed between what we last wrote and what the target holds. */
  readonly changedFields: readonly string[];
}

export const CONFLICT_POLICIES = ['source_wins', 'target_wins', 'newest_wins', 'merge', 'manual'] as const;
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

/** An event whose target record was edited directly since our last write, as a policy sees it. */
export interface ConflictingChange {
  /** The event deletes the row. */
  readonly isDelete: boolean;
  readonly commitTimeMs: number;
  /** When the target was edited (its timestamp field, read the sink's way); asked by newest_wins only. */
  readonly editedAtMs: () => number | undefined;
}

/** What a policy does with a conflicting event; the same for every sink. */
export function resolveConflict(
  policy: ConflictPolicy,
  change: ConflictingChange,
): SinkConflict['resolution'] {
  switch (policy) {
    case 'source_wins':
      return 'source';
    case 'target_wins':
      return 'target';
    case 'manual':
      return 'held';
    case 'merge':
      // A deleted row has no fields left to merge into.
      return change.isDelete ? 'source' : 'merged';
    case 'newest_wins': {
      const editedAt = change.editedAtMs();
      // An edit that says not when it happened cannot claim to be newer than a commit that does.
      return editedAt !== undefined && editedAt > change.commitTimeMs ? 'target' : 'source';
    }
  }
}

/** The fate of one event. */
export type WriteOutcome =
  /** Applied (or already applied: a duplicate of the version the target holds is `stale`). */
  | { readonly kind: 'written'; readonly conflict?: SinkConflict }
  /** Not applied: the target holds this version or a newer one. */
  | { readonly kind: 'stale' }
  /** This event can never be written (bad value, refused by the target): dead-letter it. */
  | { readonly kind: 'failed'; readonly reason: string; readonly conflict?: SinkConflict }
  /** Left as the target has it, by policy (target_wins, manual); the conflict is published. */
  | { readonly kind: 'skipped'; readonly conflict: SinkConflict };

export interface Sink {
  /** Shown in logs, metrics and dead letters. */
  readonly name: string;
  /** Connects and prepares the target (indexes, scripts). Throws a CdcError saying what is missing. */
  start(): Promise<void>;
  /**
   * Writes a batch idempotently and never backwards: per event, apply it only when its version
   * is newer than the one stored with the target record. Events are in offset order per
   * partition; one key may appear several times. Returns one outcome per event, in order.
   * Throws when the batch as a whole could not be written; `retriable` on the error (CdcError)
   * says whether trying again may help (a server away: yes; a refused command: no).
   */
  write(events: readonly SinkEvent[]): Promise<WriteOutcome[]>;
  close(): Promise<void>;
  /**
   * The version the target holds for one row (its record's, or its delete marker's), for
   * `cdc trace`: null when the target holds nothing for the row, undefined when this target
   * cannot tell (a receiver that guards versions itself). Only reads, and works without start().
   * A sink without it cannot tell either.
   */
  versionOf?(row: Pick<SinkEvent, 'topic' | 'key' | 'table'>): Promise<EventVersion | null | undefined>;
}
