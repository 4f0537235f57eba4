import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolate } from '@cdc/testkit';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const iso = isolate('source-check');
let dir: string;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cdc-source-check-'));
  url = await iso.postgresUrl();
  const sql = new pg.Client({ connectionString: url });
  await sql.connect();
  await sql.query(`create table patients (id bigint primary key, name text); create table audit (note text)`);
  await sql.end();
});

afterAll(() => rm(dir, { recursive: true, force: true }));

async function check(source: Record<string, unknown>) {
  const file = join(dir, `${Object.keys(source).join('-')}-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, JSON.stringify({ source: { database: { url }, ...source } }));
  return spawnSync(process.execPath, [main, 'source', 'check', '--config', file], { encoding: 'utf8' });
}

describe('cdc source check', () => {
  it('reports the captured tables with their keys when the database is ready', async () => {
    const result = await check({ name: iso.id, tables: ['public.patients'] });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('public.patients: key (id), replica identity default');
    expect(result.stdout).toContain(`slot ${iso.id}_slot: will be created`);
  });

  it('warns about inactive slots of others, with the WAL each keeps and the command that drops it', async () => {
    const sql = new pg.Client({ connectionString: url });
    await sql.connect();
    const slot = `${iso.id}_other`;
    try {
      await sql.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
      const result = await check({ name: iso.id, tables: ['public.patients'] });
      expect(result.status, result.stderr).toBe(0); // a warning, not a failure
      expect(result.stdout).toMatch(
        new RegExp(
          `warning: replication slot ${slot} \\(logical slot of database ${iso.id}\\) is inactive and retains .+ of WAL\n` +
            `  fix: if nothing uses it any more: psql ${url} -c "select pg_drop_replication_slot\\('${slot}'\\)"`,
        ),
      );
    } finally {
      await sql.query(`select pg_drop_replication_slot($1)`, [slot]);
      await sql.end();
    }
  });

  it('refuses a table without a primary key and says exactly how to fix it', async () => {
    const result = await check({ name: iso.id, tables: ['public.patients', 'public.audit'] });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('public.audit has no primary key');
    expect(result.stderr).toContain('REPLICA IDENTITY FULL');
    expect(result.stderr).toContain('keyless.allow');
  });

  it('names the config path of a bad setting', async () => {
    const result = await check({ name: iso.id, snapshot: { mode: 'sometimes' } });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/snapshot\.mode.*must be one of initial, never, initial_only, when_needed/);
  });
});
