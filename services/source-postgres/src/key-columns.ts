import { CdcError } from '@cdc/core';
import type { EnvelopeName, SourceConfig } from './config.ts';

/**
 * The message key of a captured table, decided in this one place for the stream
 * (stream/table-shapes.ts), the snapshot (snapshot/table-reader.ts) and what `cdc sink verify`
 * compares (table-rows.ts), so that the three can never disagree:
 *
 * 1. the primary key, whatever the replica identity (docs/contracts.md, The message key). Under
 *    REPLICA IDENTITY FULL pgoutput flags every column as part of the identity; keying by those
 *    flags would turn every UPDATE into a key change under a new key;
 * 2. else the columns declared for the table in `keyless.key_columns` (as Debezium's
 *    `message.key.columns`);
 * 3. else, in our envelope, the replica identity columns: for a keyless table in `keyless.allow`
 *    under FULL (the only identity preflight accepts for one), the whole row, so that every UPDATE
 *    is a key change. In Debezium's envelope, what Debezium 3.6 keys such a table by: its first
 *    unique index (JdbcConnection.readTableUniqueIndices, in pgjdbc's getIndexInfo order), else
 *    nothing, and its records then have null keys.
 *
 * The set lists the key's columns in the key's own order: the primary key's definition order,
 * the declared order, the index's order. Debezium's key record takes its fields in that order
 * (Table.primaryKeyColumns, Key.CustomKeyMapper); ours keeps column (attnum) order, the key
 * schema being the table's columns filtered, so that our keys never change shape.
 */

/** The settings that shape a table as the source captures it (its key among them). */
export type ShapeSettings = Pick<SourceConfig, 'name' | 'keyless' | 'envelope'>;

export interface KeyCandidates {
  /** The table's captured columns, in attnum order. */
  readonly columns: readonly string[];
  /** Its primary key columns in definition order (pg_index indkey); empty without one. */
  readonly primaryKey: readonly string[];
  /** The columns `keyless.key_columns` declares for it; undefined when none are. */
  readonly declared: readonly string[] | undefined;
  /** Its replica identity columns (pgoutput's key flags, or the catalog's equivalent). */
  readonly replicaIdentity: readonly string[];
  /** The columns of its first unique index (key-catalog.ts), for Debezium's envelope; empty without one. */
  readonly uniqueIndex?: readonly string[];
}

/** The columns of `schema.table` that `keyless.key_columns` declares, if any. */
export function declaredKeyColumns(
  keyless: ShapeSettings['keyless'],
  schema: string,
  table: string,
): readonly string[] | undefined {
  return keyless.key_columns[`${schema}.${table}`];
}

/** The message-key columns of a table (see above); empty only for a table without any key. */
export function messageKeyColumns(
  table: { readonly schema: string; readonly name: string },
  candidates: KeyCandidates,
  envelope: EnvelopeName = 'cdc',
): ReadonlySet<string> {
  if (candidates.primaryKey.length > 0) return new Set(candidates.primaryKey);
  const { declared, columns } = candidates;
  if (declared !== undefined) {
    const unknown = declared.filter((name) => !columns.includes(name));
    if (unknown.length > 0) {
      const name = `${table.schema}.${table.name}`;
      throw new CdcError(
        'KEY_COLUMN_UNKNOWN',
        `keyless.key_columns declares ${unknown.join(', ')} as the message key of ${name}, not among its captured columns`,
        {
          fix: `correct the config path source.keyless.key_columns['${name}'] to columns it has (${columns.join(', ')}; generated columns are never sent); names are case-sensitive, as in the catalog`,
          details: { schema: table.schema, table: table.name, unknown, columns },
        },
      );
    }
    return new Set(declared);
  }
  if (envelope === 'debezium') return new Set(candidates.uniqueIndex ?? []);
  return new Set(candidates.replicaIdentity);
}

/**
 * Whether the key of a table needs its first unique index (a catalog query): only Debezium's
 * envelope falls back to one, and only for a table without a primary key or declared columns.
 */
export function needsUniqueIndex(
  settings: ShapeSettings,
  table: { readonly schema: string; readonly name: string },
  hasPrimaryKey: boolean,
): boolean {
  return (
    settings.envelope === 'debezium' &&
    !hasPrimaryKey &&
    declaredKeyColumns(settings.keyless, table.schema, table.name) === undefined
  );
}
