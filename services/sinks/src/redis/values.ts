/**
 * Column values (as decoded under avroOptions: longs BigInt, decimals exact text, bytes Buffers)
 * as Redis holds them: hash fields are text, JSON documents keep numbers where JSON can.
 */

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

// Typed locally: TypeScript's es2023 lib predates JSON.rawJSON (Node >= 21 has it).
const { rawJSON } = JSON as unknown as { rawJSON: (text: string) => unknown };

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** A value as JSON can hold it; `bigint` says how a BigInt is spelled. */
function plain(value: unknown, bigint: (n: bigint) => unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'bigint':
      return bigint(value);
    case 'number':
      // JSON has no NaN or infinities (JSON.stringify would write null): keep them as text.
      return Number.isFinite(value) ? value : String(value);
    case 'object':
      if (isBytes(value)) return base64(value);
      if (value instanceof Date) return value.toISOString();
      if (Array.isArray(value)) return value.map((item) => plain(item, bigint));
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v, bigint)]));
    default:
      return value;
  }
}

const bigintText = (n: bigint): string => n.toString();
const bigintNumberWhileExact = (n: bigint): number | string =>
  n >= -MAX_SAFE && n <= MAX_SAFE ? Number(n) : n.toString();

/** A hash field's text; null removes the field. */
export function hashText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
      return value;
    case 'bigint':
    case 'number':
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      if (isBytes(value)) return base64(value);
      if (value instanceof Date) return value.toISOString();
      return JSON.stringify(plain(value, bigintText));
  }
}

/** A value for a JSON document: a bigint stays a number while exact, else becomes its decimal text. */
export function jsonValue(value: unknown): unknown {
  return plain(value, bigintNumberWhileExact);
}

/**
 * JSON text of a document value, one spelling per value: what per-field digests are taken of.
 * BigInts (parsed from a document someone else wrote) keep all their digits.
 */
export function canonicalJson(value: unknown): string {
  return (
    JSON.stringify(value, (_key, inner: unknown) =>
      typeof inner === 'bigint' ? rawJSON(inner.toString()) : inner,
    ) ?? 'null'
  );
}

// Sixteen digits or more may exceed 2^53; only then is the slower parse with source text needed.
const LONG_NUMBER = /\d{16}/;
const INTEGER = /^-?\d+$/;

/** Parses a JSON document, keeping integers beyond 2^53 exact (as BigInt). */
export function parseJsonDocument(text: string): unknown {
  if (!LONG_NUMBER.test(text)) return JSON.parse(text) as unknown;
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) => {
    if (typeof value !== 'number' || Number.isSafeInteger(value)) return value;
    const source = context?.source;
    return source !== undefined && INTEGER.test(source) ? BigInt(source) : value;
  }) as unknown;
}
