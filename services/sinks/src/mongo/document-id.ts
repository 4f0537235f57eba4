import type { SinkRow } from '@cdc/core';
import { FIELD_NAME_RULE, isWritableFieldName } from './config.ts';
import type { DocumentKey } from './stored-document.ts';
import { canonicalValue } from '../value-hash.ts';

/** The `_id` of a row's document, and a text equal for equal ids (to group a batch by document). */
export interface DocumentId {
  readonly value: DocumentKey;
  readonly text: string;
}

export type DocumentIdResult = { readonly id: DocumentId } | { readonly reason: string };

/**
 * One key column: its value (a bigint is stored as a BSON long, always, so one key always has one
 * type); several: a sub-document of them in key order (MongoDB compares sub-documents field by
 * field, in order). `names` maps a column to its field name in the document.
 *
 * Every field of the message key goes into `_id`, so a document is always determined by the
 * message key: a MongoDB sink needs no check like the Redis sink's key templates, which may leave
 * key fields out (redis/key-template.ts, unnamedKeyFields).
 */
export function documentId(key: SinkRow, names: (column: string) => string): DocumentIdResult {
  const columns = Object.keys(key);
  if (columns.length === 0)
    return { reason: 'the event has no key: a document needs the primary key as _id' };
  for (const column of columns) {
    const problem = unusableKeyValue(key[column]);
    if (problem) return { reason: `key column ${column} ${problem}` };
  }
  const fields = columns.map(names);
  const unusable = columns.length > 1 ? fields.find((field) => !isWritableFieldName(field)) : undefined;
  if (unusable !== undefined)
    return { reason: `key column ${unusable} cannot be a field of _id: it must be ${FIELD_NAME_RULE}` };
  const value =
    columns.length === 1
      ? (key[columns[0] as string] as DocumentKey)
      : Object.fromEntries(columns.map((column) => [names(column), key[column]]));
  return { id: { value, text: canonicalValue(value) } };
}

function unusableKeyValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'is null: a document needs the primary key as _id';
  if (typeof value === 'number' && !Number.isFinite(value)) return `is ${value}, not a usable _id`;
  if (typeof value === 'object' && !(value instanceof Uint8Array)) return 'is not a scalar value';
  return undefined;
}
