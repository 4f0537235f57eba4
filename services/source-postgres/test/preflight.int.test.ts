import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CdcError } from '@cdc/core';
import { isolate } from '@cdc/testkit';
import { parseSourceConfig, type SourceConfig } from '../src/config.ts';
import { preflight } from '../src/preflight.ts';
import { ensurePublicationAndSlot } from '../src/publication-setup.ts';

const iso = isolate('preflight');
const role = `${iso.id}_noreplication`;
let url: string;
let sql: pg.Client;

/** A configuration of its own for each test: publication and slot names never collide. */
function configFor(suffix: string, settings: Record<string, unknown>): SourceConfig {
  return parseSourceConfig({ name: `${iso.id}_${suffix}`, database: { url }, ...settings }, {});
}

async function failure(attempt: Promise<unknown>, code: string): Promise<CdcError> {
  const error: unknown = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CdcError);
  expect((error as CdcError).code).toBe(code);
  return error as CdcError;
}

const refusal = (client: pg.Client, config: SourceConfig) =>
  failure(preflight(client, config), 'PREFLIGHT_FAILED');

async function dropSlot(name: string): Promise<void> {
  await sql.query(
    `select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1`,
    [name],
  );
}

beforeAll(async () => {
  url = await iso.postgresUrl();
  sql = new pg.Client({ connectionString: url });
  await sql.connect();
  await sql.query(`
    create table patients (id bigint primary key, name text not null);
    create table visits (patient_id bigint, day date, note text, primary key (patient_id, day));
    create table audit_log (at timestamptz, line text)`);
});

afterAll(async () => {
  // Before the isolation's own clean-up, which drops the database: DROP OWNED works per database.
  await sql.query(`do $$ begin
      if exists (select from pg_roles where rolname = '${role}') then
        drop owned by ${role}; drop role ${role};
      end if; end $$`);
  await sql.end();
});

