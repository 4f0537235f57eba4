import { valueHash } from '../value-hash.ts';
import { valueMeaning, type CompiledProperty } from './property-values.ts';
import type { TableMapping } from './table-mapping.ts';

/** A page of a data source as the sink reads it (from a query, or retrieved by id). */
export interface HeldPage {
  readonly id: string;
  readonly inTrash: boolean;
  /** The user who edited it last: our bot, or a person (or another integration). */
  readonly lastEditedBy: string | undefined;
  /** ISO 8601, as Notion gives it. */
  readonly lastEditedTime: string | undefined;
  /** Property values by property name, as Notion returns them. */
  readonly properties: Readonly<Record<string, unknown>>;
}

/** A page object of the API as a HeldPage; undefined for what is not a full page. */
export function heldPageOf(page: unknown): HeldPage | undefined {
  if (page === null || typeof page !== 'object') return undefined;
  const { id, properties, in_trash, archived, last_edited_by, last_edited_time } = page as {
    id?: unknown;
    properties?: unknown;
    in_trash?: unknown;
    archived?: unknown;
    last_edited_by?: { id?: unknown } | null;
    last_edited_time?: unknown;
  };
  if (typeof id !== 'string' || properties === null || typeof properties !== 'object') return undefined;
  return {
    id,
    // `archived` is the older name of `in_trash` (https://developers.notion.com/reference/archive-a-page).
    inTrash: in_trash === true || archived === true,
    lastEditedBy: typeof last_edited_by?.id === 'string' ? last_edited_by.id : undefined,
    lastEditedTime: typeof last_edited_time === 'string' ? last_edited_time : undefined,
    properties: properties as Record<string, unknown>,
  };
}

/** The hash of a property value, as the page holds it or as a write sends it: equal when they mean the same. */
export function propertyHashOf(property: CompiledProperty, value: unknown): string {
  return valueHash(valueMeaning(property.type, value));
}

/** A hash per mapped property of the values a page holds (none: the empty values of a new page). */
export function heldHashes(mapping: TableMapping, page: HeldPage | undefined): Record<string, string> {
  return Object.fromEntries(
    mapping.properties.map((property) => [
      property.name,
      propertyHashOf(property, page?.properties[property.name]),
    ]),
  );
}
