import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import type { Pgoutput } from 'pg-logical-replication';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolate } from '@cdc/testkit';

const iso = isolate('postgres-replication');
let url: string;
let sql: pg.Client;
let service: LogicalReplicationService;

beforeAll(async () => {
  url = await iso.postgresUrl();
  sql = new pg.Client({ connectionString: url });
  await sql.connect();
  service = new LogicalReplicationService(
    { connectionString: url },
    // Never let the library acknowledge on its own: its timer would confirm unsent work
    // (https://github.com/kibae/pg-logical-replication/issues/174).
    { acknowledge: { auto: false, timeoutSeconds: 0 } },
  );
});

afterAll(async () => {
  await service.stop();
  await sql.end();
});

describe('PostgreSQL logical replication', () => {
  it('runs with wal_level=logical and lets us create a pgoutput slot', async () => {
    const { rows } = await sql.query<{ wal_level: string }>(
      `select current_setting('wal_level') as wal_level`,
    );
    expect(rows[0]?.wal_level).toBe('logical');
  });

  it('streams committed changes through a pgoutput slot and advances it only when acknowledged', async () => {
    await sql.query(`create table patients (id bigint primary key, name text not null)`);
    await sql.query(`create publication smoke_pub for table patients`);
    await sql.query(`select pg_create_logical_replication_slot('smoke_slot', 'pgoutput')`);

    const changes: Pgoutput.Message[] = [];
    let commitLsn = '';
    const committed = new Promise<void>((resolve) => {
      service.on('data', (lsn: string, message: Pgoutput.Message) => {
        changes.push(message);
        if (message.tag === 'commit') {
          commitLsn = lsn;
          resolve();
        }
      });
    });
    const streaming = service.subscribe(
      new PgoutputPlugin({ protoVersion: 1, publicationNames: ['smoke_pub'] }),
      'smoke_slot',
    );
    streaming.catch(() => undefined); // ends with an error when afterAll stops the service
    await new Promise<void>((resolve) => service.once('start', () => resolve()));

    await sql.query(`insert into patients values (1, 'Ada'), (9007199254740993, 'Zoë')`);
    await committed;

    const inserts = changes.filter((m): m is Pgoutput.MessageInsert => m.tag === 'insert');
    expect(inserts.map((m) => m.relation.name)).toEqual(['patients', 'patients']);
    // int8 beyond 2^53 arrives as exact text, not a rounded number.
    expect(inserts.map((m) => [String(m.new.id), String(m.new.name)])).toEqual([
      ['1', 'Ada'],
      ['9007199254740993', 'Zoë'],
    ]);

    const confirmed = async () =>
      (
        await sql.query<{ lsn: string | null }>(
          `select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = 'smoke_slot'`,
        )
      ).rows[0]?.lsn;
    const before = await confirmed();
    await service.acknowledge(commitLsn);
    await expect.poll(confirmed, { timeout: 10_000 }).not.toBe(before);
  });
});
