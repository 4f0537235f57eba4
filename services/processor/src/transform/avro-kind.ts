import type { AvroSchema } from '@cdc/core';

/**
 * What a field's (non-null) Avro type means for the steps: our type mapping (docs/contracts.md) reduced
 * to the kinds whose values the steps treat differently. `other` covers arrays, maps, records,
 * named references and multi-branch unions, which only pass through, get renamed or redacted.
 */
export type ValueKind =
  | 'string'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'boolean'
  | 'bytes'
  | 'decimal'
  | 'uuid'
  | 'enum'
  | 'date'
  | 'time-micros'
  | 'timestamp-micros'
  | 'local-timestamp-micros'
  | 'other';

const PRIMITIVES: Readonly<Record<string, ValueKind>> = {
  string: 'string',
  int: 'int',
  long: 'long',
  float: 'float',
  double: 'double',
  boolean: 'boolean',
  bytes: 'bytes',
};

const LOGICAL: Readonly<Record<string, ValueKind>> = {
  decimal: 'decimal',
  uuid: 'uuid',
  date: 'date',
  'time-micros': 'time-micros',
  'timestamp-micros': 'timestamp-micros',
  'local-timestamp-micros': 'local-timestamp-micros',
};

export function valueKind(type: AvroSchema): ValueKind {
  if (typeof type === 'string') return PRIMITIVES[type] ?? 'other';
  if (Array.isArray(type)) return 'other';
  const logical = type.logicalType;
  if (typeof logical === 'string' && Object.hasOwn(LOGICAL, logical)) return LOGICAL[logical] ?? 'other';
  if (type.type === 'enum') return 'enum';
  return valueKind(type.type);
}

/** A field's type split into its non-null part and whether null is allowed. */
export function splitNullable(type: AvroSchema): { readonly type: AvroSchema; readonly nullable: boolean } {
  if (!Array.isArray(type)) return { type, nullable: type === 'null' };
  const others = type.filter((branch) => branch !== 'null');
  const nullable = others.length < type.length;
  return { type: others.length === 1 && others[0] !== undefined ? others[0] : others, nullable };
}

/** Readable name of a type in error messages. */
export function describeType(type: AvroSchema): string {
  const kind = valueKind(type);
  return kind === 'other' ? JSON.stringify(type) : kind;
}
