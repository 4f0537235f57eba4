/**
 * The tables the Debezium-mode checks run on (test/debezium-envelope.int.test.ts,
 * scripts/debezium-compare.ts, scripts/debezium-jdbc-check.ts): one column of every type that
 * Debezium's default mapping gives a schema (debezium/postgres-types.ts) plus the two arrays it
 * leaves out, a composite primary key declared in another order than its columns, keyless tables
 * with and without a unique index. Rows cover the edges: extreme integers, NaN and infinities,
 * infinity dates and timestamps, empty strings and arrays, NULLs everywhere, every time precision.
 */

export const ALL_TYPES_TABLES = ['all_types', 'pk_order', 'keyless', 'keyless_unique'] as const;

export const ALL_TYPES_SCHEMA = `
  create extension if not exists citext;
  create type mood as enum ('sad', 'ok', 'happy');
  create table all_types (
    id integer primary key,
    c_smallint smallint, c_integer integer not null, c_bigint bigint, c_real real, c_double double precision,
    c_numeric_10_2 numeric(10,2), c_numeric numeric, c_money money, c_boolean boolean not null,
    c_text text, c_varchar varchar(20), c_char char(3), c_name name, c_citext citext, c_mood mood,
    c_uuid uuid, c_date date, c_time time, c_time_3 time(3), c_time_0 time(0), c_timestamp timestamp,
    c_timestamp_3 timestamp(3), c_timestamptz timestamptz, c_timestamptz_3 timestamptz(3),
    c_timestamptz_0 timestamptz(0), c_interval interval,
    c_json json, c_jsonb jsonb, c_bytea bytea, c_xml xml, c_oid oid,
    c_int_array integer[], c_text_array text[], c_numeric_array numeric(5,2)[], c_timestamptz_array timestamptz[],
    c_mood_array mood[], c_money_array money[], c_interval_array interval[],
    c_inet inet, c_cidr cidr, c_macaddr macaddr, c_int4range int4range, c_tstzrange tstzrange
  );
  alter table all_types replica identity full;
  create table pk_order (b integer, a text, note text, primary key (a, b));
  create table keyless (x integer, y text);
  alter table keyless replica identity full;
  create table keyless_unique (x integer not null, y text, z integer);
  create unique index keyless_unique_z on keyless_unique (z);
  create unique index keyless_unique_x on keyless_unique (x);
  alter table keyless_unique replica identity full;
`;

const ALL_COLUMNS = `id, c_smallint, c_integer, c_bigint, c_real, c_double, c_numeric_10_2, c_numeric, c_money,
  c_boolean, c_text, c_varchar, c_char, c_name, c_citext, c_mood, c_uuid, c_date, c_time, c_time_3, c_time_0,
  c_timestamp, c_timestamp_3, c_timestamptz, c_timestamptz_3, c_timestamptz_0, c_interval, c_json, c_jsonb,
  c_bytea, c_xml, c_oid, c_int_array, c_text_array, c_numeric_array, c_timestamptz_array, c_mood_array,
  c_money_array, c_interval_array, c_inet, c_cidr, c_macaddr, c_int4range, c_tstzrange`;

/** Rows of all_types: ordinary values, the edges, NULLs. */
const TYPED_ROWS = (first: number) => `
  (${first}, -32768, -2147483648, -9223372036854775808, 1.5, 0.1, -12345678.90, 0.000000000000000001, -1234.56, true,
   'plain', 'várchar ✓', 'ab', 'nm', 'CiText', 'happy',
   '123e4567-e89b-12d3-a456-426614174000', '2024-02-29', '23:59:59.999999', '12:34:56.789', '01:02:03',
   '2024-02-29 12:34:56.123456', '1970-01-01 00:00:00.001', '2024-02-29 12:34:56.654321+02',
   '2024-02-29 12:34:56.654+02', '2024-02-29 12:34:56+02', '1 year 2 mons 3 days 04:05:06.789',
   '{"a": [1, 2.5]}', '{"b": null}', '\\x00ff10', '<a>x</a>', 4294967295,
   '{1,NULL,-3}', '{"a","b c",NULL}', '{1.5,NULL}', '{"2024-01-01 00:00:00+00",NULL}', '{sad,happy}',
   '{1.00}', '{1 day}',
   '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '[1,10)', '[2024-01-01 00:00:00+00,2024-01-02 00:00:00+00)'),
  (${first + 1}, 32767, 2147483647, 9223372036854775807, 'NaN', '-Infinity', 99999999.99, 'NaN', 0, false,
   '', '', 'x', '', '', 'sad',
   '00000000-0000-0000-0000-000000000000', 'infinity', '00:00:00', '00:00:00', '00:00:00', 'infinity',
   '-infinity', 'infinity', '-infinity', '1900-06-30 23:59:59.5-05', '-3 days 00:00:01.5',
   '[]', '{}', '\\x', '', 0,
   '{}', '{}', '{}', '{}', '{}', '{}', '{}',
   '::1', '::1/128', '00:00:00:00:00:00', 'empty', 'empty'),
  (${first + 2}, null, 0, null, 'Infinity', null, null, '-12.500', null, false,
   null, null, null, null, null, null, null, '-infinity', null, null, null, null, null, null, null, null, null,
   null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null)`;

/** The rows there before any capture starts: what the snapshots read. */
export const SNAPSHOT_ROWS = `
  insert into all_types (${ALL_COLUMNS}) values ${TYPED_ROWS(1)};
  insert into pk_order values (1, 'x', 'first'), (2, 'y', 'second');
  insert into keyless values (1, 'one'), (2, 'two');
  insert into keyless_unique values (1, 'one', 10), (2, 'two', 20);
`;

/**
 * The changes streamed after the snapshots, one transaction per statement unless grouped: the
 * same typed rows inserted (the stream's text path), an update, a primary-key change, a delete,
 * a transaction over several tables (orders inside it), a truncate, and one more change after it.
 */
export const STREAMED_CHANGES = [
  `insert into all_types (${ALL_COLUMNS}) values ${TYPED_ROWS(10)}`,
  `update all_types set c_text = 'updated', c_integer = 99 where id = 10`,
  `update all_types set id = 20 where id = 10`,
  `delete from all_types where id = 20`,
  `begin;
   insert into pk_order values (3, 'z', 'third');
   update pk_order set note = 'changed' where a = 'x';
   insert into keyless values (3, 'three');
   update keyless set y = 'TWO' where x = 2;
   delete from keyless where x = 1;
   update keyless_unique set y = 'uno' where x = 1;
   update keyless_unique set x = 5 where x = 2;
   delete from pk_order where a = 'y';
   commit`,
  `truncate keyless`,
  `insert into pk_order values (4, 'w', 'after the truncate')`,
];
