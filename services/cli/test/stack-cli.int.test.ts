import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { InactiveSlot } from '@cdc/core';
import { isolate, providerName } from '@cdc/testkit';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

function cdc(...args: string[]) {
  return spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 120_000 });
}

interface Status {
  name: string;
  healthy: boolean;
  pid?: number;
  inactiveSlots?: InactiveSlot[];
}

const iso = isolate('stack-cli');

// These drive the local stack itself, so they only apply when it is the one under test.
describe.runIf(providerName(process.env.CDC_TEST_PROVIDER) === 'local')(
  'cdc stack on a running stack',
  () => {
    it('reports every server healthy', () => {
      const result = cdc('stack', 'status', '--json');
      expect(result.status, result.stderr).toBe(0);
      const statuses = JSON.parse(result.stdout) as Status[];
      expect(statuses.map((s) => [s.name, s.healthy])).toEqual([
        ['postgres', true],
        ['kafka', true],
        ['registry', true],
        ['redis', true],
        ['mongo', true],
        ['fhir', true],
        ['notion', true],
        ['calendar', true],
        ['zipkin', true],
        ['prometheus', true],
        ['alertmanager', true],
      ]);
    });

    it('lists inactive replication slots with the WAL each keeps and the command that drops it, as a warning', async () => {
      const sql = new pg.Client({ connectionString: await iso.postgresUrl() });
      await sql.connect();
      const slot = `${iso.id}_forgotten`;
      try {
        await sql.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
        await sql.query(
          `create table filler as select n, repeat('x', 100) as pad from generate_series(1, 5000) n`,
        );

        const text = cdc('stack', 'status');
        expect(text.status, text.stderr).toBe(0); // a warning, not an unhealthy stack
        expect(text.stdout).toMatch(
          new RegExp(
            `warning: replication slot ${slot} \\(logical slot of database ${iso.id}\\) is inactive and retains [\\d.]+ (kB|MB) of WAL\n` +
              `  if nothing uses it any more, drop it: psql \\S+ -c "select pg_drop_replication_slot\\('${slot}'\\)"`,
          ),
        );

        const json = cdc('stack', 'status', '--json');
        expect(json.status, json.stderr).toBe(0);
        const postgres = (JSON.parse(json.stdout) as Status[]).find((s) => s.name === 'postgres');
        const listed = postgres?.inactiveSlots?.find((s) => s.name === slot);
        expect(listed).toMatchObject({ database: iso.id, type: 'logical', walStatus: 'reserved' });
        expect(listed?.retainedBytes).toBeGreaterThan(100 * 5000);

        execFileSync('sh', ['-c', listed!.dropCommand], { stdio: 'pipe' });
        const after = JSON.parse(cdc('stack', 'status', '--json').stdout) as Status[];
        expect(after.find((s) => s.name === 'postgres')?.inactiveSlots?.some((s) => s.name === slot)).toBe(
          false,
        );
      } finally {
        await sql.query(
          `select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1`,
          [slot],
        );
        await sql.end();
      }
    });

    it('treats a second `up` as a no-op that still reports healthy', () => {
      const before = JSON.parse(cdc('stack', 'status', '--json').stdout) as Status[];
      const result = cdc('stack', 'up');
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).not.toContain('Start servers');
      expect(result.stdout.match(/^healthy /gm)).toHaveLength(11);
      const after = JSON.parse(cdc('stack', 'status', '--json').stdout) as Status[];
      expect(after.map((s) => s.pid)).toEqual(before.map((s) => s.pid));
    });
  },
);
