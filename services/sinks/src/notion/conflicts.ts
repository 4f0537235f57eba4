import type { SinkRow } from '@cdc/core';
import { decideConflict, type ConflictSettings, type KeyConflict } from '../field-conflicts.ts';
import type { ResolvedChange } from './batch-plan.ts';
import { timeMs } from './dates.ts';
import { heldHashes, propertyHashOf, type HeldPage } from './held-page.ts';
import { readValue } from './property-values.ts';
import { plainText } from './rich-text.ts';
import type { SyncState } from './sync-state.ts';
import type { TableMapping } from './table-mapping.ts';

/** The page's own time of its last edit, which newest_wins compares by default. */
export const LAST_EDITED_TIME = 'last_edited_time';

/**
 * Whether someone changed the page since the sink wrote it (docs/contracts.md, Conflicts): the
 * last edit is not our bot's, and mapped properties no longer hash as our sync state says (or a
 * person trashed the page of a live row). What the policy makes of the key's newest change. A
 * page without our state has no conflict to tell.
 *
 * A page trashed by a person counts as changed in every field. merge then writes ours and takes
 * the page out of the trash: a trashed page has no field left to keep.
 */
export function conflictAt(
  mapping: TableMapping,
  page: HeldPage,
  sync: SyncState,
  change: ResolvedChange,
  settings: ConflictSettings,
  botId: string,
): KeyConflict | undefined {
  if (page.lastEditedBy === botId) return undefined;
  const trashedByThem = page.inTrash && !sync.deleted;
  const held = heldHashes(mapping, page);
  const changed = mapping.properties.filter((property) => {
    const stored = sync.hashes[property.name];
    if (trashedByThem) return true;
    // A page object lists 25 related pages at most (has_more): the rest cannot be compared.
    if (stored === undefined || isTruncated(page.properties[property.name])) return false;
    return held[property.name] !== stored;
  });
  if (changed.length === 0) return undefined;
  return decideConflict(settings, {
    changedFields: [...new Set(changed.flatMap((property) => property.fields))].sort(),
    target: trashedByThem ? null : rowOfPage(mapping, page),
    isDelete: change.values === null,
    commitTimeMs: change.commitTimeMs,
    source: change.row,
    editedAtMs: () => editedAtMs(page, settings.timestampField),
    // Property names, not fields: a page write sends or leaves a whole property.
    keepTheirs: () =>
      trashedByThem
        ? []
        : changed
            .filter((property) => {
              const ours = change.values?.get(property.name);
              // Not sent (unchanged at the source): theirs stays in any case.
              return ours === undefined || propertyHashOf(property, ours) === sync.hashes[property.name];
            })
            .map((property) => property.name),
  });
}

/**
 * The row fields a page shows, read back: a property of one field under the field's name, a
 * property made by a template under the property's name (it cannot be split back into fields).
 */
export function rowOfPage(mapping: TableMapping, page: HeldPage): SinkRow {
  const row: Record<string, unknown> = {};
  for (const property of mapping.properties) {
    const name = !property.fromTemplate ? (property.fields[0] as string) : property.name;
    row[name] = readValue(property.type, page.properties[property.name]);
  }
  return row;
}

/** newest_wins: `last_edited_time` (the page's, set by Notion), or a property of the data source. */
function editedAtMs(page: HeldPage, field: string | undefined): number | undefined {
  if (field === undefined || field === LAST_EDITED_TIME) {
    return page.lastEditedTime === undefined ? undefined : timeMs(page.lastEditedTime);
  }
  return propertyTimeMs(page.properties[field]);
}

/** A time a property shows, whatever its type: a date, a number of ms, ISO text, an edit time, a formula's. */
export function propertyTimeMs(property: unknown): number | undefined {
  if (property === null || typeof property !== 'object') return undefined;
  const { type } = property as { type?: unknown };
  if (typeof type !== 'string') return undefined;
  const value = (property as Record<string, unknown>)[type];
  switch (type) {
    case 'date': {
      const date = value as { start?: unknown; time_zone?: unknown } | null;
      if (typeof date?.start !== 'string') return undefined;
      return timeMs(date.start, typeof date.time_zone === 'string' ? date.time_zone : undefined);
    }
    case 'formula': // { type: 'date', date: {...} } and the like: a property value of its own
      return propertyTimeMs(value);
    case 'number':
      return typeof value === 'number' ? value : undefined;
    case 'title':
    case 'rich_text': {
      const text = plainText(value);
      return text === '' ? undefined : timeMs(text);
    }
    default: // last_edited_time, created_time, a formula's string
      return typeof value === 'string' ? timeMs(value) : undefined;
  }
}

/** https://developers.notion.com/reference/page-property-values#relation: `has_more` when more than 25 are related. */
function isTruncated(property: unknown): boolean {
  return (
    property !== null &&
    typeof property === 'object' &&
    (property as { has_more?: unknown }).has_more === true
  );
}
