import {
  fieldHashConflict,
  timestampMs,
  type ConflictSettings,
  type KeyConflict,
} from '../field-conflicts.ts';
import type { KeyChange } from './batch-plan.ts';
import type { FhirResource, ResourceMapping } from './mapping/index.ts';
import { storedHashes } from './source-version.ts';

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
  return fieldHashConflict({
    stored,
    current: target,
    ours: change.mapped ? mapping.readFields(change.mapped.resource) : {},
    change: { isDelete: change.mapped === null, commitTimeMs: change.commitTimeMs, row: change.row },
    settings,
    editedAtMs: () => editedAtMs(server, target, settings.timestampField),
  });
}

/** newest_wins: `meta.lastUpdated` (the server's own time of the edit), or a row field the template places. */
function editedAtMs(
  server: FhirResource,
  target: Readonly<Record<string, unknown>>,
  field: string | undefined,
): number | undefined {
  return timestampMs(
    field === undefined || field === 'meta.lastUpdated'
      ? (server.meta as { lastUpdated?: unknown } | undefined)?.lastUpdated
      : target[field],
  );
}
