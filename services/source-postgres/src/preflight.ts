import type pg from 'pg';
import { CdcError, describeInactiveSlot, inactiveSlots } from '@cdc/core';
import type { SourceConfig } from './config.ts';
import {
  IDENTITY,
  ident,
  notAllTables,
  qualified,
  readColumns,
  readPublication,
  readSlot,
  readTables,
  slotProblem,
  type ColumnRow,
  type Problem,
  type TableRow,
} from './setup-catalog.ts';

export interface PreflightTable {
  schema: string;
  name: string;
  replicaIdentity: (typeof IDENTITY)[keyof typeof IDENTITY];
  /**
   * Its primary key columns, in key order; empty for a keyless table, whose message key is then
   * its declared key columns or the whole row (key-columns.ts).
   */
  keyColumns: string[];
  /** The columns keyless.key_columns declares as its message key, if any. */
  declaredKeyColumns?: readonly string[];
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
  /**
   * What does not stop the capture but needs the operator's eye, each with its fix: inactive
   * replication slots of others that keep WAL, nullable declared key columns.
   */
  warnings: Problem[];
}

type ServerRow = Record<'wal_level' | 'role' | 'database' | 'version', string> &
  Record<'max_slots' | 'used_slots' | 'max_senders' | 'used_senders', number> &
  Record<'rolsuper' | 'rolreplication' | 'can_create', boolean>;
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
  const warnings: Problem[] = [];
  const declared = await declaredKeyProblems(client, config, found, server.database);
  problems.push(...declared.problems);
  warnings.push(...declared.warnings);
  // Other slots' WAL is not ours to drop, but a forgotten slot keeps its WAL until the disk is full.
  for (const other of await inactiveSlots(client, config.database.url, { except: config.slot })) {
    warnings.push({
      message: describeInactiveSlot(other),
      fix: `if nothing uses it any more: ${other.dropCommand}`,
    });
  }

  if (problems.length > 0) {
    const lines = problems.map((p, i) => `  ${i + 1}. ${p.message}\n     fix: ${p.fix}`);
    const also = warnings.map((w) => `  - ${w.message}\n     fix: ${w.fix}`);
    const text = [
      `PostgreSQL is not ready for capture:\n${lines.join('\n')}`,
      ...(also.length > 0 ? [`Warnings (not blocking):\n${also.join('\n')}`] : []),
    ].join('\n');
    throw new CdcError('PREFLIGHT_FAILED', text, {
      retriable: problems.every((p) => p.retriable),
      fix: 'apply the fix under each problem above, then start again',
      details: { problems, warnings },
    });
  }
  return {
    serverVersion: server.version,
    database: server.database,
    role: server.role,
    tables: found.map((t) => {
      const keyColumns = config.keyless.key_columns[`${t.schema}.${t.name}`];
      return {
        schema: t.schema,
        name: t.name,
        replicaIdentity: IDENTITY[t.relreplident],
        keyColumns: t.pk ?? [],
        ...(keyColumns && { declaredKeyColumns: keyColumns }),
        published: t.published,
      };
    }),
    publication: { name: config.publication, exists: !!publication, allTables: !!publication?.puballtables },
    slot: { name: config.slot, exists: !!slot, active: !!slot?.active },
    warnings,
  };
}

/**
 * The declarations of keyless.key_columns against the catalog: a table that is not there or has
 * a primary key (which is then its message key), columns it lacks or that pgoutput never sends.
 * A nullable key column is allowed (its NULL is part of the key) but worth a warning.
 */
async function declaredKeyProblems(
  client: pg.Client,
  config: SourceConfig,
  tables: readonly TableRow[],
  database: string,
): Promise<{ problems: Problem[]; warnings: Problem[] }> {
  const declared = Object.entries(config.keyless.key_columns);
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  if (declared.length === 0) return { problems, warnings };
  const rows = await readColumns(
    client,
    declared.map(([name]) => name),
  );
  const columns = new Map<string, Map<string, ColumnRow>>();
  for (const column of rows) {
    const known = columns.get(column.table) ?? new Map<string, ColumnRow>();
    columns.set(column.table, known.set(column.name, column));
  }
  for (const [name, keyColumns] of declared) {
    const setting = `the config path keyless.key_columns['${name}']`;
    const table = tables.find((t) => `${t.schema}.${t.name}` === name);
    if (!table) {
      // A listed table that is missing is reported with the other missing tables.
      if (config.tables === 'all') {
        problems.push({
          message: `keyless.key_columns declares the key of ${name}, which is not a table of database ${database}`,
          fix: `create it, or remove ${setting}`,
        });
      }
      continue;
    }
    if (table.pk) {
      problems.push({
        message: `keyless.key_columns declares (${keyColumns.join(', ')}) as the key of ${name}, which has a primary key (${table.pk.join(', ')}): that is its message key`,
        fix: `remove ${setting} (tables with a primary key are keyed by it)`,
      });
      continue;
    }
    const known = columns.get(name) ?? new Map<string, ColumnRow>();
    const captured = [...known.values()].filter((c) => !c.generated).map((c) => c.name);
    for (const column of keyColumns) {
      const found = known.get(column);
      if (!found || found.generated) {
        problems.push({
          message: found
            ? `keyless.key_columns declares ${name}.${column} as a key column, but it is a generated column, whose values pgoutput never sends`
            : `keyless.key_columns declares ${name}.${column} as a key column, but ${name} has no such column`,
          fix: `correct ${setting} to columns of the table (${captured.join(', ')}); names are case-sensitive, as in the catalog`,
        });
      } else if (!found.not_null) {
        warnings.push({
          message: `key column ${name}.${column} (keyless.key_columns) is nullable: rows with NULL there share that part of their message key`,
          fix: `ALTER TABLE ${qualified(table)} ALTER COLUMN ${ident(column)} SET NOT NULL; if it never holds NULL`,
        });
      }
    }
  }
  return { problems, warnings };
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
        `ALTER TABLE ${table} REPLICA IDENTITY FULL; and add '${name}' to the config path keyless.allow ` +
        `(its message key is then the whole row), or declare its key columns in keyless.key_columns`,
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
