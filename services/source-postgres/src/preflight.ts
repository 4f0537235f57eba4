import pg from 'pg';
import { CdcError, errorMessage } from '@cdc/core';
import type { SourceConfig } from './config.ts';

const ident = pg.escapeIdentifier;
const qualified = (t: { schema: string; name: string }) => `${ident(t.schema)}.${ident(t.name)}`;
const qualifiedName = (name: string) => qualified({ schema: name.split('.')[0]!, name: name.split('.')[1]! });
const IDENTITY = { d: 'default', n: 'nothing', f: 'full', i: 'index' } as const;

export interface PreflightTable {
  schema: string;
  name: string;
  replicaIdentity: (typeof IDENTITY)[keyof typeof IDENTITY];
  /** Columns that identify a row in change events (the primary key); empty for keyless tables. */
  keyColumns: string[];
  /** Whether the publication already sends this table's changes. */
  published: boolean;
}

export interface PreflightReport {
  serverVersion: string;
  database: string;
  role: string;
  tables: PreflightTable[];
  publication: { name: string; exists: boolean; allTables: boolean };
  slot: { name: string; exists: boolean; active: boolean };
}

interface Problem {
  message: string;
  fix: string;
  retriable?: boolean;
}

type ServerRow = Record<'wal_level' | 'role' | 'database' | 'version', string> &
  Record<'max_slots' | 'used_slots' | 'max_senders' | 'used_senders', number> &
  Record<'rolsuper' | 'rolreplication' | 'can_create', boolean>;
