import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TableShape } from '../../src/avro/table-schemas.ts';
import { toConnect } from '../../src/debezium/avro-data.ts';
import type { ConnectSchema } from '../../src/debezium/connect-schema.ts';
import { debeziumEnvelope } from '../../src/debezium/debezium-format.ts';
import type { DebeziumColumn } from '../../src/debezium/debezium-schemas.ts';
import { kindOf, pgTypeOf, type PgTypeInfo } from '../../src/types/type-catalog.ts';

/**
 * The acceptance check of Debezium mode: our Debezium-mode Avro schemas, read back the way the
 * Avro converter reads them (Avro -> Connect), must equal the Connect schemas of Debezium's
 * PostgreSQL connector transcribed in postgres-connector-3.6.1.json, field by field: names, types,
 * optionality, semantic type names, versions, parameters, docs, defaults. Every difference is
 * listed.
 */

type Expected = {
  type: ConnectSchema['type'];
  optional?: boolean;
  name?: string;
  version?: number;
  doc?: string;
  default?: string;
  parameters?: Record<string, string>;
  fields?: { name: string; connect: Expected }[];
  items?: Expected;
};
type Fixture = {
  columns: { column: string; oid: number; typmod: number; connect: Expected | null }[];
  source: { name: string; version: number; fields: { name: string; connect: Expected }[] };
  transaction: {
    name: string;
    version: number;
    optional: boolean;
    fields: { name: string; connect: Expected }[];
  };
  envelope: { version: number; fields: { name: string; is?: string; connect?: Expected }[] };
};

const fixture = JSON.parse(
  readFileSync(new URL('./postgres-connector-3.6.1.json', import.meta.url), 'utf8'),
) as Fixture;

/** The fixture's notation as a Connect schema; `optional` defaults to the column's nullability. */
function expectedSchema(e: Expected, optional: boolean): ConnectSchema {
  return {
    type: e.type,
    optional: e.optional ?? optional,
    ...(e.name === undefined ? {} : { name: e.name }),
    ...(e.version === undefined ? {} : { version: e.version }),
    ...(e.doc === undefined ? {} : { doc: e.doc }),
    ...(e.default === undefined ? {} : { defaultValue: e.default }),
    ...(e.parameters === undefined ? {} : { parameters: e.parameters }),
    ...(e.fields
      ? { fields: e.fields.map((f) => ({ name: f.name, schema: expectedSchema(f.connect, false) })) }
      : {}),
    ...(e.items ? { items: expectedSchema(e.items, false) } : {}),
  };
}

/** Every difference between two Connect schemas, as "path: what". */
function differences(
  path: string,
  ours: ConnectSchema | undefined,
  theirs: ConnectSchema | undefined,
): string[] {
  if (!ours || !theirs)
    return ours === theirs
      ? []
      : [`${path}: ours ${ours ? 'present' : 'absent'}, Debezium's ${theirs ? 'present' : 'absent'}`];
  const out: string[] = [];
  for (const key of ['type', 'optional', 'name', 'version', 'doc', 'defaultValue'] as const) {
    if (ours[key] !== theirs[key])
      out.push(`${path}.${key}: ours ${String(ours[key])}, Debezium's ${String(theirs[key])}`);
  }
  if (JSON.stringify(ours.parameters ?? {}) !== JSON.stringify(theirs.parameters ?? {})) {
    out.push(
      `${path}.parameters: ours ${JSON.stringify(ours.parameters)}, Debezium's ${JSON.stringify(theirs.parameters)}`,
    );
  }
  const ourFields = ours.fields ?? [];
  const theirFields = theirs.fields ?? [];
  const names = (fields: readonly { name: string }[]) => fields.map((f) => f.name).join(',');
  if (names(ourFields) !== names(theirFields)) {
    out.push(`${path}.fields: ours [${names(ourFields)}], Debezium's [${names(theirFields)}]`);
  }
  for (const field of theirFields) {
    const mine = ourFields.find((f) => f.name === field.name);
    if (mine) out.push(...differences(`${path}.${field.name}`, mine.schema, field.schema));
  }
  if (ours.items || theirs.items) out.push(...differences(`${path}[]`, ours.items, theirs.items));
  return out;
}

