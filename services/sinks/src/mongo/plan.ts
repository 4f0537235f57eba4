import type { AnyBulkWriteOperation, Document } from 'mongodb';
import {
  compareVersions,
  resolveConflict,
  type ConflictPolicy,
  type EventVersion,
  type SinkConflict,
  type SinkEvent,
  type WriteOutcome,
} from '@cdc/core';
import { changedFields, mergedFields, timeMs } from './conflicts.ts';
import type { DocumentId } from './document-id.ts';
import type { MappedRow } from './field-mapping.ts';
import {
  META,
  isOlder,
  versionGuard,
  type CdcMeta,
  type StoredState,
  type TargetDocument,
} from './stored-document.ts';
import { valueHash } from '../value-hash.ts';

export type DocumentChange =
  | { readonly kind: 'upsert'; readonly index: number; readonly event: SinkEvent; readonly row: MappedRow }
  | { readonly kind: 'delete'; readonly index: number; readonly event: SinkEvent };

export interface PlanSettings {
  readonly policy: ConflictPolicy;
  readonly timestampField?: string | undefined;
  readonly deleteRetentionMs: number;
  readonly now: number;
}

/** One document's share of a batch: an outcome per event, and at most one write. */
export interface DocumentPlan {
  /** By event index; final unless the write below turns out stale or failed. */
  readonly outcomes: Map<number, WriteOutcome>;
  readonly write?: {
    readonly version: EventVersion;
    readonly model: AnyBulkWriteOperation<TargetDocument>;
    /** The guarded upsert, when `model` is a plain insert that may collide with a concurrent write. */
    readonly fallback: AnyBulkWriteOperation<TargetDocument>;
    /** Events whose outcome is this write's. */
    readonly indexes: readonly number[];
  };
}

const WRITTEN: WriteOutcome = { kind: 'written' };
const STALE: WriteOutcome = { kind: 'stale' };

/**
 * Applies a document's events in batch order to what the target holds (read just before), as if
 * written one by one, and folds what survives into one write. The write keeps the version guard:
 * should a newer version land between the read and the write, it still wins.
 *
 * `floor`: the version of the collection's last truncate; nothing older may come back.
 */
export function planDocument(
  id: DocumentId,
  found: StoredState,
  changes: readonly DocumentChange[],
  settings: PlanSettings,
  floor: EventVersion | null,
): DocumentPlan {
  const outcomes = new Map<number, WriteOutcome>();
  const initial = underFloor(found, floor);
  let state: StoredState = initial.state;
  // A delete (or a truncate) in between: the document is rewritten as a whole, not patched.
  let rewrite = initial.rewrite;
  const set: Record<string, unknown> = {};
  const hashes: Record<string, string> = {};
  const applied: number[] = [];
  let last: DocumentChange | undefined;

  for (const change of changes) {
    const { event, index } = change;
    if (!isOlder(state.version, event.version)) {
      outcomes.set(index, STALE);
      continue;
    }
    const incoming = change.kind === 'upsert' ? change.row.fields : null;
    const changed = changedFields(state, incoming);
    let conflict: SinkConflict | undefined;
    let write = incoming;
    if (changed.length > 0) {
      const resolution = resolveConflict(settings.policy, {
        isDelete: change.kind === 'delete',
        commitTimeMs: event.commitTimeMs,
        editedAtMs: () => {
          const field = settings.timestampField;
          return field === undefined ? undefined : timeMs(state.fields[field]);
        },
      });
      conflict = {
        policy: settings.policy,
        resolution,
        target: { ...state.fields },
        source: incoming ? { ...incoming } : null,
        changedFields: changed,
      };
      if (resolution === 'target' || resolution === 'held') {
        outcomes.set(index, { kind: 'skipped', conflict });
        continue;
      }
      if (resolution === 'merged' && incoming) write = mergedFields(incoming, state, changed);
    }
    if (change.kind === 'delete' || !incoming || !write) {
      state = { exists: true, version: event.version, deleted: true, hashes: null, fields: {} };
      rewrite = true;
      for (const field of Object.keys(set)) delete set[field];
      for (const field of Object.keys(hashes)) delete hashes[field];
    } else {
      const incomingHashes = Object.fromEntries(Object.entries(incoming).map(([f, v]) => [f, valueHash(v)]));
      Object.assign(set, write);
      Object.assign(hashes, incomingHashes);
      state = {
        exists: true,
        version: event.version,
        deleted: false,
        hashes: { ...(state.deleted ? {} : (state.hashes ?? {})), ...incomingHashes },
        fields: { ...(state.deleted ? {} : state.fields), ...write },
      };
    }
    applied.push(index);
    last = change;
    outcomes.set(index, conflict ? { kind: 'written', conflict } : WRITTEN);
  }

  if (!last) return { outcomes };
  const version = last.event.version;
  const filter = versionGuard(id.value, version);
  const stale = Object.keys(found.fields).filter((field) => !Object.hasOwn(state.fields, field));
  const whole: CdcMeta =
    last.kind === 'delete'
      ? {
          lsn: version.commitLsn,
          seq: version.seq,
          deleted: true,
          expire_at: new Date(settings.now + settings.deleteRetentionMs),
        }
      : { lsn: version.commitLsn, seq: version.seq, h: { ...(state.hashes ?? {}) } };
  let update: Document;
  if (last.kind === 'delete') {
    update = withUnset({ $set: { [META]: whole } }, stale);
  } else if (rewrite) {
    update = withUnset({ $set: { ...state.fields, [META]: whole } }, stale);
  } else {
    update = {
      $set: {
        ...set,
        [`${META}.lsn`]: version.commitLsn,
        [`${META}.seq`]: version.seq,
        ...Object.fromEntries(Object.entries(hashes).map(([field, hash]) => [`${META}.h.${field}`, hash])),
      },
      $unset: { [`${META}.deleted`]: '', [`${META}.expire_at`]: '' },
    };
  }
  // updateMany, not updateOne/replaceOne: the filter names one _id either way, and FerretDB 1.x
  // leaks a pooled connection per single-document statement of an update command until the
  // command ends (a command of 100 such statements never answers); multi drains its query.
  const guarded: AnyBulkWriteOperation<TargetDocument> = { updateMany: { filter, update, upsert: true } };
  // Absent when read: a plain insert, far cheaper than an upsert's query on FerretDB. Should
  // someone insert it meanwhile, the insert collides and the guarded upsert decides instead.
  const model: AnyBulkWriteOperation<TargetDocument> = found.exists
    ? guarded
    : ({
        insertOne: { document: { _id: id.value, ...state.fields, [META]: whole } },
      } as unknown as AnyBulkWriteOperation<TargetDocument>);
  return { outcomes, write: { version, indexes: applied, model, fallback: guarded } };
}

function withUnset(update: Document, fields: readonly string[]): Document {
  return fields.length === 0 ? update : { ...update, $unset: Object.fromEntries(fields.map((f) => [f, ''])) };
}

/** What a truncate newer than the document means for it: gone, unless written after the truncate. */
function underFloor(
  found: StoredState,
  floor: EventVersion | null,
): { state: StoredState; rewrite: boolean } {
  if (floor === null) return { state: found, rewrite: false };
  if (found.version !== null && compareVersions(found.version, floor) >= 0)
    return { state: found, rewrite: false };
  if (found.exists && found.version === null) return { state: { ...found, version: floor }, rewrite: false };
  return {
    state: { exists: found.exists, version: floor, deleted: true, hashes: null, fields: {} },
    rewrite: found.exists,
  };
}