type SlotRow = {
  slot_type: string;
  plugin: string | null;
  database: string | null;
  wal_status: string | null;
};
interface TableRow {
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

/**
 * Checks everything logical replication of the configured tables needs, in one pass, and
 * reports every problem at once with its fix, so that an operator fixes them in one round.
 */
export async function preflight(client: pg.Client, config: SourceConfig): Promise<PreflightReport> {
  const { rows } = await client.query<ServerRow>(
    `select current_setting('wal_level') as wal_level, current_setting('server_version') as version,
            current_setting('max_replication_slots')::int as max_slots,
            (select count(*)::int from pg_replication_slots) as used_slots,
            current_setting('max_wal_senders')::int as max_senders,
            (select count(*)::int from pg_stat_activity where backend_type = 'walsender') as used_senders,
            current_user as role, r.rolsuper, r.rolreplication, current_database() as database,
            has_database_privilege(current_database(), 'CREATE') as can_create
       from pg_roles r where r.rolname = current_user`,
  );
  const server = rows[0]!;
  const slot = await readSlot(client, config.slot);
  const publication = await readPublication(client, config.publication);
  const tables = await readTables(client, config);
  const found = tables.filter((t) => t.relkind === 'r' || t.relkind === 'p');
  const unpublished = found.filter((t) => !t.published);
  const pub = ident(config.publication);
  const superuser = server.rolsuper;
  const problems: Problem[] = [];
  const check = (failed: unknown, message: string, fix: string, retriable = false) => {
    if (failed) problems.push({ message, fix, retriable });
  };

  check(
    server.wal_level !== 'logical',
    `wal_level is '${server.wal_level}'; logical decoding needs 'logical'`,
    'ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL',
  );
  check(
    !superuser && !server.rolreplication,
    `role ${server.role} has neither REPLICATION nor SUPERUSER, so it cannot create or read a replication slot`,
    `as a superuser: ALTER ROLE ${ident(server.role)} WITH REPLICATION;`,
  );
  const slotWrong = slot && slotProblem(slot, config.slot, server.database);
  if (slotWrong) problems.push(slotWrong);
  check(
    !slot && server.used_slots >= server.max_slots,
    `all ${server.max_slots} replication slots are taken (max_replication_slots), none is left for ${config.slot}`,
    `drop an unused slot (SELECT pg_drop_replication_slot(name)), or ALTER SYSTEM SET max_replication_slots = ${server.max_slots + 1}; then restart PostgreSQL`,
  );
  check(
    server.used_senders >= server.max_senders,
    `all ${server.max_senders} WAL senders are busy (max_wal_senders), none is left for streaming`,
    `wait for a replication connection to end, or ALTER SYSTEM SET max_wal_senders = ${server.max_senders + 1}; then restart PostgreSQL`,
    true,
  );

  check(
    !publication && config.tables === 'all' && !superuser,
    `tables is 'all', which needs a FOR ALL TABLES publication, and only a superuser may create one`,
    `as a superuser: CREATE PUBLICATION ${pub} FOR ALL TABLES; or list the tables in the config path tables`,
  );
  const notAll = publication && notAllTables(publication, config);
  if (notAll) problems.push(notAll);
  if (config.tables !== 'all' && !superuser && unpublished.length > 0) {
    // Creating a publication, or adding a table to one, needs ownership of every table named.
    const notOwned = unpublished.filter((t) => !t.owned).map((t) => `${t.schema}.${t.name}`);
    const list = unpublished.map(qualified).join(', ');
    const reasons = [
      notOwned.length > 0 && `it does not own ${notOwned.join(', ')}`,
      publication && !publication.owned && 'it does not own the publication',
      !publication && !server.can_create && `it lacks the CREATE privilege on database ${server.database}`,
    ].filter(Boolean);
    check(
      reasons.length > 0,
      `role ${server.role} cannot ${publication ? 'add tables to' : 'create'} publication ${config.publication}: ${reasons.join('; ')}`,
      `as the owner of the tables or a superuser: ` +
        (publication
          ? `ALTER PUBLICATION ${pub} ADD TABLE ${list};`
          : `CREATE PUBLICATION ${pub} FOR TABLE ${list};`),
    );
  }
  check(
    publication && !publication.publishes_all,
    `publication ${config.publication} does not publish every kind of change (insert, update, delete, truncate)`,
    `ALTER PUBLICATION ${pub} SET (publish = 'insert, update, delete, truncate');`,
  );

  const missing =
    config.tables === 'all'
      ? []
      : config.tables.filter((n) => !tables.some((t) => `${t.schema}.${t.name}` === n));
  check(
    missing.length > 0,
    `tables not found in database ${server.database}: ${missing.join(', ')}`,
    'create them, or remove them from the config path tables (names are case-sensitive, as in the catalog)',
  );
  for (const table of tables) problems.push(...tableProblems(table, config, server.role));

  if (problems.length > 0) {
    const lines = problems.map((p, i) => `  ${i + 1}. ${p.message}\n     fix: ${p.fix}`);
    throw new CdcError('PREFLIGHT_FAILED', `PostgreSQL is not ready for capture:\n${lines.join('\n')}`, {
      retriable: problems.every((p) => p.retriable),
      fix: 'apply the fix under each problem above, then start again',
      details: { problems },
    });
  }
  return {
    serverVersion: server.version,
    database: server.database,
    role: server.role,
    tables: found.map((t) => ({
      schema: t.schema,
      name: t.name,
      replicaIdentity: IDENTITY[t.relreplident],
      keyColumns: t.pk ?? [],
      published: t.published,
    })),
    publication: { name: config.publication, exists: !!publication, allTables: !!publication?.puballtables },
    slot: { name: config.slot, exists: !!slot, active: !!slot?.active },
  };
}

export interface EnsureResult {
  publication: { name: string; created: boolean; addedTables: string[] };
  slot: { name: string; created: boolean; consistentLsn?: string };
  /** What was changed, in words for the log; empty when everything was already in place. */
  changes: string[];
}

/**
 * Creates the publication and the slot if missing, and adds newly listed tables to an existing
 * publication; a second run changes nothing. Call it only once preflight passed: publishing a
 * table without a usable replica identity makes PostgreSQL refuse the application's updates.
 * The slot is made with SQL here; the snapshot stage will create it over the replication
 * protocol instead, to export its snapshot.
 */
export async function ensurePublicationAndSlot(
  client: pg.Client,
  config: SourceConfig,
): Promise<EnsureResult> {
  const { publication: name, slot: slotName } = config;
  const result: EnsureResult = {
    publication: { name, created: false, addedTables: [] },
    slot: { name: slotName, created: false },
    changes: [],
  };
  const pub = ident(name);
  const target =
    config.tables === 'all' ? 'ALL TABLES' : `TABLE ${config.tables.map(qualifiedName).join(', ')}`;
  if (!(await readPublication(client, name))) {
    result.publication.created = await create(`create publication ${name}`, () =>
      client.query(`CREATE PUBLICATION ${pub} FOR ${target}`),
    );
    if (result.publication.created) result.changes.push(`created publication ${name} FOR ${target}`);
  }
  const publication = (await readPublication(client, name))!;
  const notAll = notAllTables(publication, config);
  if (notAll) throw new CdcError('PUBLICATION_MISMATCH', notAll.message, { fix: notAll.fix });
  if (config.tables !== 'all') {
    const published = (await readTables(client, config)).filter((t) => t.published);
    const missing = config.tables.filter((n) => !published.some((t) => `${t.schema}.${t.name}` === n));
    if (missing.length > 0) {
      await create(`add ${missing.join(', ')} to publication ${name}`, () =>
        client.query(`ALTER PUBLICATION ${pub} ADD TABLE ${missing.map(qualifiedName).join(', ')}`),
      );
      result.publication.addedTables = missing;
      result.changes.push(`added ${missing.join(', ')} to publication ${name}`);
    }
  }

  if (!(await readSlot(client, slotName))) {
    // Waits for the transactions already running to end, so that the slot starts at a point
    // from which every later commit is decoded whole.
    result.slot.created = await create(`create slot ${slotName}`, async () => {
      const created = await client.query<{ lsn: string }>(
        `select lsn::text from pg_create_logical_replication_slot($1, 'pgoutput')`,
        [slotName],
      );
      result.slot.consistentLsn = created.rows[0]?.lsn;
    });
    if (result.slot.created)
      result.changes.push(`created slot ${slotName} (pgoutput) at ${result.slot.consistentLsn}`);
  }
  const slot = (await readSlot(client, slotName))!;
  const database = (await client.query<{ db: string }>('select current_database() as db')).rows[0]!.db;
  const wrong = slotProblem(slot, slotName, database);
  if (wrong) throw new CdcError('SLOT_MISMATCH', wrong.message, { fix: wrong.fix });
  return result;
}

/**
 * Runs a CREATE or ADD; false when another instance made the same object meanwhile, which is
 * the outcome we wanted. Failures say whether a retry can help: lost connections and busy
 * servers, yes; refusals, no.
 */
async function create(what: string, action: () => Promise<unknown>): Promise<boolean> {
  try {
    await action();
    return true;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === '42710') return false; // duplicate_object
    const sqlstate = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
    throw new CdcError('SETUP_FAILED', `could not ${what}: ${errorMessage(error)}`, {
      retriable: sqlstate === undefined || /^(08|40|53|57P)/.test(sqlstate),
      fix: 'run the preflight check: it names the cause and its fix',
      details: { sqlstate },
      cause: error,
    });
  }
}

