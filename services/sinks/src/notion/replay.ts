import { compareVersions, type SinkConflict } from '@cdc/core';
import type { ConflictSettings } from '../field-conflicts.ts';
import type { KeyPlan, ResolvedChange } from './batch-plan.ts';
import { conflictAt } from './conflicts.ts';
import { propertyHashOf, type HeldPage } from './held-page.ts';
import type { PropertyPayload } from './property-values.ts';
import { readSyncState, syncPayload } from './sync-state.ts';

/**
 * What a page write sends: one PATCH of the page, or a new page (POST) in the data source. The
 * sync property is among the properties; the caller adds the key property to a new page.
 */
export interface PageWrite {
  /** The page to update; undefined: create one. */
  readonly pageId: string | undefined;
  readonly properties: Record<string, PropertyPayload>;
  /** `in_trash` to send with the properties (an update). */
  readonly inTrash?: boolean;
  /** Trash the page with a second request: a new page of a deleted row, or a trashed page whose marker moved. */
  readonly trashAfter?: boolean;
}

/** What one key's changes of a batch come to, given the page Notion holds. */
export interface KeyWrite {
  /** Events the page holds already (its version is theirs or newer). */
  readonly stale: readonly number[];
  /** Events that are applied once `write` lands (at once when there is nothing to write). */
  readonly applied: readonly number[];
  readonly write?: PageWrite;
  /** Why the applied events cannot be written (they fail with it). */
  readonly refused?: string;
  /** Someone changed the page since our last write: what the policy made of it. */
  readonly conflict?: SinkConflict;
  /** The policy keeps the page as it is (target_wins, manual): the applied events are skipped. */
  readonly skipped?: boolean;
}

export interface ReplaySettings {
  readonly conflicts: ConflictSettings;
  /** Our integration's bot user: edits by anyone else are a person's. */
  readonly botId: string;
}

/**
 * Replays a key's changes newer than the page's version on what it holds, and makes them one
 * write: the newest change's properties (a property PostgreSQL did not send taken from the newest
 * change of the batch that had it, else left as the page has it), a delete as the page trashed
 * with the delete's version in its sync property, so that an older change replayed later stays
 * stale; a later insert takes the page out of the trash. A delete of a key Notion never had,
 * with nothing written before it in the batch, leaves nothing to mark.
 */
export function replayOnPage(
  plan: KeyPlan<ResolvedChange>,
  held: readonly HeldPage[],
  settings: ReplaySettings,
): KeyWrite {
  const all = plan.changes.map((change) => change.index);
  if (held.length > 1) {
    const ids = held.map((page) => page.id).join(', ');
    return {
      stale: [],
      applied: all,
      refused:
        `${held.length} pages of data source ${plan.mapping.dataSourceId} have ${plan.mapping.keyProperty} ` +
        `${JSON.stringify(plan.key)} (ids ${ids}): the sink needs one page per row; trash the duplicates in Notion`,
    };
  }
  const page = held[0];
  const sync = page ? readSyncState(page.properties[plan.mapping.syncProperty]) : undefined;
  const stale: number[] = [];
  const applied: ResolvedChange[] = [];
  for (const change of plan.changes) {
    if (sync && compareVersions(change.version, sync.version) <= 0) stale.push(change.index);
    else applied.push(change);
  }
  const last = applied.at(-1);
  const indexes = applied.map((change) => change.index);
  if (!last) {
    // Our delete's marker landed but not the trashing after it (the batch failed in between): finish it.
    const unfinished = page && sync?.deleted && !page.inTrash && page.lastEditedBy === settings.botId;
    return unfinished
      ? { stale, applied: indexes, write: { pageId: page.id, properties: {}, inTrash: true } }
      : { stale, applied: indexes };
  }
  const found =
    page && sync ? conflictAt(plan.mapping, page, sync, last, settings.conflicts, settings.botId) : undefined;
  if (found && !found.write) return { stale, applied: indexes, conflict: found.conflict, skipped: true };
  const withConflict = found ? { conflict: found.conflict } : {};

  const values = valuesAfter(applied, last.values === null ? applied.length - 1 : applied.length);
  for (const name of found?.keepTheirs ?? []) values.delete(name);
  const deleted = last.values === null;
  const write = (
    properties: Record<string, PropertyPayload>,
    more: Omit<PageWrite, 'pageId' | 'properties'>,
  ) => ({
    stale,
    applied: indexes,
    write: {
      pageId: page?.id,
      properties: {
        ...properties,
        [plan.mapping.syncProperty]: syncPayload({
          version: last.version,
          hashes: hashesAfter(plan, page, properties),
          deleted,
        }),
      },
      ...more,
    },
    ...withConflict,
  });
  if (!deleted) return write(Object.fromEntries(values), page?.inTrash ? { inTrash: false } : {});
  if (page && !page.inTrash) return write({}, { inTrash: true });
  // Notion edits no trashed page unless the same request restores it: restore with the new marker, trash again.
  if (page) return write({}, { inTrash: false, trashAfter: true });
  // A row inserted and deleted within the batch: its page is created, as the marker of the delete.
  if (applied.every((change) => change.values === null)) return { stale, applied: indexes };
  return write(Object.fromEntries(values), { trashAfter: true });
}

/**
 * The properties of the state the changes before `end` leave, each from the newest change that
 * sent it, counting from the last delete before `end` (a row inserted again starts afresh).
 */
function valuesAfter(applied: readonly ResolvedChange[], end: number): Map<string, PropertyPayload> {
  let from = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (applied[i]?.values === null) {
      from = i + 1;
      break;
    }
  }
  const values = new Map<string, PropertyPayload>();
  for (const change of applied.slice(from, end)) {
    for (const [name, payload] of change.values ?? []) values.set(name, payload);
  }
  return values;
}

/** A hash per mapped property of what the page holds after the write: what we send, else what it kept. */
function hashesAfter(
  plan: KeyPlan<ResolvedChange>,
  page: HeldPage | undefined,
  sent: Readonly<Record<string, PropertyPayload>>,
): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const property of plan.mapping.properties) {
    const value = Object.hasOwn(sent, property.name) ? sent[property.name] : page?.properties[property.name];
    hashes[property.name] = propertyHashOf(property, value);
  }
  return hashes;
}
