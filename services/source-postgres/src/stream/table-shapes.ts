import type pg from 'pg';
import type { TableShape } from '../avro/table-schemas.ts';
import { firstUniqueIndexColumns } from '../key-catalog.ts';
import {
  declaredKeyColumns,
  messageKeyColumns,
  needsUniqueIndex,
  type ShapeSettings,
} from '../key-columns.ts';
import type { RelationMessage } from '../pgoutput/messages.ts';
import { kindOf, loadEnumLabels, loadTypeInfo, pgTypeOf } from '../types/type-catalog.ts';

type Queryable = Pick<pg.Client, 'query'>;

interface CatalogColumn {
  name: string;
  not_null: boolean;
  /** 1-based place in the primary key's definition; null outside it. */
  pk_position: number | null;
}

/**
 * The TableShape of a table as pgoutput describes it. The Relation message gives names, types,
 * modifiers and the replica identity's key flags; NOT NULL and the primary key are not in it, so
 * they come from pg_attribute and pg_index, and key-columns.ts decides the message key from the
 * three (in Debezium's envelope, from a unique index too). Enum labels come from pg_enum. The
 * catalog is read on a normal (non-replication) connection: the replication one is busy
 * streaming. snapshot/table-reader.ts builds the same shape from the catalog alone.
 */
export class TableShapes {
  readonly #client: Queryable;
  readonly #settings: ShapeSettings;
  // Keyed by the Relation message's content: PostgreSQL resends unchanged Relation messages
  // (each session, cache invalidations), which must not cost a catalog round trip each. A NOT
  // NULL or primary key changed without a new Relation message is read at the next start.
  readonly #cache = new Map<string, TableShape>();

  constructor(client: Queryable, settings: ShapeSettings) {
    this.#client = client;
    this.#settings = settings;
  }

  async resolve(relation: RelationMessage): Promise<TableShape> {
    const cacheKey = JSON.stringify(relation);
    const cached = this.#cache.get(cacheKey);
    if (cached) return cached;
    const types = await loadTypeInfo(
      this.#client,
      relation.columns.map((column) => column.typeOid),
    );
    const labels = await loadEnumLabels(this.#client, types);
    const catalog = await this.#columns(relation.relationOid);
    const table = { schema: relation.schema, name: relation.name };
    const primaryKey = relation.columns
      .filter((column) => catalog.get(column.name)?.pk_position != null)
      .sort((a, b) => catalog.get(a.name)!.pk_position! - catalog.get(b.name)!.pk_position!)
      .map((column) => column.name);
    const uniqueIndex = needsUniqueIndex(this.#settings, table, primaryKey.length > 0)
      ? await firstUniqueIndexColumns(this.#client, relation.relationOid)
      : [];
    const columnNames = relation.columns.map((column) => column.name);
    const keys = messageKeyColumns(
      table,
      {
        columns: columnNames,
        primaryKey,
        declared: declaredKeyColumns(this.#settings.keyless, relation.schema, relation.name),
        replicaIdentity: relation.columns.filter((column) => column.isKey).map((column) => column.name),
        uniqueIndex: uniqueIndex.filter((name) => columnNames.includes(name)),
      },
      this.#settings.envelope,
    );
    const shape: TableShape = {
      prefix: this.#settings.name,
      schema: relation.schema,
      table: relation.name,
      columns: relation.columns.map((column) => ({
        name: column.name,
        kind: kindOf(column.typeOid, column.typeMod, types),
        // A column the catalog no longer knows (dropped since) is taken as nullable: that
        // never refuses a value, where a wrong NOT NULL would.
        nullable: !catalog.get(column.name)?.not_null,
        isKey: keys.has(column.name),
        pgType: pgTypeOf(column.typeOid, column.typeMod, types, labels),
      })),
      envelope: this.#settings.envelope,
      keyOrder: [...keys],
    };
    this.#cache.set(cacheKey, shape);
    return shape;
  }

  async #columns(relationOid: number): Promise<Map<string, CatalogColumn>> {
    const { rows } = await this.#client.query<CatalogColumn>(
      `select a.attname as name, a.attnotnull as not_null,
              array_position(pk.indkey::int2[], a.attnum) as pk_position
         from pg_attribute a
         left join pg_index pk on pk.indrelid = a.attrelid and pk.indisprimary
        where a.attrelid = $1::oid and a.attnum > 0 and not a.attisdropped`,
      [relationOid],
    );
    return new Map(rows.map((row) => [row.name, row]));
  }
}
