import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { LogicalReplicationService } from 'pg-logical-replication';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokerList } from '@cdc/core';
import { isolate, readTopic } from '@cdc/testkit';
import { schemaRegistryOptions } from '@cdc/core';
import { topicName, valueSchema } from '../src/avro/table-schemas.ts';
import type { InsertMessage, PgoutputMessage, RelationMessage } from '../src/pgoutput/messages.ts';
import { RawPgoutputPlugin } from '../src/pgoutput/plugin.ts';
import { replicationSessionOptions } from '../src/stream/change-stream.ts';
import type { ColumnKind, ColumnValue } from '../src/types/column-kind.ts';
import { decodeText } from '../src/types/decode-text.ts';
import { kindOf, loadTypeInfo } from '../src/types/type-catalog.ts';

// One column per row of the type mapping in docs/contracts.md, and rows of edge values. Each value
// goes PostgreSQL -> pgoutput -> text decoder -> Avro (schema in the registry) -> Kafka -> Avro
// decoder, and must come out equal to what PostgreSQL itself computes for it by another route
// (epoch arithmetic, hex encoding, JSON aggregation), value for value.

const COLUMNS = `
  id int primary key,
  c_int2 smallint, c_int4 integer, c_int8 bigint,
  c_float4 real, c_float8 double precision,
  c_numeric numeric(20, 6), c_numeric_free numeric, c_money money,
  c_bool boolean,
  c_text text, c_varchar varchar(20), c_char char(5), c_citext citext, c_enum mood,
  c_uuid uuid,
  c_date date, c_time time, c_timestamp timestamp, c_timestamptz timestamptz,
  c_interval interval,
  c_json json, c_jsonb jsonb,
  c_bytea bytea,
  c_int_array int[], c_text_array text[], c_numeric_array numeric(8, 3)[],
  c_inet inet, c_point point`;

const ROWS = [
  `(1, 32767, 2147483647, 9223372036854775807, 3.4028235e38, 1.7976931348623157e308,
    '99999999999999.999999', '3.14159265358979323846264338327950288419716939937510', 1234.56,
    true, 'Zoë 🩺 ∑ 中文', '', 'ab', 'MiXeD', 'happy', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    '0044-03-15 BC', '24:00:00', '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.999999+05:30',
    '1 year 2 mons 3 days 04:05:06.789', '{"a": [1, 2.50, null],  "b": "x"}', '{"b": 1, "a": 2}',
    '\\x00ff10', '{1,NULL,-3}', ARRAY['a b', NULL, '"q"', 'x,y', 'NULL', ''], '{1.5,NULL,-0.001}',
    '192.168.0.1/24', '(1.5,-2)')`,
  `(2, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
    null, null, null, null, null, null, null, null, null, null, null, null, null)`,
  `(3, -32768, -2147483648, -9223372036854775808, '-Infinity', 'NaN',
    '-0.000001', 'NaN', -0.01, false, '', 'x', 'abcde', '', 'sad', '00000000-0000-0000-0000-000000000000',
    'infinity', '00:00:00.000001', '-infinity', 'infinity', '-1 days -00:00:00.000001', 'null', '[]',
    '\\x', '{}', '{}', '{}', '::1', '(0,0)')`,
  `(4, 0, 0, 9007199254740993, 1.1, 0.1, '0.000000', '-1e-30', 0, true, 'tab\there',
    'quote''s', ' ', 'ÄÖÜ', 'ok', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '1970-01-01', '12:34:56.5',
    '1969-12-31 23:59:59.999999', '1900-01-01 00:00:00+00:19:32', 'P0D', '"str"', '{"nested": {"deep": [true]}}',
    '\\xdeadbeef', '{2147483647,-2147483648}', '{"\\\\back\\\\slash"}', '{99999.999}', '10.0.0.0/8', '(-1e-10,1e10)')`,
];

/**
 * What PostgreSQL computes for each column, by routes other than the text output the source
 * decodes: epoch arithmetic for times, hex for bytes, JSON aggregation of element texts for arrays.
 * format('%s') keeps what a ::text cast would change (the padding of char(n), inet's output form).
 */
const ORACLE = `
  select id,
    c_int2::text, c_int4::text, c_int8::text, c_float4::text, c_float8::text,
    c_numeric::text, c_numeric_free::text, c_money::text, c_bool::text,
    c_text, c_varchar, case when c_char is not null then format('%s', c_char) end as c_char, c_citext::text, c_enum::text, c_uuid::text,
    case when isfinite(c_date) then (c_date - date '1970-01-01')::text else c_date::text end as c_date,
    (extract(epoch from c_time) * 1000000)::numeric(20, 0)::text as c_time,
    case when isfinite(c_timestamp) then (extract(epoch from c_timestamp) * 1000000)::numeric(30, 0)::text
         else c_timestamp::text end as c_timestamp,
    case when isfinite(c_timestamptz) then (extract(epoch from c_timestamptz) * 1000000)::numeric(30, 0)::text
         else c_timestamptz::text end as c_timestamptz,
    c_interval::text, c_json::text, c_jsonb::text, encode(c_bytea, 'hex') as c_bytea,
    case when c_int_array is not null then coalesce((select json_agg(x::text) from unnest(c_int_array) x), '[]') end::text as c_int_array,
    case when c_text_array is not null then coalesce((select json_agg(x) from unnest(c_text_array) x), '[]') end::text as c_text_array,
    case when c_numeric_array is not null then coalesce((select json_agg(x::text) from unnest(c_numeric_array) x), '[]') end::text as c_numeric_array,
    case when c_inet is not null then format('%s', c_inet) end as c_inet, case when c_point is not null then format('%s', c_point) end as c_point
  from matrix order by id`;

