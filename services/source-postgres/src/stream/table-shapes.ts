import type pg from 'pg';
import type { TableShape } from '../avro/table-schemas.ts';
import type { RelationMessage } from '../pgoutput/messages.ts';
import { kindOf, loadTypeInfo } from '../types/type-catalog.ts';

type Queryable = Pick<pg.Client, 'query'>;

/**
 * The TableShape of a table as pgoutput describes it. The Relation message gives names, types,
 * modifiers and key flags; NOT NULL is not in it, so that comes from pg_attribute. The catalog
 * is read on a normal (non-replication) connection: the replication one is busy streaming.
 */
export class TableShapes {
  readonly #client: Queryable;
  readonly #prefix: string;
  // Keyed by the Relation message's content: PostgreSQL resends unchanged Relation messages
  // (each session, cache invalidations), which must not cost a catalog round trip each.
  readonly #cache = new Map<string, TableShape>();

  constructor(client: Queryable, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
  }

  async resolve(relation: RelationMessage): Promise<TableShape> {
    const cacheKey = JSON.stringify(relation);
    const cached = this.#cache.get(cacheKey);
    if (cached) return cached;
    const types = await loadTypeInfo(
      this.#client,
      relation.columns.map((column) => column.typeOid),
    );
    const notNull = await this.#notNull(relation.relationOid);
    const shape: TableShape = {
      prefix: this.#prefix,
      schema: relation.schema,
      table: relation.name,
      columns: relation.columns.map((column) => ({
        name: column.name,
        kind: kindOf(column.typeOid, column.typeMod, types),
        // A column the catalog no longer knows (dropped since) is taken as nullable: that
        // never refuses a value, where a wrong NOT NULL would.
        nullable: !notNull.has(column.name),
        isKey: column.isKey,
      })),
    };
    this.#cache.set(cacheKey, shape);
    return shape;
  }

  async #notNull(relationOid: number): Promise<Set<string>> {
    const { rows } = await this.#client.query<{ name: string }>(
      `select attname as name from pg_attribute
        where attrelid = $1::oid and attnum > 0 and not attisdropped and attnotnull`,
      [relationOid],
    );
    return new Set(rows.map((row) => row.name));
  }
}
