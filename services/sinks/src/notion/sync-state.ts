import { parseVersionText, versionText, type EventVersion } from '@cdc/core';
import { plainText, richText, type RichTextItem } from './rich-text.ts';

/**
 * The sink's bookkeeping in each page it writes, in the table's `sync_property` (rich text): the
 * version of the change the page holds (docs/contracts.md, Versions), so a replayed older change
 * is `stale`; a hash per mapped property of the value written, so a value that hashes otherwise
 * was changed by someone else (conflicts.ts); and whether the page is trashed for a delete.
 * Compact JSON, e.g. `{"v":"0000000002000100/0000000000000000","h":{"Email":"3yQ0sW6dL2aB"}}`.
 */
export interface SyncState {
  readonly version: EventVersion;
  /** Notion property name -> valueHash of what the page held after our write. */
  readonly hashes: Readonly<Record<string, string>>;
  /** The page is in the trash because its row was deleted. */
  readonly deleted: boolean;
}

export function syncText(state: SyncState): string {
  return JSON.stringify({
    v: versionText(state.version),
    h: state.hashes,
    ...(state.deleted ? { d: 1 } : {}),
  });
}

/** The rich_text property value holding the state (split as Notion's 2000-character limit asks). */
export function syncPayload(state: SyncState): { rich_text: RichTextItem[] } {
  return { rich_text: richText(syncText(state)) };
}

/**
 * The state a page's sync property holds; undefined for a page we never wrote, or whose
 * property someone edited into something else (then it is as if we never wrote it).
 */
export function readSyncState(property: unknown): SyncState | undefined {
  const items =
    property !== null && typeof property === 'object'
      ? (property as { rich_text?: unknown }).rich_text
      : undefined;
  const text = plainText(items);
  if (text === '') return undefined;
  try {
    const parsed = JSON.parse(text) as { v?: unknown; h?: unknown; d?: unknown };
    if (typeof parsed.v !== 'string') return undefined;
    const hashes =
      parsed.h !== null && typeof parsed.h === 'object' && !Array.isArray(parsed.h)
        ? Object.fromEntries(
            Object.entries(parsed.h as Record<string, unknown>).filter(
              (entry): entry is [string, string] => typeof entry[1] === 'string',
            ),
          )
        : {};
    return { version: parseVersionText(parsed.v), hashes, deleted: parsed.d === 1 };
  } catch {
    return undefined;
  }
}
