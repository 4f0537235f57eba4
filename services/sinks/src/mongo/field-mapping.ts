import type { SinkEvent, SinkRow } from '@cdc/core';
import { FIELD_NAME_RULE, isWritableFieldName, type MongoSinkConfig } from './config.ts';

/** The document fields an upsert writes, and the fields it leaves as they are. */
export interface MappedRow {
  readonly fields: Readonly<Record<string, unknown>>;
  /** Unchanged TOAST columns, as field names: not written, the stored value stays. */
  readonly unchanged: readonly string[];
}

export type MappedRowResult = { readonly row: MappedRow } | { readonly reason: string };

export interface FieldMapping {
  /** The document field of a column. */
  readonly fieldOf: (column: string) => string;
  readonly map: (event: SinkEvent, after: SinkRow) => MappedRowResult;
}

/** select keeps the listed columns plus the key's; rename gives columns other field names. */
export function fieldMapping(fields: MongoSinkConfig['fields']): FieldMapping {
  const rename = fields?.rename ?? {};
  const selected = fields?.select ? new Set(fields.select) : undefined;
  const fieldOf = (column: string) => rename[column] ?? column;
  return {
    fieldOf,
    map: (event, after) => {
      const unchanged = new Set(event.unchanged);
      const out: Record<string, unknown> = {};
      const kept: string[] = [];
      for (const [column, value] of Object.entries(after)) {
        if (selected && !selected.has(column) && !Object.hasOwn(event.key, column)) continue;
        const field = fieldOf(column);
        if (!isWritableFieldName(field)) {
          return {
            reason: `column ${JSON.stringify(column)} cannot be a document field: it must be ${FIELD_NAME_RULE} (rename it with fields.rename)`,
          };
        }
        if (unchanged.has(column)) kept.push(field);
        // undefined would be written as null by the driver: say so here, where the hash is taken.
        else out[field] = value === undefined ? null : value;
      }
      return { row: { fields: out, unchanged: kept } };
    },
  };
}