// The catalog rows kindOf and pgTypeOf read for the fixture's non-built-in types (PostgreSQL 15
// OIDs for pg_catalog's; 9000x for the test's own enum, extension type and enum array).
const catalog = (rows: [number, string, string, string, string, number][]) =>
  new Map<number, PgTypeInfo>(
    rows.map(([oid, schema, name, type, category, elementOid]) => [
      oid,
      { oid, schema, name, type, category, elementOid, baseOid: 0, baseTypeMod: -1 },
    ]),
  );
const types = catalog([
  [90001, 'public', 'mood', 'e', 'E', 0],
  [90002, 'public', 'citext', 'b', 'S', 0],
  [90003, 'public', '_mood', 'b', 'A', 90001],
  [1007, 'pg_catalog', '_int4', 'b', 'A', 23],
  [1009, 'pg_catalog', '_text', 'b', 'A', 25],
  [1231, 'pg_catalog', '_numeric', 'b', 'A', 1700],
  [1185, 'pg_catalog', '_timestamptz', 'b', 'A', 1184],
  [791, 'pg_catalog', '_money', 'b', 'A', 790],
  [1187, 'pg_catalog', '_interval', 'b', 'A', 1186],
  [869, 'pg_catalog', 'inet', 'b', 'I', 0],
  [3904, 'pg_catalog', 'int4range', 'r', 'R', 0],
  [142, 'pg_catalog', 'xml', 'b', 'U', 0],
  [26, 'pg_catalog', 'oid', 'b', 'N', 0],
]);
const enumLabels = new Map([[90001, ['sad', 'ok', 'happy']]]);

function tableOf(nullable: boolean): TableShape {
  const columns: DebeziumColumn[] = [
    { name: 'id', kind: { kind: 'int32' }, nullable: false, isKey: true, pgType: pgTypeOf(23, -1, types) },
    ...fixture.columns.map(({ column, oid, typmod }) => ({
      name: column,
      kind: kindOf(oid, typmod, types),
      nullable,
      isKey: false,
      pgType: pgTypeOf(oid, typmod, types, enumLabels),
    })),
  ];
  return { prefix: 'dbz', schema: 'public', table: 'all_types', columns };
}

function debeziumValueFields(nullable: boolean): ConnectSchema {
  const mapped = fixture.columns.filter((c) => c.connect !== null);
  return {
    type: 'struct',
    optional: true,
    name: 'dbz.public.all_types.Value',
    fields: [
      { name: 'id', schema: { type: 'int32', optional: false } },
      ...mapped.map((c) => ({ name: c.column, schema: expectedSchema(c.connect!, nullable) })),
    ],
  };
}

function debeziumEnvelopeSchema(nullable: boolean): ConnectSchema {
  const value = debeziumValueFields(nullable);
  const source = expectedSchema({ type: 'struct', ...fixture.source, optional: false }, false);
  const transaction = expectedSchema({ type: 'struct', ...fixture.transaction }, true);
  const blocks: Record<string, ConnectSchema> = { 'value (optional)': value, source, transaction };
  return {
    type: 'struct',
    optional: false,
    name: 'dbz.public.all_types.Envelope',
    version: fixture.envelope.version,
    fields: fixture.envelope.fields.map((f) => ({
      name: f.name,
      schema: f.is ? blocks[f.is]! : expectedSchema(f.connect!, false),
    })),
  };
}

describe("Debezium mode's schemas against Debezium 3.6.1's PostgreSQL connector", () => {
  const format = debeziumEnvelope();

  for (const nullable of [true, false]) {
    it(`envelope, source, transaction and every mapped type (${nullable ? 'nullable' : 'NOT NULL'} columns)`, () => {
      const shape = tableOf(nullable);
      const ours = toConnect(format.valueSchema(shape));
      expect(differences('Envelope', ours, debeziumEnvelopeSchema(nullable))).toEqual([]);
    });
  }

  it('the key: the key columns, a required record without a version', () => {
    const ours = toConnect(format.keySchema(tableOf(true))!);
    const theirs: ConnectSchema = {
      type: 'struct',
      optional: false,
      name: 'dbz.public.all_types.Key',
      fields: [{ name: 'id', schema: { type: 'int32', optional: false } }],
    };
    expect(differences('Key', ours, theirs)).toEqual([]);
  });

  it('finds a difference when there is one (the comparison can fail)', () => {
    const shape = tableOf(true);
    const ours = toConnect(format.valueSchema(shape));
    const wrong = debeziumEnvelopeSchema(false);
    expect(differences('Envelope', ours, wrong).length).toBeGreaterThan(0);
  });
});