describe('preflight', () => {
  it('passes a healthy setup and reports its tables', async () => {
    const report = await preflight(
      sql,
      configFor('healthy', { tables: ['public.patients', 'public.visits'] }),
    );
    expect(report).toMatchObject({
      database: iso.id,
      role: 'postgres',
      publication: { name: `${iso.id}_healthy_pub`, exists: false, allTables: false },
      slot: { name: `${iso.id}_healthy_slot`, exists: false, active: false },
    });
    expect(report.tables).toEqual([
      {
        schema: 'public',
        name: 'patients',
        replicaIdentity: 'default',
        keyColumns: ['id'],
        published: false,
      },
      {
        schema: 'public',
        name: 'visits',
        replicaIdentity: 'default',
        keyColumns: ['patient_id', 'day'],
        published: false,
      },
    ]);
  });

  it('refuses a keyless table with the exact fix, then accepts it with REPLICA IDENTITY FULL and keyless.allow', async () => {
    await sql.query(`create table events (at timestamptz, payload text)`);
    const tables = ['public.patients', 'public.events'];
    const refused = await refusal(sql, configFor('keyless', { tables }));
    expect(refused.retriable).toBe(false);
    expect(refused.message).toContain('public.events has no primary key');
    expect(refused.message).toContain(
      `ALTER TABLE "public"."events" REPLICA IDENTITY FULL; and add 'public.events' to the config path keyless.allow`,
    );

    const allowed = configFor('keyless', { tables, keyless: { allow: ['public.events'] } });
    const stillDefault = await refusal(sql, allowed);
    expect(stillDefault.message).toContain(
      'public.events has no primary key and is in keyless.allow, but its replica identity is DEFAULT, not FULL',
    );
    expect(stillDefault.message).toContain('fix: ALTER TABLE "public"."events" REPLICA IDENTITY FULL;');

    await sql.query(`alter table events replica identity full`);
    const report = await preflight(sql, allowed);
    expect(report.tables.find((t) => t.name === 'events')).toEqual({
      schema: 'public',
      name: 'events',
      replicaIdentity: 'full',
      keyColumns: [],
      published: false,
    });
  });

  it('checks declared key columns against the catalog, every problem with its fix', async () => {
    await sql.query(`
      create table readings (sensor text, at timestamptz not null, v float8,
                             twice float8 generated always as (v * 2) stored);
      alter table readings replica identity full`);
    const tables = ['public.patients', 'public.readings'];
    const declared = (keyColumns: Record<string, string[]>) =>
      configFor('declared', { tables, keyless: { key_columns: keyColumns } });
    const error = await refusal(
      sql,
      declared({ 'public.patients': ['name'], 'public.readings': ['at', 'Sensor', 'twice'] }),
    );
    expect(error.details.problems).toHaveLength(3);
    expect(error.message).toContain(
      'keyless.key_columns declares (name) as the key of public.patients, which has a primary key (id): that is its message key',
    );
    expect(error.message).toContain(
      "fix: remove the config path keyless.key_columns['public.patients'] (tables with a primary key are keyed by it)",
    );
    expect(error.message).toContain(
      'keyless.key_columns declares public.readings.Sensor as a key column, but public.readings has no such column',
    );
    expect(error.message).toContain(
      'keyless.key_columns declares public.readings.twice as a key column, but it is a generated column, whose values pgoutput never sends',
    );
    expect(error.message).toContain(
      "fix: correct the config path keyless.key_columns['public.readings'] to columns of the table (sensor, at, v)",
    );

    // Declaring the key is the opt-in: readings needs no keyless.allow entry.
    const report = await preflight(sql, declared({ 'public.readings': ['sensor', 'at'] }));
    expect(report.tables.find((t) => t.name === 'readings')).toEqual({
      schema: 'public',
      name: 'readings',
      replicaIdentity: 'full',
      keyColumns: [],
      declaredKeyColumns: ['sensor', 'at'],
      published: false,
    });
    expect(report.warnings).toContainEqual({
      message:
        'key column public.readings.sensor (keyless.key_columns) is nullable: rows with NULL there share that part of their message key',
      fix: 'ALTER TABLE "public"."readings" ALTER COLUMN "sensor" SET NOT NULL; if it never holds NULL',
    });
    expect(report.warnings.some((w) => w.message.includes('public.readings.at'))).toBe(false);
  });

  it('warns about inactive slots of others, with the WAL each keeps and the command that drops it', async () => {
    const config = configFor('slots', { tables: ['public.patients'] });
    const idle = `${iso.id}_idle`;
    await sql.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [idle]);
    await sql.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [config.slot]);
    try {
      await sql.query(`insert into patients select n, 'p' || n from generate_series(1000, 1999) n`);
      const report = await preflight(sql, config);
      const warning = report.warnings.find((w) => w.message.includes(idle));
      expect(warning?.message).toMatch(
        new RegExp(
          `^replication slot ${idle} \\(logical slot of database ${iso.id}\\) is inactive and retains \\d+(\\.\\d)? (bytes|kB|MB) of WAL$`,
        ),
      );
      const command = `psql ${url} -c "select pg_drop_replication_slot('${idle}')"`;
      expect(warning?.fix).toBe(`if nothing uses it any more: ${command}`);
      // Its own slot is the one it streams from: no warning about it.
      expect(report.warnings.some((w) => w.message.includes(`slot ${config.slot} `))).toBe(false);
      // A refusal lists the warnings too, after the problems.
      const refused = await refusal(sql, configFor('slots', { tables: ['public.audit_log'] }));
      expect(refused.message).toMatch(new RegExp(`Warnings \\(not blocking\\):\\n[^]*slot ${idle} `));

      // The command does what it says.
      execFileSync('sh', ['-c', command], { stdio: 'pipe' });
      const { rowCount } = await sql.query(`select 1 from pg_replication_slots where slot_name = $1`, [idle]);
      expect(rowCount).toBe(0);
    } finally {
      await dropSlot(idle);
      await dropSlot(config.slot);
    }
  });

  it('names missing tables, together with every other problem', async () => {
    const error = await refusal(
      sql,
      configFor('missing', {
        tables: ['public.patients', 'public.nope', 'Public.Patients', 'public.audit_log'],
      }),
    );
    expect(error.message).toContain(`tables not found in database ${iso.id}: public.nope, Public.Patients`);
    expect(error.message).toContain('public.audit_log has no primary key');
    expect(error.details.problems).toHaveLength(2);
  });

  it("checks every user table with tables: 'all'", async () => {
    const error = await refusal(sql, configFor('all', {}));
    expect(error.message).toContain('public.audit_log has no primary key');
    expect(error.message).not.toContain('public.patients');
    const allowed = await refusal(
      sql,
      configFor('all', { keyless: { allow: ['public.audit_log', 'public.events'] } }),
    );
    expect(allowed.message).toContain(
      'public.audit_log has no primary key and is in keyless.allow, but its replica identity is DEFAULT, not FULL',
    );
  });

  it('tells a role without REPLICATION exactly what to run', async () => {
    await sql.query(`create role ${role} login`);
    const asRole = new URL(url);
    asRole.username = role;
    asRole.password = '';
    const client = new pg.Client({ connectionString: asRole.toString() });
    await client.connect();
    try {
      const config = configFor('role', { tables: ['public.patients'] });
      const error = await refusal(client, config);
      expect(error.message).toContain(`role ${role} has neither REPLICATION nor SUPERUSER`);
      expect(error.message).toContain(`fix: as a superuser: ALTER ROLE "${role}" WITH REPLICATION;`);
      expect(error.message).toContain(`role ${role} may not SELECT from public.patients`);
      expect(error.message).toContain(`fix: GRANT SELECT ON "public"."patients" TO "${role}";`);
      expect(error.message).toContain(
        `cannot create publication ${iso.id}_role_pub: it does not own public.patients`,
      );
      expect(error.message).toContain(
        `fix: as the owner of the tables or a superuser: CREATE PUBLICATION "${iso.id}_role_pub" FOR TABLE "public"."patients";`,
      );

      await sql.query(`alter role ${role} with replication; grant select on patients to ${role}`);
      const remaining = await refusal(client, config);
      expect(remaining.details.problems).toHaveLength(1); // only the publication, which postgres must create
      await sql.query(`create publication ${iso.id}_role_pub for table patients`);
      expect((await preflight(client, config)).tables[0]?.published).toBe(true);
    } finally {
      await client.end();
    }
  });
});

