import { createHash } from 'node:crypto';
import type { SinkRow } from './sink.ts';

/** What a sink offers `cdc sink verify`: its live records, and what it writes for a source row. */
export interface VerifiableSink {
  /**
   * Every live record of one source table (delete markers and bookkeeping excluded), with its key
   * as the source's key columns (named in `keyColumns`).
   */
  scan(
    table: { readonly schema: string; readonly name: string },
    keyColumns: readonly string[],
  ): AsyncIterable<{ key: SinkRow; row: SinkRow }>;
  /** The fields the sink stores for a source row of `table` with this key (after its field mapping). */
  project(row: SinkRow, key: SinkRow, table: { readonly schema: string; readonly name: string }): SinkRow;
}

export function isVerifiable(sink: unknown): sink is VerifiableSink {
  return (
    typeof (sink as VerifiableSink).scan === 'function' &&
    typeof (sink as VerifiableSink).project === 'function'
  );
}

/**
 * A value as text that is the same whichever way a target stores it: Redis hashes hold strings,
 * MongoDB holds Longs and numbers, the source BigInts. Null and absent are the same.
 */
export function canonicalValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (typeof (value as { toBigInt?: unknown }).toBigInt === 'function') {
    return String((value as { toBigInt: () => bigint }).toBigInt()); // a BSON Long
  }
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export function canonicalRow(row: SinkRow): Map<string, string> {
  const fields = new Map<string, string>();
  for (const name of Object.keys(row).sort()) {
    const text = canonicalValue(row[name]);
    if (text !== undefined) fields.set(name, text);
  }
  return fields;
}

function keyText(key: SinkRow): string {
  return [...canonicalRow(key)].map(([name, value]) => `${name}=${value}`).join(',');
}

function rowHash(fields: Map<string, string>): string {
  const hash = createHash('sha1');
  for (const [name, value] of fields) hash.update(`${name}\u0000${value}\u0001`);
  return hash.digest('hex');
}

export interface VerifyReport {
  readonly sourceRows: number;
  readonly sinkRows: number;
  /** Keys in the table but not in the sink. */
  readonly missing: readonly string[];
  /** Keys in the sink but not in the table. */
  readonly extra: readonly string[];
  /** Keys in both whose fields differ, with the fields. */
  readonly different: ReadonlyArray<{ readonly key: string; readonly fields: readonly string[] }>;
  readonly differences: number;
}

/**
 * Counts and per-row hashes of a source table against a sink. The source side is held in memory
 * as one hash per row (and its fields only for rows that turn out different).
 */
export async function verifyRows(
  source: AsyncIterable<{ key: SinkRow; row: SinkRow }>,
  sink: VerifiableSink,
  table: { readonly schema: string; readonly name: string },
  options: { readonly maxListed?: number } = {},
): Promise<VerifyReport> {
  const expected = new Map<string, { hash: string; row: SinkRow }>();
  let keyColumns: readonly string[] = [];
  for await (const { key, row } of source) {
    if (keyColumns.length === 0) keyColumns = Object.keys(key);
    const projected = sink.project(row, key, table);
    expected.set(keyText(key), { hash: rowHash(canonicalRow(projected)), row: projected });
  }
  const sourceRows = expected.size;
  const extra: string[] = [];
  const different: Array<{ key: string; fields: string[] }> = [];
  let sinkRows = 0;
  for await (const { key, row } of sink.scan(table, keyColumns)) {
    sinkRows += 1;
    const id = keyText(key);
    const want = expected.get(id);
    if (!want) {
      extra.push(id);
      continue;
    }
    expected.delete(id);
    const got = canonicalRow(row);
    if (rowHash(got) === want.hash) continue;
    const wanted = canonicalRow(want.row);
    const fields = [...new Set([...wanted.keys(), ...got.keys()])].filter(
      (f) => wanted.get(f) !== got.get(f),
    );
    different.push({ key: id, fields });
  }
  const missing = [...expected.keys()];
  const max = options.maxListed ?? 20;
  return {
    sourceRows,
    sinkRows,
    missing: missing.slice(0, max),
    extra: extra.slice(0, max),
    different: different.slice(0, max),
    differences: missing.length + extra.length + different.length,
  };
}