function tableProblems(t: TableRow, config: SourceConfig, role: string): Problem[] {
  const name = `${t.schema}.${t.name}`;
  const table = qualified(t);
  if (t.relkind !== 'r' && t.relkind !== 'p') {
    return [
      {
        message: `${name} is not a table (relkind '${t.relkind}')`,
        fix: `remove it from the config path tables`,
      },
    ];
  }
  const problems: Problem[] = [];
  if (t.relpersistence === 'u') {
    problems.push({
      message: `${name} is UNLOGGED: its changes never reach the WAL`,
      fix: `ALTER TABLE ${table} SET LOGGED;`,
    });
  }
  // pgoutput sends only the replica identity as the old row of updates and deletes; worse,
  // PostgreSQL refuses UPDATE and DELETE on a published table without a usable identity.
  if (t.pk && (t.relreplident === 'n' || (t.relreplident === 'i' && !t.identity_is_pk))) {
    problems.push({
      message: `${name} has REPLICA IDENTITY ${t.relreplident === 'n' ? 'NOTHING' : 'USING INDEX on an index other than its primary key'}, so deletes would not carry its primary key`,
      fix: `ALTER TABLE ${table} REPLICA IDENTITY DEFAULT;`,
    });
  } else if (!t.pk && !config.keyless.allow.includes(name)) {
    problems.push({
      message: `${name} has no primary key, so its events would have no message key (and once published, PostgreSQL would refuse its updates and deletes)`,
      fix:
        `add a primary key (ALTER TABLE ${table} ADD PRIMARY KEY (...);), or capture it without one: ` +
        `ALTER TABLE ${table} REPLICA IDENTITY FULL; and add '${name}' to the config path keyless.allow`,
    });
  } else if (!t.pk && t.relreplident !== 'f') {
    problems.push({
      message: `${name} has no primary key and is in keyless.allow, but its replica identity is ${IDENTITY[t.relreplident].toUpperCase()}, not FULL`,
      fix: `ALTER TABLE ${table} REPLICA IDENTITY FULL;`,
    });
  }
  if (config.snapshot.mode !== 'never' && !t.can_select) {
    problems.push({
      message: `role ${role} may not SELECT from ${name}, which the snapshot reads`,
      fix: `GRANT SELECT ON ${table} TO ${ident(role)};`,
    });
  }
  return problems;
}

function notAllTables(publication: { puballtables: boolean }, config: SourceConfig): Problem | undefined {
  if (config.tables !== 'all' || publication.puballtables) return undefined;
  const pub = ident(config.publication);
  return {
    message: `publication ${config.publication} exists but is not FOR ALL TABLES, while tables is 'all'`,
    fix: `as a superuser: DROP PUBLICATION ${pub}; CREATE PUBLICATION ${pub} FOR ALL TABLES; or list the tables in the config path tables`,
  };
}

function slotProblem(slot: SlotRow, name: string, database: string): Problem | undefined {
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

async function readSlot(client: pg.Client, name: string) {
  const { rows } = await client.query<SlotRow & { active: boolean }>(
    `select slot_type, plugin, database, wal_status, active from pg_replication_slots where slot_name = $1`,
    [name],
  );
  return rows[0];
}

async function readPublication(client: pg.Client, name: string) {
  const { rows } = await client.query<Record<'puballtables' | 'owned' | 'publishes_all', boolean>>(
    `select puballtables, pg_has_role(pubowner, 'USAGE') as owned,
            pubinsert and pubupdate and pubdelete and pubtruncate as publishes_all
       from pg_publication where pubname = $1`,
    [name],
  );
  return rows[0];
}

/** The captured tables that exist, with what the checks need; 'all' means every user table. */
async function readTables(client: pg.Client, config: SourceConfig): Promise<TableRow[]> {
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