function expectedValue(kind: ColumnKind, text: string | null): ColumnValue {
  if (text === null) return null;
  switch (kind.kind) {
    case 'int16':
    case 'int32':
    case 'float64':
      return Number(text);
    case 'float32':
      return Math.fround(Number(text));
    case 'int64':
    case 'time':
      return BigInt(text);
    case 'date':
      return text === 'infinity' ? 2147483647 : text === '-infinity' ? -2147483648 : Number(text);
    case 'timestamp':
    case 'timestamptz':
      if (text === 'infinity') return 9223372036854775807n;
      if (text === '-infinity') return -9223372036854775808n;
      return BigInt(text);
    case 'bool':
      return text === 'true';
    case 'bytea':
      return Buffer.from(text, 'hex');
    case 'array':
      return text === '[]' || text === ''
        ? []
        : (JSON.parse(text) as Array<string | null>).map((e) => expectedValue(kind.element, e));
    default:
      return text;
  }
}

const iso = isolate('type-matrix');
const topic = topicName(iso.id, 'public', 'matrix');
let url: string;
let sql: pg.Client;

beforeAll(async () => {
  url = await iso.postgresUrl();
  sql = new pg.Client({ connectionString: url, options: replicationSessionOptions() });
  await sql.connect();
  await sql.query(`create extension if not exists citext; create type mood as enum ('sad', 'ok', 'happy')`);
  await sql.query(`create table matrix (${COLUMNS})`);
  await sql.query(`create publication matrix_pub for table matrix`);
  await sql.query(`select pg_create_logical_replication_slot('matrix_slot', 'pgoutput')`);
  await sql.query(`insert into matrix values ${ROWS.join(',\n')}`);
});

afterAll(() => sql.end());

/** Streams the slot until the first commit and returns the relation and its inserted rows. */
async function captureInserts(): Promise<{ relation: RelationMessage; inserts: InsertMessage[] }> {
  const service = new LogicalReplicationService(
    { connectionString: url, options: replicationSessionOptions() },
    { acknowledge: { auto: false, timeoutSeconds: 0 } },
  );
  const messages: PgoutputMessage[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      service.on('data', (_lsn: string, message: PgoutputMessage) => {
        messages.push(message);
        if (message.tag === 'commit') resolve();
      });
      service
        .subscribe(new RawPgoutputPlugin({ publicationNames: ['matrix_pub'] }), 'matrix_slot')
        .catch(reject);
    });
  } finally {
    await service.stop();
  }
  const relation = messages.find((m): m is RelationMessage => m.tag === 'relation');
  if (!relation) throw new Error('no relation message before the inserts');
  return { relation, inserts: messages.filter((m): m is InsertMessage => m.tag === 'insert') };
}

describe('type matrix: PostgreSQL -> pgoutput -> Avro in Kafka', () => {
  it('delivers every mapped type value for value', async () => {
    const { relation, inserts } = await captureInserts();
    expect(inserts).toHaveLength(ROWS.length);

    const { rows: attributes } = await sql.query<{ name: string; not_null: boolean }>(
      `select attname as name, attnotnull as not_null from pg_attribute
        where attrelid = 'matrix'::regclass and attnum > 0 and not attisdropped order by attnum`,
    );
    const types = await loadTypeInfo(
      sql,
      relation.columns.map((c) => c.typeOid),
    );
    const columns = relation.columns.map((c, i) => ({
      name: c.name,
      kind: kindOf(c.typeOid, c.typeMod, types),
      nullable: !attributes[i]?.not_null,
      isKey: c.isKey,
    }));
    const decoded = inserts.map((insert) =>
      Object.fromEntries(
        columns.map((column, i) => {
          const text = insert.new[i] ?? null;
          if (typeof text === 'symbol') throw new Error(`unexpected unchanged TOAST value in ${column.name}`);
          return [column.name, text === null ? null : decodeText(column.kind, text)];
        }),
      ),
    );

    // Through the registry and Kafka, as consumers will read it.
    const registry = new SchemaRegistry({ host: iso.env.SCHEMA_REGISTRY_URL }, schemaRegistryOptions);
    const schema = valueSchema({ prefix: iso.id, schema: 'public', table: 'matrix', columns });
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: `${topic}-value` },
    );
    const kafka = new Kafka({ brokers: kafkaBrokerList(iso.env), logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    try {
      await producer.connect();
      await producer.send({
        topic,
        messages: await Promise.all(decoded.map(async (row) => ({ value: await registry.encode(id, row) }))),
      });
    } finally {
      await producer.disconnect();
    }
    const received = await Promise.all(
      (await readTopic(iso.env, topic, decoded.length, `${iso.id}-matrix`)).map(
        (message) => registry.decode(message.value as Buffer) as Promise<unknown>,
      ),
    );

    const { rows: oracle } = await sql.query<Record<string, string | null>>(ORACLE);
    const expected = oracle.map((row) =>
      Object.fromEntries(
        columns.map((column) => [column.name, expectedValue(column.kind, row[column.name] ?? null)]),
      ),
    );
    // Avro records decode to class instances; compare plain field values.
    const plain = received.map((record) => ({ ...(record as Record<string, unknown>) }));
    expect(plain).toEqual(expected);
  });
});
