import type pg from 'pg';

type Queryable = Pick<pg.Client, 'query'>;

/**
 * The columns of a table's first unique index, in the index's column order: the key Debezium
 * gives a table without a primary key (key-columns.ts). "First" is pgjdbc's getIndexInfo order,
 * which Debezium's JdbcConnection.readTableUniqueIndices takes: a clustered index first, then by
 * index name. A column that is an expression has no name to key by; like Debezium's stream
 * (PgOutputMessageDecoder keeps only the relation's own columns), the index then keys by its
 * plain columns. Empty when the table has no unique index.
 *
 * `table` is an oid, or a quoted `"schema"."table"` name (as regclass reads it).
 */
export async function firstUniqueIndexColumns(client: Queryable, table: number | string): Promise<string[]> {
  const { rows } = await client.query<{ columns: string[] }>(
    `select array(select a.attname::text
                    from unnest(i.indkey::int2[]) with ordinality as k(attnum, position)
                    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
                   order by k.position) as columns
       from pg_index i join pg_class ic on ic.oid = i.indexrelid
      where i.indrelid = $1::regclass and i.indisunique
      order by i.indisclustered desc, ic.relname
      limit 1`,
    [table],
  );
  return rows[0]?.columns ?? [];
}
