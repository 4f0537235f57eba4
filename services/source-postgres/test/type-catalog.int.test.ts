import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolate } from '@cdc/testkit';
import { kindOf, loadTypeInfo } from '../src/types/type-catalog.ts';

const iso = isolate('type-catalog');
let sql: pg.Client;

beforeAll(async () => {
  sql = new pg.Client({ connectionString: await iso.postgresUrl() });
  await sql.connect();
  await sql.query(`
    create extension if not exists citext;
    create type mood as enum ('sad', 'ok', 'happy');
    create domain amount as numeric(10, 2);
    create domain address as inet;
    create table typed (
      id int primary key, small smallint, big bigint, price numeric(12, 4), wide numeric(3, -2),
      free numeric, cash money, name citext, feeling mood, feelings mood[], total amount,
      totals amount[], host address, stamps timestamptz[], spot point, grid int[]
    )`);
});

afterAll(() => sql.end());

describe('kindOf with the catalog of a real database', () => {
  it('maps every column the way docs/contracts.md says', async () => {
    const { rows } = await sql.query<{ name: string; oid: number; typmod: number }>(
      `select attname as name, atttypid::int as oid, atttypmod as typmod from pg_attribute
        where attrelid = 'typed'::regclass and attnum > 0 order by attnum`,
    );
    const types = await loadTypeInfo(
      sql,
      rows.map((r) => r.oid),
    );
    const kinds = Object.fromEntries(rows.map((r) => [r.name, kindOf(r.oid, r.typmod, types)]));
    expect(kinds).toEqual({
      id: { kind: 'int32' },
      small: { kind: 'int16' },
      big: { kind: 'int64' },
      price: { kind: 'decimal', precision: 12, scale: 4 },
      wide: { kind: 'numeric-text' }, // negative scale: Avro decimal cannot say it
      free: { kind: 'numeric-text' },
      cash: { kind: 'numeric-text' },
      name: { kind: 'text' },
      feeling: { kind: 'text' },
      feelings: { kind: 'array', element: { kind: 'text' } },
      total: { kind: 'decimal', precision: 10, scale: 2 },
      totals: { kind: 'array', element: { kind: 'decimal', precision: 10, scale: 2 } },
      host: { kind: 'other', typeName: 'inet' },
      stamps: { kind: 'array', element: { kind: 'timestamptz' } },
      spot: { kind: 'other', typeName: 'point' },
      grid: { kind: 'array', element: { kind: 'int32' } },
    });
  });
});
