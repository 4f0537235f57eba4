import { compareVersions, type SinkConflict } from '@cdc/core';
import { fieldHashes, type ConflictSettings } from '../field-conflicts.ts';
import type { KeyPlan } from './batch-plan.ts';
import { conflictAt } from './conflicts.ts';
import type { ServerResource, WritePlace } from './fhir-client.ts';
import type { FhirResource, KeptElement } from './mapping/index.ts';
import { sourceVersionOf, withSourceVersion } from './source-version.ts';

/** What one resource's changes of a batch come to, given what the server holds. */
export interface KeyWrite {
  /** Events the server holds already (its version is theirs or newer). */
  readonly stale: readonly number[];
  /** Events that are applied once `write` lands (at once when there is nothing to write). */
  readonly applied: readonly number[];
  /** The resource to put, where; undefined: nothing to write. */
  readonly write?: { readonly place: WritePlace; readonly resource: FhirResource };
  /** Why the applied events cannot be written (they fail with it). */
  readonly refused?: string;
  /** Someone changed the server's resource since our last write: what the policy made of it. */
  readonly conflict?: SinkConflict;
  /** The policy keeps the server's resource (target_wins, manual): the applied events are skipped. */
  readonly skipped?: boolean;
}

/**
 * Applies a key's changes newer than the server's version, in order, on top of the server's
 * resource: a row's resource takes the elements it keeps (unchanged TOAST) from the state before
 * it, a delete marks that state as its type's `on_delete` says. Replaying on the server's state,
 * not on the previous event of the batch, takes each kept element from the newest version that
 * had it, whichever side holds it. A delete of a resource the server never had, with nothing
 * written before it in the batch, leaves nothing to mark.
 */
export function replayOnServer(
  plan: KeyPlan,
  held: readonly ServerResource[],
  validate: (resource: FhirResource) => string | undefined,
  conflicts?: ConflictSettings,
): KeyWrite {
  const all = plan.changes.map((change) => change.index);
  if (held.length > 1) {
    const ids = held.map((resource) => resource.id).join(', ');
    return {
      stale: [],
      applied: all,
      refused:
        `${held.length} ${plan.type} resources carry identifier ${plan.identifier.system}|${plan.identifier.value} ` +
        `(ids ${ids}): a conditional update needs exactly one; merge or remove the duplicates at the server`,
    };
  }
  const server = held[0];
  const serverVersion = server ? sourceVersionOf(server.resource) : undefined;
  const stale: number[] = [];
  const applied: number[] = [];
  let state: FhirResource | undefined = server ? dataOf(server.resource) : undefined;
  let changedState = false;
  for (const change of plan.changes) {
    if (serverVersion && compareVersions(change.version, serverVersion) <= 0) {
      stale.push(change.index);
      continue;
    }
    applied.push(change.index);
    if (change.mapped) {
      state = withKept(change.mapped.resource, change.mapped.keep, state);
      changedState = true;
    } else if (state) {
      state = { ...state, ...plan.mapping.onDelete };
      changedState = true;
    }
  }
  const last = plan.changes.at(-1);
  if (applied.length === 0 || !last) return { stale, applied };
  const found = server && conflicts ? conflictAt(plan.mapping, server.resource, last, conflicts) : undefined;
  if (found && !found.write) return { stale, applied, conflict: found.conflict, skipped: true };
  if (!changedState || !state) return { stale, applied };
  for (const field of found?.keepTheirs ?? []) {
    state = plan.mapping.withFieldFrom(state, dataOf(server!.resource), field);
  }
  if (plan.changes.some((change) => applied.includes(change.index) && change.mapped?.keep.length)) {
    const invalid = validate(state);
    if (invalid !== undefined) return { stale, applied, refused: invalid };
  }
  const place: WritePlace = server
    ? { id: server.id, versionId: server.versionId }
    : { identifier: plan.identifier };
  const deleted = last.mapped === null;
  const hashes = fieldHashes(plan.mapping.readFields(state));
  const resource = withSourceVersion(state, last.version, deleted, hashes);
  return { stale, applied, write: { place, resource }, ...(found ? { conflict: found.conflict } : {}) };
}

/** A row's resource with the elements it keeps taken from the state before it (absent there: absent). */
function withKept(
  resource: FhirResource,
  keep: readonly KeptElement[],
  before: FhirResource | undefined,
): FhirResource {
  const next: Record<string, unknown> = { ...resource };
  for (const { element, url } of keep) {
    const held = before?.[element];
    if (url === undefined) {
      if (held !== undefined) next[element] = held;
      continue;
    }
    const items = Array.isArray(held) ? (held as { url?: unknown }[]).filter((item) => item.url === url) : [];
    if (items.length === 0) continue;
    next[element] = [...((next[element] as unknown[] | undefined) ?? []), ...items];
  }
  return next as FhirResource;
}

/** The resource without what the server owns: `meta` and `id` (the write sets the id again). */
function dataOf(resource: FhirResource): FhirResource {
  const data: Record<string, unknown> = {};
  for (const [element, value] of Object.entries(resource)) {
    if (element !== 'meta' && element !== 'id') data[element] = value;
  }
  return data as FhirResource;
}
