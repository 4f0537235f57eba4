import pg from 'pg';
import type { TableShape } from '../avro/table-schemas.ts';
import { firstUniqueIndexColumns } from '../key-catalog.ts';
import {
  declaredKeyColumns,
  messageKeyColumns,
  needsUniqueIndex,
  type ShapeSettings,
} from '../key-columns.ts';
import { replicationSessionOptions } from '../stream/change-stream.ts';
import { kindOf, loadEnumLabels, loadTypeInfo, pgTypeOf } from '../types/type-catalog.ts';

/** One row as text, positionally aligned with the shape's columns, like a pgoutput tuple. */
export type TextRow = (string | null)[];

export interface SnapshotTable {
  readonly shape: TableShape;
  /** Quoted `"schema"."table"`. */
  readonly qualified: string;
  /** Primary key columns in key order (quoted); empty for a keyless table. */
  readonly orderBy: readonly string[];
}

/**
 * Values stay PostgreSQL's text output, as pgoutput sends them: decodeText then decodes both the
 * same way. Under the same session settings (replicationSessionOptions: ISO dates, UTC, full
 * float precision, bytea in hex) the text of a value is the same on both paths.
 */
const RAW_TEXT = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/**
 * A read-only transaction on the snapshot a slot exported: every table read through it sees the
 * database exactly as of the slot's consistent point.
 */
export class SnapshotReader {
  readonly #client: pg.Client;
  readonly #settings: ShapeSettings;
  #cursors = 0;

  private constructor(client: pg.Client, settings: ShapeSettings) {
    this.#client = client;
    this.#settings = settings;
  }