describe('ensurePublicationAndSlot', () => {
  it('creates publication and slot once, and adds a newly listed table to the publication', async () => {
    const first = configFor('ensure', { tables: ['public.patients'] });
    try {
      const created = await ensurePublicationAndSlot(sql, first);
      expect(created.publication).toEqual({ name: first.publication, created: true, addedTables: [] });
      expect(created.slot).toMatchObject({ name: first.slot, created: true });
      expect(created.slot.consistentLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      expect(created.changes).toHaveLength(2);

      const again = await ensurePublicationAndSlot(sql, first);
      expect(again).toEqual({
        publication: { name: first.publication, created: false, addedTables: [] },
        slot: { name: first.slot, created: false },
        changes: [],
      });

      const wider = configFor('ensure', { tables: ['public.patients', 'public.visits'] });
      const added = await ensurePublicationAndSlot(sql, wider);
      expect(added.publication.addedTables).toEqual(['public.visits']);
      expect(added.changes).toEqual([`added public.visits to publication ${wider.publication}`]);
      expect(added.slot.created).toBe(false);

      const report = await preflight(sql, wider);
      expect(report.tables.map((t) => [t.name, t.published])).toEqual([
        ['patients', true],
        ['visits', true],
      ]);
      expect(report.slot).toEqual({ name: wider.slot, exists: true, active: false });
      expect((await ensurePublicationAndSlot(sql, wider)).changes).toEqual([]);
    } finally {
      await dropSlot(first.slot);
    }
  });

  it('refuses a slot of another kind or of another database, in preflight too', async () => {
    const physical = configFor('physical', { tables: ['public.patients'] });
    const elsewhere = configFor('elsewhere', { tables: ['public.patients'] });
    const other = new pg.Client({ connectionString: iso.env.CDC_PG_URL });
    await other.connect();
    try {
      await sql.query(`select pg_create_physical_replication_slot($1)`, [physical.slot]);
      await other.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [elsewhere.slot]);
      const otherDb = new URL(iso.env.CDC_PG_URL).pathname.slice(1);

      const kind = await failure(ensurePublicationAndSlot(sql, physical), 'SLOT_MISMATCH');
      expect(kind.retriable).toBe(false);
      expect(kind.message).toBe(
        `slot ${physical.slot} exists but is a physical slot, not a logical slot of pgoutput`,
      );
      expect(kind.fix).toContain(`SELECT pg_drop_replication_slot('${physical.slot}')`);

      const database = await failure(ensurePublicationAndSlot(sql, elsewhere), 'SLOT_MISMATCH');
      expect(database.message).toBe(
        `slot ${elsewhere.slot} belongs to database ${otherDb}, not ${iso.id}; a slot serves one database`,
      );
      expect((await refusal(sql, elsewhere)).message).toContain(`belongs to database ${otherDb}`);
    } finally {
      await dropSlot(physical.slot);
      await other.query(`select pg_drop_replication_slot($1)`, [elsewhere.slot]).catch(() => undefined);
      await other.end();
    }
  });
});
