import { hash } from 'node:crypto';

/**
 * A text that is equal for two values exactly when a target holds the same value, whether it
 * comes from a decoded row (bigint, Buffer), back from the MongoDB driver (bigint with
 * useBigInt64, Binary, Long, Date) or as JSON from a FHIR server. Keys of sub-documents are
 * sorted: reordering them is not an edit. The MongoDB and FHIR sinks hash what they write with it.
 */
export function canonicalValue(value: unknown): string {
  if (value === undefined) return 'u';
  if (value === null) return 'n';
  switch (typeof value) {
    case 'string':
      return `s${JSON.stringify(value)}`;
    case 'number':
      return `d${String(value)}`;
    case 'bigint':
      return `i${value.toString()}`;
    case 'boolean':
      return value ? 'T' : 'F';
    case 'object':
      return canonicalObject(value);
    default:
      return `?${typeof value}`;
  }
}

function canonicalObject(value: object): string {
  if (Array.isArray(value)) return `[${value.map(canonicalValue).join(',')}]`;
  if (value instanceof Date) return `t${value.getTime()}`;
  if (value instanceof Uint8Array)
    return `x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  const bson = (value as { _bsontype?: unknown })._bsontype;
  if (typeof bson === 'string') return canonicalBson(bson, value);
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalValue(inner)}`).join(',')}}`;
}

// Driver classes met when a document is read with promoteValues (the default) and useBigInt64.
function canonicalBson(type: string, value: object): string {
  if (type === 'Binary') {
    const { buffer, position } = value as { buffer: Uint8Array; position: number };
    return `x${Buffer.from(buffer.buffer, buffer.byteOffset, position).toString('hex')}`;
  }
  // Long, Decimal128, ObjectId, Timestamp: their toString is their value.
  const text = (value as { toString(): string }).toString();
  return type === 'Long' ? `i${text}` : `${type}:${text}`;
}

/** Short, because one is stored per field and per document. */
export function valueHash(value: unknown): string {
  return hash('sha1', canonicalValue(value), 'base64url').slice(0, 12);
}
