import { CdcError, canonicalRow, canonicalValue, type SinkRow } from '@cdc/core';

// The arguments of `cdc trace <table> <key>`, read into plain data. Keys are compared as text
// (core's canonicalValue: what `cdc sink verify` compares), so `42` finds an int, a bigint and a
// BSON Long alike, and a user never types Avro.

export interface TableName {
  readonly schema: string;
  readonly name: string;
}

/** `schema.table`, or `table` in schema public. */
export function parseTableName(text: string): TableName {
  const parts = text.split('.');
  const [first, second] = parts;
  if (parts.length === 1 && first) return { schema: 'public', name: first };
  if (parts.length === 2 && first && second) return { schema: first, name: second };
  throw new CdcError('INVALID_ARGUMENT', `'${text}' is not a table name`, {
    fix: 'name the table as schema.table, or as table for one in schema public (e.g. public.patients)',
  });
}

/** The row to find: one value of a one-column key, or every key field by name. */
export type WantedKey =
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'fields'; readonly fields: ReadonlyMap<string, string> };

const FIELD_PAIR = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/su;

/**
 * `42` (a one-column key), `tenant=acme,id=42`, or a JSON object `{"tenant":"acme","id":42}`
 * (for values holding commas; numbers keep every digit). Null fields cannot be looked for: a
 * key field is null only in keyless tables' whole-row keys, whose other fields then identify it.
 */
export function parseKey(text: string): WantedKey {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return { kind: 'fields', fields: jsonFields(trimmed) };
  const pairs = trimmed.split(',').map((part) => FIELD_PAIR.exec(part));
  if (trimmed.includes('=') && pairs.every((match) => match !== null)) {
    const fields = new Map<string, string>();
    for (const match of pairs) {
      const [, name = '', value = ''] = match ?? [];
      if (fields.has(name)) throw invalidKey(text, `names ${name} twice`);
      fields.set(name, value);
    }
    return { kind: 'fields', fields };
  }
  if (trimmed === '') throw invalidKey(text, 'is empty');
  return { kind: 'value', value: trimmed };
}

function jsonFields(text: string): Map<string, string> {
  let parsed: unknown;
  try {
    // The reviver's source text keeps the digits of numbers beyond 2^53 (int8 keys).
    parsed = JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
      typeof value === 'number' && context?.source !== undefined ? context.source : value,
    );
  } catch (error) {
    throw invalidKey(text, `is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalidKey(text, 'is not a JSON object of key fields');
  const fields = new Map<string, string>();
  for (const [name, value] of Object.entries(parsed)) {
    const textValue = canonicalValue(value);
    if (textValue === undefined)
      throw invalidKey(text, `gives ${name} no value (null keys cannot be traced)`);
    fields.set(name, textValue);
  }
  if (fields.size === 0) throw invalidKey(text, 'names no key field');
  return fields;
}

function invalidKey(text: string, problem: string): CdcError {
  return new CdcError('INVALID_ARGUMENT', `the key '${text}' ${problem}`, {
    fix: "give the key's value (42), its fields as name=value pairs (tenant=acme,id=42), or a JSON object of them",
  });
}

/** Whether a decoded message key is the wanted one: the same fields with the same values as text. */
export function keyMatches(wanted: WantedKey, key: SinkRow): boolean {
  const fields = canonicalRow(key);
  if (wanted.kind === 'value') {
    const [only, ...others] = Object.keys(key);
    return only !== undefined && others.length === 0 && fields.get(only) === wanted.value;
  }
  // Null fields are absent from both sides (canonicalRow drops them; a user cannot give one).
  if (fields.size !== wanted.fields.size) return false;
  for (const [name, value] of wanted.fields) if (fields.get(name) !== value) return false;
  return true;
}

/** The key as people read it: `42`, or `tenant=acme,id=42`. */
export function describeKey(wanted: WantedKey): string {
  if (wanted.kind === 'value') return wanted.value;
  return [...wanted.fields].map(([name, value]) => `${name}=${value}`).join(',');
}

const DURATION = /^(\d+)(ms|s|m|h|d)$/u;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--since 30m`: a duration in ms (ms, s, m, h or d). */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) {
    throw new CdcError('INVALID_ARGUMENT', `--since '${text}' is not a duration`, {
      fix: 'give a number and a unit: 90s, 30m, 12h or 7d',
    });
  }
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
