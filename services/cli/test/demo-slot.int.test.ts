import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSourceConfig, type SourceConfig } from '@cdc/source-postgres';
import { isolate, waitFor } from '@cdc/testkit';
import { releaseDemoSlot } from '../src/demo/demo-slot.ts';

// What the demo does with its slot when it ends: an inactive slot keeps WAL, so it is dropped
// (with the publication its source made) unless --keep-slot asks to keep it, and it says which.

const iso = isolate('demo-slot');
let sql: pg.Client;
let config: SourceConfig;

const slotExists = async () =>
  (await sql.query(`select 1 from pg_replication_slots where slot_name = $1`, [config.slot])).rowCount === 1;
const publicationExists = async () =>
  (await sql.query(`select 1 from pg_publication where pubname = $1`, [config.publication])).rowCount === 1;

beforeAll(async () => {
  const url = await iso.postgresUrl();
  config = parseSourceConfig({ name: iso.id, database: { url } }, iso.env);
  sql = new pg.Client({ connectionString: url });
  await sql.connect();
  await sql.query(`create publication ${config.publication} for all tables`);
  await sql.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [config.slot]);
});

afterAll(() => sql.end());

describe('releaseDemoSlot', () => {
  it('keeps slot and publication when asked, saying that the slot retains WAL and how to drop it', async () => {
    expect(await releaseDemoSlot(config, true)).toBe(
      `Kept replication slot ${config.slot} and publication ${config.publication} (--keep-slot): the slot ` +
        `retains WAL until it is dropped (the next demo drops it, or: psql ${config.database.url} -c ` +
        `"select pg_drop_replication_slot('${config.slot}')")`,
    );
    expect([await slotExists(), await publicationExists()]).toEqual([true, true]);
  });

  it('drops both by default, once the slot is released, and says so', async () => {
    // A stopped source's walsender lets go of the slot a moment later: hold it, then let go.
    const holder = new pg.Client({ connectionString: config.database.url, replication: 'database' } as never);
    holder.on('error', () => undefined);
    await holder.connect();
    const streaming = `START_REPLICATION SLOT ${config.slot} LOGICAL 0/0 (proto_version '1', publication_names '${config.publication}')`;
    void holder.query(streaming).catch(() => undefined);
    await waitFor('the slot to be active', async () =>
      (await sql.query(`select 1 from pg_replication_slots where slot_name = $1 and active`, [config.slot]))
        .rowCount === 1
        ? true
        : undefined,
    );
    const released = releaseDemoSlot(config, false);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await slotExists()).toBe(true); // still held: not dropped from under its holder
    holder.connection.stream.destroy();
    expect(await released).toBe(
      `Dropped replication slot ${config.slot} and publication ${config.publication} (npm run demo -- --keep-slot keeps them)`,
    );
    expect([await slotExists(), await publicationExists()]).toEqual([false, false]);
    expect(await releaseDemoSlot(config, false)).toBe(`No replication slot ${config.slot} to drop`);
  });
});
