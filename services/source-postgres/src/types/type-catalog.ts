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

/** The mapping of contracts.md for one column type. */
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
