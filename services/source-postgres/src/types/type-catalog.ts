import type pg from 'pg';
import { BUILTIN_KINDS, NUMERIC_OID, numericKind, type ColumnKind } from './column-kind.ts';

/** What pg_type says about a type, enough to choose its ColumnKind. */
export interface PgTypeInfo {
  oid: number;
  schema: string;
  name: string;
  /** pg_type.typtype: b base, d domain, e enum, c composite, r range, m multirange, p pseudo. */
  type: string;
  /** pg_type.typcategory: 'A' for arrays. */
  category: string;
  elementOid: number;
  /** For domains: the type underneath, and its modifier (numeric(10,2) under a domain, say). */
  baseOid: number;
  baseTypeMod: number;
}

type Queryable = Pick<pg.Client, 'query'>;

/**
 * Reads pg_type for the given OIDs and, transitively, for the element types of arrays and the
 * base types of domains, so that kindOf can resolve them all without another round trip.
 */
export async function loadTypeInfo(
  client: Queryable,
  oids: Iterable<number>,
): Promise<Map<number, PgTypeInfo>> {
  const types = new Map<number, PgTypeInfo>();
  let pending = [...new Set(oids)].filter((oid) => !BUILTIN_KINDS.has(oid));
  while (pending.length > 0) {
    const { rows } = await client.query<{
      oid: number;
      schema: string;
      name: string;
      type: string;
      category: string;
      element_oid: number;
      base_oid: number;
      base_typmod: number;
    }>(
      `select t.oid::int as oid, n.nspname as schema, t.typname as name, t.typtype as type,
              t.typcategory as category, t.typelem::int as element_oid,
              t.typbasetype::int as base_oid, t.typtypmod as base_typmod
         from pg_type t join pg_namespace n on n.oid = t.typnamespace
        where t.oid = any($1::oid[])`,
      [pending],
    );
    const next = new Set<number>();
    for (const row of rows) {
      types.set(row.oid, {
        oid: row.oid,
        schema: row.schema,
        name: row.name,
        type: row.type,
        category: row.category,
        elementOid: row.element_oid,
        baseOid: row.base_oid,
        baseTypeMod: row.base_typmod,
      });
      for (const oid of [row.category === 'A' ? row.element_oid : 0, row.base_oid]) {
        if (oid !== 0 && !types.has(oid) && !BUILTIN_KINDS.has(oid)) next.add(oid);
      }
    }
    pending = [...next].filter((oid) => !types.has(oid));
  }
  return types;
}

/** The type mapping of docs/contracts.md for one column type. */
export function kindOf(oid: number, typeMod: number, types: ReadonlyMap<number, PgTypeInfo>): ColumnKind {
  const builtin = BUILTIN_KINDS.get(oid);
  if (builtin) return builtin;
  if (oid === NUMERIC_OID) return numericKind(typeMod);
  const info = types.get(oid);
  if (!info) return { kind: 'other', typeName: `oid ${oid}` };
  if (info.type === 'e' || info.name === 'citext') return { kind: 'text' };
  if (info.type === 'd') {
    // A domain travels as its base type; one over a type we do not map stays text.
    return kindOf(info.baseOid, info.baseTypeMod, types);
  }
  if (info.category === 'A' && info.elementOid !== 0) {
    // An array column's modifier is its elements' (numeric(5,2)[] has the numeric's modifier).
    return { kind: 'array', element: kindOf(info.elementOid, typeMod, types) };
  }
  return {
    kind: 'other',
    typeName: info.schema === 'pg_catalog' ? info.name : `${info.schema}.${info.name}`,
  };
}

/**
 * What a column's PostgreSQL type is, beyond its ColumnKind (docs/contracts.md): the facts that a
 * mapping other than ours (Debezium's, src/debezium/postgres-types.ts) switches on. Domains are
 * resolved to their base type, as both mappings do; `typeMod` is then the base type's modifier.
 */
export interface PgColumnType {
  readonly oid: number;
  /** pg_catalog types by bare name ("timestamptz"), others schema-qualified ("public.mood"). */
  readonly name: string;
  /** The modifier: -1 without one; the declared precision of time(p) and timestamp(p). */
  readonly typeMod: number;
  /** An enum's labels in their sort order, when loadEnumLabels read them. */
  readonly enumLabels?: readonly string[];
  /** An array's element type. */
  readonly element?: PgColumnType;
}

// pg_type.typname of the built-in types of BUILTIN_KINDS and numeric, which loadTypeInfo skips.
const BUILTIN_NAMES: ReadonlyMap<number, string> = new Map([
  [16, 'bool'],
  [17, 'bytea'],
  [18, 'char'],
  [19, 'name'],
  [20, 'int8'],
  [21, 'int2'],
  [23, 'int4'],
  [25, 'text'],
  [114, 'json'],
  [700, 'float4'],
  [701, 'float8'],
  [790, 'money'],
  [1042, 'bpchar'],
  [1043, 'varchar'],
  [1082, 'date'],
  [1083, 'time'],
  [1114, 'timestamp'],
  [1184, 'timestamptz'],
  [1186, 'interval'],
  [1700, 'numeric'],
  [2950, 'uuid'],
  [3802, 'jsonb'],
]);

/**
 * The PgColumnType of a column type, from the same catalog rows as kindOf (plus the enum labels
 * of loadEnumLabels, when given). An array column's modifier is its elements'.
 */
export function pgTypeOf(
  oid: number,
  typeMod: number,
  types: ReadonlyMap<number, PgTypeInfo>,
  enumLabels: ReadonlyMap<number, readonly string[]> = new Map(),
): PgColumnType {
  const builtin = BUILTIN_NAMES.get(oid);
  if (builtin !== undefined) return { oid, name: builtin, typeMod };
  const info = types.get(oid);
  if (!info) return { oid, name: `oid ${oid}`, typeMod };
  if (info.type === 'd') return pgTypeOf(info.baseOid, info.baseTypeMod, types, enumLabels);
  const name = info.schema === 'pg_catalog' ? info.name : `${info.schema}.${info.name}`;
  const labels = enumLabels.get(oid);
  if (info.category === 'A' && info.elementOid !== 0) {
    return { oid, name, typeMod, element: pgTypeOf(info.elementOid, typeMod, types, enumLabels) };
  }
  return labels ? { oid, name, typeMod, enumLabels: labels } : { oid, name, typeMod };
}

/** The labels of the enum types among `types` (arrays' elements included), in their sort order. */
export async function loadEnumLabels(
  client: Queryable,
  types: ReadonlyMap<number, PgTypeInfo>,
): Promise<Map<number, readonly string[]>> {
  const enums = [...types.values()].filter((info) => info.type === 'e').map((info) => info.oid);
  const labels = new Map<number, readonly string[]>();
  if (enums.length === 0) return labels;
  const { rows } = await client.query<{ oid: number; labels: string[] }>(
    `select enumtypid::int as oid, array_agg(enumlabel::text order by enumsortorder) as labels
       from pg_enum where enumtypid = any($1::oid[]) group by enumtypid`,
    [enums],
  );
  for (const row of rows) labels.set(row.oid, row.labels);
  return labels;
}
