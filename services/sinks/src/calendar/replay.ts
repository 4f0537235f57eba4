import { compareVersions, type SinkConflict } from '@cdc/core';
import { fieldHashes, type ConflictSettings } from '../field-conflicts.ts';
import type { KeyPlan } from './batch-plan.ts';
import { storedVersion } from './bookkeeping.ts';
import { conflictAt } from './conflicts.ts';
import { eventToWrite, type CalendarEvent } from './event-body.ts';
import type { MappedEvent, PlaceValue, PlaceValues } from './event-mapping.ts';
import { propertiesProblem } from './property-limits.ts';

/** What one event's changes of a batch come to, given what the calendar holds. */
export interface KeyDecision {
  /** Changes the calendar holds already (its version is theirs or newer). */
  readonly stale: readonly number[];
  /** Changes that are applied once `write` lands (at once when there is nothing to write). */
  readonly applied: readonly number[];
  /** The event to send: a new one (insert with our id) or a replacement of the one read (If-Match its etag). */
  readonly write?: {
    readonly mode: 'insert' | 'update';
    readonly event: CalendarEvent;
    readonly etag?: string | undefined;
  };
  /** Why the applied changes cannot be written (they fail with it). */
  readonly refused?: string;
  /** Someone changed the event in Calendar since our last write: what the policy made of it. */
  readonly conflict?: SinkConflict;
  /** The policy keeps the calendar's event (target_wins, manual): the applied changes are skipped. */
  readonly skipped?: boolean;
  /**
   * The write is a first step, for a row inserted and deleted within the batch that the calendar
   * never had: its insert, then a decision again on the inserted event (which cancels it). One
   * insert of a cancelled event would do, but a cancelled state is only ever reached by update here.
   */
  readonly more?: boolean;
}

export interface ReplaySettings {
  readonly sink: string;
  readonly conflicts?: ConflictSettings | undefined;
}

/**
 * Applies an event's changes newer than the calendar's version, in order, on top of what it
 * holds: a row's places replace the event's, except those it keeps (unchanged TOAST), which come
 * from the state before it; a delete cancels the event (its places stay, with the delete's
 * version as marker, so that an older replayed insert stays stale); a later insert brings a
 * cancelled event back as confirmed, under the same id. The newest change of the key decides
 * the conflict, as it decides what is written.
 */
export function decide(
  plan: KeyPlan,
  held: CalendarEvent | undefined,
  settings: ReplaySettings,
): KeyDecision {
  const heldVersion = held ? storedVersion(held.extendedProperties?.private) : undefined;
  const stale: number[] = [];
  const applied: number[] = [];
  let state: PlaceValues | undefined = held ? plan.mapping.placesOf(held) : undefined;
  let live = held ? held.status !== 'cancelled' : false;
  let changed = false;
  for (const change of plan.changes) {
    if (heldVersion && compareVersions(change.version, heldVersion) <= 0) {
      stale.push(change.index);
      continue;
    }
    applied.push(change.index);
    if (change.mapped) {
      state = withKept(change.mapped, state);
      live = true;
      changed = true;
    } else if (state) {
      live = false;
      changed = true;
    }
  }
  const last = plan.changes.at(-1);
  if (applied.length === 0 || !last) return { stale, applied };
  if (!held && state && !live) return insertBeforeCancel(plan, settings);
  const found =
    held && settings.conflicts
      ? conflictAt(plan.mapping, held, last, live ? state : undefined, settings.conflicts)
      : undefined;
  if (found && !found.write) return { stale, applied, conflict: found.conflict, skipped: true };
  if (!changed || !state) return { stale, applied };
  if (found && held) state = withTheirs(plan, state, held, found.keepTheirs);
  const hashes = fieldHashes(plan.mapping.readFields(state));
  // A live row's event is confirmed, or stays tentative if someone marked it so in Calendar.
  const status = !live ? 'cancelled' : held?.status === 'tentative' ? 'tentative' : 'confirmed';
  const event = eventToWrite(plan.eventId, held, state, status, {
    sink: settings.sink,
    version: last.version,
    deleted: !live,
    hashes,
  });
  const conflict = found ? { conflict: found.conflict } : {};
  const problem = propertiesProblem(event.extendedProperties ?? {});
  if (problem !== undefined) return { stale, applied, refused: problem, ...conflict };
  const write = held
    ? { mode: 'update' as const, event, etag: held.etag ?? undefined }
    : { mode: 'insert' as const, event };
  return { stale, applied, write, ...conflict };
}

/** The insert of a new event as of its last row before the batch deleted it; the cancel follows. */
function insertBeforeCancel(plan: KeyPlan, settings: ReplaySettings): KeyDecision {
  const lastRow = plan.changes.findLastIndex((change) => change.mapped !== null);
  const first = decide({ ...plan, changes: plan.changes.slice(0, lastRow + 1) }, undefined, settings);
  return { ...first, more: true };
}

/** A row's places, with those it keeps taken from the state before it (none there: cleared). */
function withKept(mapped: MappedEvent, before: PlaceValues | undefined): PlaceValues {
  const values: Record<string, PlaceValue | null> = { ...mapped.values };
  for (const place of mapped.keep) values[place] = before?.[place] ?? null;
  return values;
}

/** merge: the places of the fields changed in Calendar and not at the source keep the calendar's value. */
function withTheirs(
  plan: KeyPlan,
  state: PlaceValues,
  held: CalendarEvent,
  fields: readonly string[],
): PlaceValues {
  if (fields.length === 0) return state;
  const theirs = plan.mapping.placesOf(held);
  const values: Record<string, PlaceValue | null> = { ...state };
  for (const field of fields) {
    const place = plan.mapping.placeOf(field);
    if (place !== undefined) values[place] = theirs[place] ?? null;
  }
  return values;
}