  /**
   * Inside the snapshot a slot exported; without one (undefined), in a snapshot of its own: the
   * database as of now, consistent across tables (what `verify` compares sinks with).
   */
  static async open(
    url: string,
    snapshotName: string | undefined,
    settings: ShapeSettings,
  ): Promise<SnapshotReader> {
    const client = new pg.Client({
      connectionString: url,
      options: replicationSessionOptions(),
    });
    // A connection the server drops while idle (PostgreSQL crashing mid-snapshot) emits 'error';
    // unheard, that would end the process. Its next query fails instead, and the source's
    // reconnect loop (reconnect-loop.ts) takes the snapshot again.
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      if (snapshotName !== undefined)
        await client.query(`SET TRANSACTION SNAPSHOT ${pg.escapeLiteral(snapshotName)}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return new SnapshotReader(client, settings);
  }

  /**
   * The table's shape as TableShapes would build it from pgoutput's Relation message: the same
   * columns (no dropped or generated ones: pgoutput never sends those in PostgreSQL 15) in attnum
   * order, and the same message key (key-columns.ts), from the primary key and, for a keyless
   * table, the declared key columns, else the replica identity as pgoutput flags it (all columns
   * under FULL, the identity index's under INDEX), or in Debezium's envelope its first unique
   * index; and the same catalog facts (pgType, enum labels). Any difference would register a
   * second schema version for the same table. Read inside the snapshot, so it is the shape the rows had at the
   * consistent point.
   */
  async table(schema: string, name: string): Promise<SnapshotTable> {
    const qualified = `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(name)}`;
    const { rows } = await this.#client.query<{
      name: string;
      type_oid: number;
      type_mod: number;
      not_null: boolean;
      in_identity: boolean;
      pk_position: number | null;
    }>(
      `select a.attname as name, a.atttypid::int as type_oid, a.atttypmod as type_mod,
              a.attnotnull as not_null,
              case c.relreplident when 'f' then true
                                  when 'i' then coalesce(a.attnum = any(ri.indkey::int2[]), false)
                                  when 'd' then coalesce(a.attnum = any(pk.indkey::int2[]), false)
                                  else false end as in_identity,
              array_position(pk.indkey::int2[], a.attnum) as pk_position
         from pg_attribute a
         join pg_class c on c.oid = a.attrelid
         left join pg_index pk on pk.indrelid = c.oid and pk.indisprimary
         left join pg_index ri on ri.indrelid = c.oid and ri.indisreplident
        where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
        order by a.attnum`,
      [qualified],
    );
    const types = await loadTypeInfo(
      this.#client,
      rows.map((row) => row.type_oid),
    );
    const labels = await loadEnumLabels(this.#client, types);
    const inKeyOrder = rows
      .filter((row) => row.pk_position !== null)
      .sort((a, b) => a.pk_position! - b.pk_position!);
    const columnNames = rows.map((row) => row.name);
    const uniqueIndex = needsUniqueIndex(this.#settings, { schema, name }, inKeyOrder.length > 0)
      ? await firstUniqueIndexColumns(this.#client, qualified)
      : [];
    const keys = messageKeyColumns(
      { schema, name },
      {
        columns: columnNames,
        primaryKey: inKeyOrder.map((row) => row.name),
        declared: declaredKeyColumns(this.#settings.keyless, schema, name),
        replicaIdentity: rows.filter((row) => row.in_identity).map((row) => row.name),
        uniqueIndex: uniqueIndex.filter((column) => columnNames.includes(column)),
      },
      this.#settings.envelope,
    );
    const shape: TableShape = {
      prefix: this.#settings.name,
      schema,
      table: name,
      columns: rows.map((row) => ({
        name: row.name,
        kind: kindOf(row.type_oid, row.type_mod, types),
        nullable: !row.not_null,
        isKey: keys.has(row.name),
        pgType: pgTypeOf(row.type_oid, row.type_mod, types, labels),
      })),
      envelope: this.#settings.envelope,
      keyOrder: [...keys],
    };
    const orderBy = inKeyOrder.map((row) => pg.escapeIdentifier(row.name));
    return { shape, qualified, orderBy };
  }

  /**
   * The table's rows in chunks of at most chunkRows, through a server-side cursor, so that
   * memory holds one chunk whatever the table's size. Ordered by primary key, so that a reader
   * of the topic sees a stable order (keyless tables come in storage order).
   */
  async *rows(table: SnapshotTable, chunkRows: number): AsyncGenerator<TextRow[]> {
    const cursor = `cdc_snapshot_${(this.#cursors += 1)}`;
    const columns = table.shape.columns.map((column) => pg.escapeIdentifier(column.name)).join(', ');
    const order = table.orderBy.length > 0 ? ` ORDER BY ${table.orderBy.join(', ')}` : '';
    const select = columns.length > 0 ? `SELECT ${columns}` : 'SELECT';
    await this.#client.query(
      `DECLARE ${cursor} NO SCROLL CURSOR FOR ${select} FROM ${table.qualified}${order}`,
    );
    try {
      for (;;) {
        const result = await this.#client.query<TextRow>({
          text: `FETCH ${chunkRows} FROM ${cursor}`,
          rowMode: 'array',
          // Only here: catalog queries (loadTypeInfo's included) need their numbers parsed.
          types: RAW_TEXT,
        });
        if (result.rows.length > 0) yield result.rows;
        if (result.rows.length < chunkRows) return;
      }
    } finally {
      // After a failed FETCH the transaction is aborted and CLOSE fails too: keep the first error.
      await this.#client.query(`CLOSE ${cursor}`).catch(() => undefined);
    }
  }

  /**
   * The planner's estimate of the table's rows (pg_class.reltuples, as of the last VACUUM or
   * ANALYZE), for the snapshot's progress; undefined when it has none (-1: never analysed).
   */
  async estimatedRows(table: SnapshotTable): Promise<number | undefined> {
    const { rows } = await this.#client.query<{ estimate: number | null }>(
      'select reltuples::float8 as estimate from pg_class where oid = $1::regclass',
      [table.qualified],
    );
    const estimate = rows[0]?.estimate;
    return estimate === null || estimate === undefined || estimate < 0 ? undefined : estimate;
  }

  /** Every table of the publication (a FOR ALL TABLES one included), as PostgreSQL lists them. */
  async publishedTables(publication: string): Promise<{ schema: string; name: string }[]> {
    const { rows } = await this.#client.query<{ schema: string; name: string }>(
      `select schemaname as schema, tablename as name from pg_publication_tables where pubname = $1 order by 1, 2`,
      [publication],
    );
    return rows;
  }

  /**
   * The id of the snapshot's own transaction, as Debezium's snapshot rows carry it
   * (JdbcConnection.currentTransactionId: txid_current(), which assigns one to this read-only
   * transaction).
   */
  async transactionId(): Promise<bigint> {
    const { rows } = await this.#client.query<{ id: string }>('select txid_current()::text as id');
    return BigInt(rows[0]!.id);
  }

  async database(): Promise<string> {
    const { rows } = await this.#client.query<{ db: string }>('select current_database() as db');
    return rows[0]!.db;
  }

  /** Ends the transaction; read-only, so nothing is lost whether it commits or not. */
  async close(): Promise<void> {
    await this.#client.query('COMMIT').catch(() => undefined);
    await this.#client.end().catch(() => undefined);
  }
}
