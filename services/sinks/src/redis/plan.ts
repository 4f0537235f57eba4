import {
  errorMessage,
  resolveConflict,
  type ConflictPolicy,
  type SinkConflict,
  type SinkEvent,
} from '@cdc/core';
import { bookkeepingEntries } from './bookkeeping.ts';
import { changeTimeMs, sourceRow } from './conflict.ts';
import type { DataWrite, RecordFormat } from './format.ts';
import {
  EMPTY_TARGET,
  changedFields,
  fieldDigest,
  sameRaw,
  targetRow,
  type RecordState,
  type Target,
  type TargetField,
} from './record.ts';
import { scriptArgs } from './script.ts';

export interface PlanSettings {
  readonly format: RecordFormat;
  readonly policy: ConflictPolicy;
  readonly timestampField: string | undefined;
  readonly ttlSeconds: number | undefined;
  readonly deleteRetentionMs: number;
}

export type Decision =
  | { readonly kind: 'stale' }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'skipped'; readonly conflict: SinkConflict }
  | {
      readonly kind: 'write';
      /** ARGV of the write script. */
      readonly args: (string | Buffer)[];
      /** The record once the script has written it. */
      readonly next: RecordState;
      readonly conflict?: SinkConflict;
    };

const NO_DIGESTS: ReadonlyMap<string, string> = new Map();

/**
 * Decides one event against the record as read (or as the batch's earlier writes leave it): stale,
 * skipped by the conflict policy, or the exact write, with the record it leaves behind so that the
 * next event for the same key can be decided before anything is sent.
 */
export function plan(
  event: SinkEvent,
  version: string,
  state: RecordState,
  settings: PlanSettings,
): Decision {
  if (state.version !== null && version <= state.version) return { kind: 'stale' };

  let resolution: SinkConflict['resolution'] | undefined;
  let conflict: SinkConflict | undefined;
  const changed = conflicting(state, settings) ? changedFields(state) : [];
  if (changed.length > 0) {
    resolution = resolveConflict(settings.policy, {
      isDelete: event.op === 'd',
      commitTimeMs: event.commitTimeMs,
      editedAtMs: () => {
        const field = settings.timestampField;
        return changeTimeMs(field === undefined ? undefined : state.target?.get(field)?.value);
      },
    });
    conflict = {
      policy: settings.policy,
      resolution,
      target: targetRow(state.target),
      source: sourceRow(event),
      changedFields: changed,
    };
    if (resolution === 'target' || resolution === 'held') return { kind: 'skipped', conflict };
  }

  if (event.op === 'd') {
    const next: RecordState = { version, deleted: true, digests: NO_DIGESTS, target: null, fingerprint: '' };
    const args = scriptArgs({
      format: settings.format.kind,
      expectedVersion: state.version,
      expectedFingerprint: state.fingerprint,
      version,
      action: 'del',
      ttlSeconds: undefined,
      bookkeepingTtlMs: settings.deleteRetentionMs,
      data: null,
      bookkeeping: bookkeepingEntries(version, true, NO_DIGESTS),
    });
    return { kind: 'write', args, next, ...(conflict ? { conflict } : {}) };
  }

  if (event.after === null) return { kind: 'failed', reason: `an '${event.op}' event without an after row` };
  let upsert: Upsert;
  try {
    upsert = upsertOf(event, state, settings, resolution === 'merged');
  } catch (error) {
    return { kind: 'failed', reason: `a value cannot be written to Redis: ${errorMessage(error)}` };
  }
  const { ttlSeconds } = settings;
  const args = scriptArgs({
    format: settings.format.kind,
    expectedVersion: state.version,
    expectedFingerprint: state.fingerprint,
    version,
    action: 'put',
    ttlSeconds,
    // The version outlives the row by the delete retention, so that replays stay stale meanwhile.
    bookkeepingTtlMs: ttlSeconds === undefined ? undefined : ttlSeconds * 1000 + settings.deleteRetentionMs,
    data: upsert.data,
    bookkeeping: bookkeepingEntries(version, false, upsert.digests),
  });
  const next = new WrittenRecord(version, upsert.digests, upsert.data);
  return { kind: 'write', args, next, ...(conflict ? { conflict } : {}) };
}

/** A record as our write leaves it. */
class WrittenRecord implements RecordState {
  readonly version: string;
  readonly deleted = false;
  readonly digests: ReadonlyMap<string, string>;
  readonly target: Target | null;
  readonly #data: DataWrite;
  #fingerprint: string | undefined;

  constructor(version: string, digests: ReadonlyMap<string, string>, data: DataWrite) {
    this.version = version;
    this.digests = digests;
    this.target = data.target;
    this.#data = data;
  }

  get fingerprint(): string {
    return (this.#fingerprint ??= this.#data.fingerprint());
  }
}

/**
 * Whether a difference between target and digests means someone edited the target. Not when we
 * never wrote the record (no last write to differ from), nor when a row with a TTL has expired.
 */
function conflicting(state: RecordState, settings: PlanSettings): boolean {
  if (state.version === null) return false;
  return !(settings.ttlSeconds !== undefined && !state.deleted && state.target === null);
}

interface Upsert {
  readonly data: DataWrite;
  readonly digests: Map<string, string>;
}

function upsertOf(event: SinkEvent, state: RecordState, settings: PlanSettings, merge: boolean): Upsert {
  const { format } = settings;
  const unchanged = event.unchanged.length > 0 ? new Set(event.unchanged) : undefined;
  const next = new Map(state.target ?? EMPTY_TARGET);
  const set: TargetField[] = [];
  const removed: string[] = [];
  // merge: fields the source has not changed since our last write keep the target's value.
  const kept: string[] = [];
  for (const [name, value] of Object.entries(event.after ?? {})) {
    if (unchanged?.has(name)) continue;
    const field = format.field(name, value);
    if (merge && (field === null ? undefined : fieldDigest(field)) === state.digests.get(name)) {
      kept.push(name);
    } else if (field === null) {
      if (next.delete(name)) removed.push(name);
    } else {
      // Most columns of an update hold what the record holds: the record's field stays (with its
      // digest taken already), and the script leaves it alone.
      const current = next.get(name);
      if (current !== undefined && sameRaw(current.raw, field.raw)) continue;
      next.set(name, field);
      set.push(field);
    }
  }
  // What the record holds after the write is the new baseline, except that kept fields go on
  // recording what the source said, so that merge still tells a later source change from none.
  const digests = new Map<string, string>();
  for (const [name, field] of next) digests.set(name, fieldDigest(field));
  for (const name of kept) {
    const stored = state.digests.get(name);
    if (stored === undefined) digests.delete(name);
    else digests.set(name, stored);
  }
  return { data: format.write(next, set, removed), digests };
}
