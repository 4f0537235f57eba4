import { resolveConflict, type ConflictPolicy, type SinkConflict, type SinkRow } from '@cdc/core';
import { valueHash } from './value-hash.ts';

/** The entry's `conflict:` as a sink applies it. */
export interface ConflictSettings {
  readonly policy: ConflictPolicy;
  /** newest_wins: where the target's time of the edit is read (each sink says what it may name). */
  readonly timestampField?: string | undefined;
}

export interface KeyConflict {
  readonly conflict: SinkConflict;
  /** source_wins and merge write; target_wins and manual leave the target's record. */
  readonly write: boolean;
  /** merge: the fields whose target value stays (changed there, not at the source since our write). */
  readonly keepTheirs: readonly string[];
}

/** What a sink found of a key's conflict, for the policy to decide. */
export interface FoundConflict {
  /** The fields changed at the target since our write, sorted (the sink found some change). */
  readonly changedFields: readonly string[];
  /** The target's record as found, null where it is gone there. */
  readonly target: SinkRow | null;
  /** The key's newest change, as the policy sees it. */
  readonly isDelete: boolean;
  readonly commitTimeMs: number;
  /** What a conflict record shows as ours. */
  readonly source: SinkRow | null;
  /** When the target was edited; asked by newest_wins only. */
  readonly editedAtMs: () => number | undefined;
  /** merge: which of the changed fields keep the target's value; asked when merging only. */
  readonly keepTheirs: () => readonly string[];
}

/** A hash per readable field, as stored with each write (a missing value hashes as null). */
export function fieldHashes(fields: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields).map(([field, value]) => [field, valueHash(value ?? null)]),
  );
}

/** The stored fields whose current value no longer hashes as what we wrote, sorted. */
export function changedFieldsOf(
  stored: Readonly<Record<string, string>>,
  current: Readonly<Record<string, unknown>>,
): string[] {
  return Object.keys(stored)
    .filter((field) => valueHash(current[field] ?? null) !== stored[field])
    .sort();
}

/**
 * merge: of the changed fields, those our new value leaves as we last wrote them. The source did
 * not change them since, so the edit at the target is the newer word and stays.
 */
export function theirFields(
  changedFields: readonly string[],
  stored: Readonly<Record<string, string>>,
  ours: Readonly<Record<string, unknown>>,
): string[] {
  return changedFields.filter((field) => valueHash(ours[field] ?? null) === stored[field]);
}

/** What the policy makes of a conflict a sink found: the record to publish and whether to write. */
export function decideConflict(settings: ConflictSettings, found: FoundConflict): KeyConflict {
  const resolution = resolveConflict(settings.policy, {
    isDelete: found.isDelete,
    commitTimeMs: found.commitTimeMs,
    editedAtMs: found.editedAtMs,
  });
  const { changedFields, target, source } = found;
  return {
    conflict: { policy: settings.policy, resolution, target, source, changedFields },
    write: resolution === 'source' || resolution === 'merged',
    keepTheirs: resolution === 'merged' ? found.keepTheirs() : [],
  };
}

/** The key's newest change, as a field-hash conflict sees it. */
export interface ConflictingChange {
  readonly isDelete: boolean;
  readonly commitTimeMs: number;
  readonly row: SinkRow | null;
}

/**
 * A conflict told by field hashes (docs/contracts.md, Conflicts): the fields whose `current`
 * value no longer hashes as `stored`, and what the policy makes of them given our new field
 * values (`ours`, empty for a delete). None changed: no conflict.
 */
export function fieldHashConflict(input: {
  readonly stored: Readonly<Record<string, string>>;
  readonly current: Readonly<Record<string, unknown>>;
  readonly ours: Readonly<Record<string, unknown>>;
  readonly change: ConflictingChange;
  readonly settings: ConflictSettings;
  readonly editedAtMs: () => number | undefined;
}): KeyConflict | undefined {
  const { stored, current, ours, change } = input;
  const changedFields = changedFieldsOf(stored, current);
  if (changedFields.length === 0) return undefined;
  return decideConflict(input.settings, {
    changedFields,
    target: current,
    isDelete: change.isDelete,
    commitTimeMs: change.commitTimeMs,
    source: change.row,
    editedAtMs: input.editedAtMs,
    keepTheirs: () => theirFields(changedFields, stored, ours),
  });
}

/** ms since the epoch from a timestamp as a target holds it: a number of ms, a long, or date text. */
export function timestampMs(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
