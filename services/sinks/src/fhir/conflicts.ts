import { resolveConflict, type ConflictPolicy, type SinkConflict } from '@cdc/core';
import { valueHash } from '../value-hash.ts';
import type { KeyChange } from './batch-plan.ts';
import type { FhirResource, ResourceMapping } from './mapping/index.ts';
import { storedHashes } from './source-version.ts';

/** The entry's `conflict:` as the sink applies it. */
export interface ConflictSettings {
  readonly policy: ConflictPolicy;
  /** newest_wins: `meta.lastUpdated` (the server's own time of the edit) or a row field the template places. */
  readonly timestampField?: string | undefined;
}

export interface KeyConflict {
  readonly conflict: SinkConflict;
  /** source_wins and merge write; target_wins and manual leave the server's resource. */
  readonly write: boolean;
  /** merge: the fields whose server value stays (changed there, not at the source since our write). */
  readonly keepTheirs: readonly string[];
}

export function fieldHashes(fields: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([field, value]) => [field, valueHash(value)]));
}

/**
 * Whether someone changed the server's resource since the sink wrote it: the fields it can read
 * back whose value no longer hashes as what it wrote (docs/contracts.md, Conflicts), and what the
 * policy makes of the key's newest change. A resource without stored hashes (written by someone
 * else, or by an older sink) has no conflict to tell.
 */
export function conflictAt(
  mapping: ResourceMapping,
  server: FhirResource,
  change: KeyChange,
  settings: ConflictSettings,
): KeyConflict | undefined {
  const stored = storedHashes(server);
  if (!stored) return undefined;
  const target = mapping.readFields(server);
  const changedFields = Object.keys(stored)
    .filter((field) => valueHash(target[field] ?? null) !== stored[field])
    .sort();
  if (changedFields.length === 0) return undefined;
  const resolution = resolveConflict(settings.policy, {
    isDelete: change.mapped === null,
    commitTimeMs: change.commitTimeMs,
    editedAtMs: () => editedAtMs(server, target, settings.timestampField),
  });
  const ours = change.mapped ? mapping.readFields(change.mapped.resource) : {};
  const keepTheirs =
    resolution === 'merged'
      ? changedFields.filter((field) => valueHash(ours[field] ?? null) === stored[field])
      : [];
  return {
    conflict: { policy: settings.policy, resolution, target, source: change.row, changedFields },
    write: resolution === 'source' || resolution === 'merged',
    keepTheirs,
  };
}

function editedAtMs(
  server: FhirResource,
  target: Readonly<Record<string, unknown>>,
  field: string | undefined,
): number | undefined {
  const value =
    field === undefined || field === 'meta.lastUpdated'
      ? (server.meta as { lastUpdated?: unknown } | undefined)?.lastUpdated
      : target[field];
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
