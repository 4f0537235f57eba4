import {
  changedFieldsOf,
  decideConflict,
  theirFields,
  timestampMs,
  type ConflictSettings,
  type KeyConflict,
} from '../field-conflicts.ts';
import type { KeyChange } from './batch-plan.ts';
import { isMarkedDeleted, storedHashes } from './bookkeeping.ts';
import type { CalendarEvent } from './event-body.ts';
import type { EventMapping, PlaceValues } from './event-mapping.ts';

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
  const changedFields = cancelledThere ? Object.keys(stored).sort() : changedFieldsOf(stored, fields);
  if (changedFields.length === 0) return undefined;
  return decideConflict(settings, {
    changedFields,
    target: cancelledThere ? null : fields,
    // An event cancelled in Calendar has no fields left to merge: as a delete, the policy takes one side.
    isDelete: isDelete || cancelledThere,
    commitTimeMs: change.commitTimeMs,
    source: change.row,
    editedAtMs: () => editedAtMs(held, fields, settings.timestampField),
    keepTheirs: () => theirFields(changedFields, stored, ours ? mapping.readFields(ours) : {}),
  });
}

/** newest_wins: `updated` (Calendar's time of the last change), or a row field the template places whole. */
function editedAtMs(
  held: CalendarEvent,
  fields: Readonly<Record<string, unknown>>,
  field: string | undefined,
): number | undefined {
  const value = field === undefined || field === 'updated' ? held.updated : fields[field];
  // Extended properties hold text: ms since the epoch as digits, or ISO 8601.
  if (typeof value === 'string' && /^\d+$/u.test(value)) return Number(value);
  return timestampMs(value);
}
