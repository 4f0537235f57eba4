import { resolveConflict, type ConflictPolicy, type SinkConflict, type SinkRow } from '@cdc/core';
import { valueHash } from '../value-hash.ts';
import type { KeyChange } from './batch-plan.ts';
import { isMarkedDeleted, storedHashes } from './bookkeeping.ts';
import type { CalendarEvent } from './event-body.ts';
import type { EventMapping, PlaceValues } from './event-mapping.ts';

/** The entry's `conflict:` as the sink applies it. */
export interface ConflictSettings {
  readonly policy: ConflictPolicy;
  /** newest_wins: `updated` (Calendar's time of the last change) or a row field the template places whole. */
  readonly timestampField?: string | undefined;
}

export interface KeyConflict {
  readonly conflict: SinkConflict;
  /** source_wins and merge write; target_wins and manual leave the event as it is. */
  readonly write: boolean;
  /** merge: the fields whose calendar value stays (changed there, not at the source since our write). */
  readonly keepTheirs: readonly string[];
}

/** A hash per readable field, as stored with each write. */
export function fieldHashes(fields: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields).map(([field, value]) => [field, valueHash(value ?? null)]),
  );
}

/**
 * Whether someone changed the event in Calendar since the sink wrote it: the fields it can read
 * back whose value no longer hashes as what it stored (docs/contracts.md, Conflicts), or an event
 * cancelled there that the sink did not cancel; and what the policy makes of the key's newest
 * change, whose places are `ours` (kept places filled in). An event without stored hashes (not
 * written by this sink) has no conflict to tell.
 */
export function conflictAt(
  mapping: EventMapping,
  held: CalendarEvent,
  change: KeyChange,
  ours: PlaceValues | undefined,
  settings: ConflictSettings,
): KeyConflict | undefined {
  const properties = held.extendedProperties?.private;
  const stored = storedHashes(properties);
  if (!stored) return undefined;
  const cancelledThere = held.status === 'cancelled' && !isMarkedDeleted(properties);
  const isDelete = change.mapped === null;
  // Deleted on both sides: nothing to tell apart.
  if (cancelledThere && isDelete) return undefined;
  const fields = mapping.readFields(mapping.placesOf(held));
  const changedFields = cancelledThere
    ? Object.keys(stored).sort()
    : Object.keys(stored)
        .filter((field) => valueHash(fields[field] ?? null) !== stored[field])
        .sort();
  if (changedFields.length === 0) return undefined;
  const resolution = resolveConflict(settings.policy, {
    // An event cancelled in Calendar has no fields left to merge: as a delete, the policy takes one side.
    isDelete: isDelete || cancelledThere,
    commitTimeMs: change.commitTimeMs,
    editedAtMs: () => editedAtMs(held, fields, settings.timestampField),
  });
  const ourFields = ours ? mapping.readFields(ours) : {};
  const keepTheirs =
    resolution === 'merged'
      ? changedFields.filter((field) => valueHash(ourFields[field] ?? null) === stored[field])
      : [];
  const target: SinkRow | null = cancelledThere ? null : fields;
  return {
    conflict: { policy: settings.policy, resolution, target, source: change.row, changedFields },
    write: resolution === 'source' || resolution === 'merged',
    keepTheirs,
  };
}

function editedAtMs(
  held: CalendarEvent,
  fields: Readonly<Record<string, unknown>>,
  field: string | undefined,
): number | undefined {
  const value = field === undefined || field === 'updated' ? held.updated : fields[field];
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string') return undefined;
  // Extended properties hold text: ms since the epoch as digits, or ISO 8601.
  if (/^\d+$/u.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
