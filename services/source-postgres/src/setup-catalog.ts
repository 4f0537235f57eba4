import pg from 'pg';
import type { SourceConfig } from './config.ts';

// Catalog reads and checks shared by the preflight and the publication/slot setup.

export const ident = pg.escapeIdentifier;
export const qualified = (t: { schema: string; name: string }) => `${ident(t.schema)}.${ident(t.name)}`;
export const qualifiedName = (name: string) =>
  qualified({ schema: name.split('.')[0]!, name: name.split('.')[1]! });
export const IDENTITY = { d: 'default', n: 'nothing', f: 'full', i: 'index' } as const;

export interface Problem {
  message: string;
  fix: string;
  retriable?: boolean;
}

export type SlotRow = {
  slot_type: string;
  plugin: string | null;
  database: string | null;
  wal_status: string | null;
};
export interface TableRow {
  schema: string;
  name: string;
  relkind: string;
  relpersistence: string;
  relreplident: keyof typeof IDENTITY;
  owned: boolean;
  can_select: boolean;
  /** Primary key columns in key order; null without a primary key. */
  pk: string[] | null;
  identity_is_pk: boolean | null;
  published: boolean;
}

export function notAllTables(
  publication: { puballtables: boolean },
  config: SourceConfig,
): Problem | undefined {
  if (config.tables !== 'all' || publication.puballtables) return undefined;
  const pub = ident(config.publication);
  return {
    message: `publication ${config.publication} exists but is not FOR ALL TABLES, while tables is 'all'`,
    fix: `as a superuser: DROP PUBLICATION ${pub}; CREATE PUBLICATION ${pub} FOR ALL TABLES; or list the tables in the config path tables`,
  };
}

export function slotProblem(slot: SlotRow, name: string, database: string): Problem | undefined {
  const drop = `SELECT pg_drop_replication_slot(${pg.escapeLiteral(name)}); (a new snapshot follows)`;
  if (slot.slot_type !== 'logical' || slot.plugin !== 'pgoutput') {
    return {
      message: `slot ${name} exists but is a ${slot.slot_type} slot${slot.plugin ? ` of plugin ${slot.plugin}` : ''}, not a logical slot of pgoutput`,
      fix: `set the config path slot to another name, or if nothing else uses it: ${drop}`,
    };
  }
  if (slot.database !== database) {
    return {
      message: `slot ${name} belongs to database ${slot.database}, not ${database}; a slot serves one database`,
      fix: 'set the config path slot to another name (slot names are unique in the whole server)',
    };
  }
  if (slot.wal_status === 'lost') {
    return {
      message: `slot ${name} is lost: PostgreSQL removed WAL it still needed (max_slot_wal_keep_size)`,
      fix: drop,
    };
  }
  return undefined;
}

export async function readSlot(client: pg.Client, name: string) {
  const { rows } = await client.query<SlotRow & { active: boolean }>(
    `select slot_type, plugin, database, wal_status, active from pg_replication_slots where slot_name = $1`,
    [name],
  );
  return rows[0];
}

export async function readPublication(client: pg.Client, name: string) {
  const { rows } = await client.query<Record<'puballtables' | 'owned' | 'publishes_all', boolean>>(
    `select puballtables, pg_has_role(pubowner, 'USAGE') as owned,
            pubinsert and pubupdate and pubdelete and pubtruncate as publishes_all
       from pg_publication where pubname = $1`,
    [name],
  );
  return rows[0];
}

/** The captured tables that exist, with what the checks need; 'all' means every user table. */
export async function readTables(client: pg.Client, config: SourceConfig): Promise<TableRow[]> {
  const listed = config.tables === 'all' ? undefined : config.tables.map((name) => name.split('.'));
  const { rows } = await client.query<TableRow>(
    `select n.nspname as schema, c.relname as name, c.relkind, c.relpersistence, c.relreplident,
            pg_has_role(c.relowner, 'USAGE') as owned, has_table_privilege(c.oid, 'SELECT') as can_select,
            (select array_agg(a.attname::text order by k.ord) from pg_index i
               cross join unnest(i.indkey::int2[]) with ordinality as k(attnum, ord)
               join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
              where i.indrelid = c.oid and i.indisprimary) as pk,
            (select i.indisprimary from pg_index i where i.indrelid = c.oid and i.indisreplident) as identity_is_pk,
            exists (select 1 from pg_publication_tables pt where pt.pubname = $1
                     and pt.schemaname = n.nspname and pt.tablename = c.relname)
              or exists (select 1 from pg_publication_rel pr join pg_publication p on p.oid = pr.prpubid
                          where p.pubname = $1 and pr.prrelid = c.oid) as published
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where ${
        listed
          ? `(n.nspname, c.relname) in (select * from unnest($2::text[], $3::text[]))`
          : `c.relkind = 'r' and c.relpersistence = 'p' and n.nspname <> 'information_schema' and n.nspname not like 'pg\\_%'`
      } order by 1, 2`,
    listed ? [config.publication, listed.map((p) => p[0]), listed.map((p) => p[1])] : [config.publication],
  );
  return rows;
}

export interface ColumnRow {
  /** 'schema.table' */
  table: string;
  name: string;
  not_null: boolean;
  /** A generated column: pgoutput never sends its value. */
  generated: boolean;
}

/** The columns of the named 'schema.table' tables that exist, in attnum order. */
export async function readColumns(client: pg.Client, names: readonly string[]): Promise<ColumnRow[]> {
  if (names.length === 0) return [];
  const parts = names.map((name) => name.split('.'));
  const { rows } = await client.query<ColumnRow>(
    `select n.nspname || '.' || c.relname as table, a.attname as name, a.attnotnull as not_null,
            a.attgenerated <> '' as generated
       from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where (n.nspname, c.relname) in (select * from unnest($1::text[], $2::text[]))
        and a.attnum > 0 and not a.attisdropped
      order by 1, a.attnum`,
    [parts.map((p) => p[0]), parts.map((p) => p[1])],
  );
  return rows;
}
