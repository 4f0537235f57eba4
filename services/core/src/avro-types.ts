import avro from 'avsc';
import { SchemaType, type SchemaRegistry } from '@kafkajs/confluent-schema-registry';

/**
 * avsc configuration under which every Avro value is exactly our ColumnValue (column-kind.ts):
 * longs are BigInt, decimals exact strings, the date/time/uuid logical types keep their raw value.
 * Every Type that reads or writes our topics must be built with these options.
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * avsc's own long is a JS number and throws beyond 2^53; ours covers the whole int64 range. It
 * reads and writes the long's Avro encoding itself (a zig-zag varint, avsc's `noUnpack`), and
 * reads it in place (readLongInPlace): avsc's unpacking allocated an 8-byte buffer for every long
 * read, and its `noUnpack` a slice, a tenth of all the bytes a sink allocated per event
 * (bench:sinks, webhook).
 */
const varintLong: avro.Type = avro.types.LongType.__with(
  {
    fromBuffer: (varint: Buffer): bigint => zigZagDecode(varint),
    toBuffer: (n: bigint): Buffer => zigZagEncode(n),
    // Defaults, int -> long promotion and clone() go through JSON: keep it exact (strings beyond 2^53).
    fromJSON: (json: number | string | bigint): bigint => BigInt(json),
    toJSON: (n: bigint): number | string => (n >= -MAX_SAFE && n <= MAX_SAFE ? Number(n) : n.toString()),
    // Strict: a number where a bigint belongs is a bug upstream, and would not survive a round trip.
    isValid: (n: unknown): boolean => typeof n === 'bigint' && n >= INT64_MIN && n <= INT64_MAX,
    compare: (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0),
  },
  true,
);

/** What avsc hands a type's `_read`: its buffer and position (node_modules/avsc/lib/utils.js, Tap). */
interface AvscTap {
  readonly buf: Uint8Array;
  pos: number;
  isValid(): boolean;
}

/**
 * A long read straight from avsc's buffer, with no allocation but the BigInt. Past the end of a
 * truncated buffer the bytes read as 0 and the position ends beyond it, which avsc reports.
 */
function readLongInPlace(tap: AvscTap): bigint | undefined {
  const [value, end] = readZigZag(tap.buf, tap.pos);
  tap.pos = end;
  return tap.isValid() ? value : undefined;
}

/**
 * The int64 whose zig-zag varint starts at `pos`, and where it ends. Its first seven bytes (49
 * bits) add up exactly as a double, and so do the (at most three) after them: two BigInts at
 * most, where a BigInt per byte made the microsecond timestamps (eight bytes) the costliest.
 */
function readZigZag(buf: Uint8Array, pos: number): [bigint, number] {
  const start = pos;
  let low = 0;
  let scale = 1;
  let byte: number;
  do {
    byte = buf[pos++] ?? 0;
    low += (byte & 0x7f) * scale;
    scale *= 128;
  } while (byte & 0x80 && pos - start < EXACT_VARINT_BYTES);
  if (!(byte & 0x80)) return [BigInt(low % 2 === 1 ? -(low + 1) / 2 : low / 2), pos];
  let high = 0;
  scale = 1;
  do {
    byte = buf[pos++] ?? 0;
    high += (byte & 0x7f) * scale;
    scale *= 128;
  } while (byte & 0x80);
  const half = (BigInt(high) << 48n) | BigInt(Math.floor(low / 2));
  return [low % 2 === 1 ? -half - 1n : half, pos];
}

/**
 * varintLong with its `_read` in place. avsc has no public hook for a long read without a buffer
 * per value, and freezes the types it makes: this is a copy of it (same prototype, so avsc sees
 * the same kind of type) whose own `_read` is readLongInPlace.
 */
export const bigIntLong: avro.Type = Object.freeze(
  Object.assign(Object.create(Object.getPrototypeOf(varintLong) as object) as avro.Type, varintLong, {
    _read: readLongInPlace,
  }),
);

// Seven varint bytes carry 49 bits: within a double's exact integers, so no BigInt arithmetic.
const EXACT_VARINT_BYTES = 7;
const EXACT_ZIGZAG = 2n ** 48n;

/** The value of an Avro long's bytes: a little-endian base-128 varint of its zig-zag encoding. */
function zigZagDecode(varint: Uint8Array): bigint {
  return readZigZag(varint, 0)[0];
}

/** An int64's Avro bytes (zigZagDecode's inverse). */
function zigZagEncode(n: bigint): Buffer {
  const bytes: number[] = [];
  if (n > -EXACT_ZIGZAG && n < EXACT_ZIGZAG) {
    const value = Number(n);
    let z = value >= 0 ? value * 2 : -value * 2 - 1;
    do {
      const low = z % 128;
      z = (z - low) / 128;
      bytes.push(z > 0 ? low | 0x80 : low);
    } while (z > 0);
    return Buffer.from(bytes);
  }
  let z = n >= 0n ? n << 1n : (-n << 1n) - 1n;
  do {
    const low = Number(z & 0x7fn);
    z >>= 7n;
    bytes.push(z > 0n ? low | 0x80 : low);
  } while (z > 0n);
  return Buffer.from(bytes);
}

function typeOf(schema: avro.Schema): unknown {
  if (typeof schema === 'string') return schema;
  if (typeof schema === 'object' && schema !== null && !Array.isArray(schema) && 'type' in schema) {
    return schema.type;
  }
  return undefined;
}

/**
 * avsc consults its `registry` only for the string reference "long", never for `{type: "long"}`
 * objects nor for the long under a logical type (avsc issue #485), and it adds every named type to
 * that registry, so a shared registry breaks the second schema with the same record name ("duplicate
 * type name", avsc issue #294). A type hook sees every schema and shares nothing.
 */
function longHook(schema: avro.Schema): avro.Type | undefined {
  if (typeOf(schema) !== 'long') return undefined;
  const logicalType = (schema as { logicalType?: unknown }).logicalType;
  // Longs with a logical type we know are built by that type, which then asks for its long.
  if (typeof logicalType === 'string' && Object.hasOwn(LOGICAL_TYPES, logicalType)) return undefined;
  return bigIntLong;
}

/** The underlying type of our own logical types: BigInt for any long, whatever its logicalType. */
function underlyingHook(schema: avro.Schema): avro.Type | undefined {
  return typeOf(schema) === 'long' ? bigIntLong : undefined;
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const PASS_THROUGH: Readonly<Record<string, { underlying: string; isValid?: (value: unknown) => boolean }>> =
  {
    date: { underlying: 'int' }, // days since 1970-01-01
    'time-micros': { underlying: 'abstract:long' },
    'timestamp-micros': { underlying: 'abstract:long' },
    'local-timestamp-micros': { underlying: 'abstract:long' },
    uuid: { underlying: 'string', isValid: (value) => typeof value === 'string' && UUID_TEXT.test(value) },
  };

/**
 * Logical types whose value is the underlying one. Unknown logical types are dropped silently by
 * avsc (their attributes vanish from `schema()` and nothing checks the underlying type); declaring
 * them keeps the attribute, checks the underlying type, and reads micros as BigInt.
 */
class PassThroughType extends avro.types.LogicalType {
  constructor(schema: avro.Schema, opts?: Partial<avro.ForSchemaOptions>) {
    super(schema, { ...opts, typeHook: underlyingHook });
    const name = (schema as { logicalType: string }).logicalType;
    const expected = PASS_THROUGH[name]?.underlying;
    if (this.underlyingType.typeName !== expected) {
      throw new Error(`logical type ${name} needs ${expected ?? '?'}, not ${this.underlyingType.typeName}`);
    }
  }

  protected override _fromValue(value: unknown): unknown {
    return value;
  }

  protected override _toValue(value: unknown): unknown {
    const isValid = PASS_THROUGH[this.typeName.slice('logical:'.length)]?.isValid;
    if (isValid && !isValid(value)) throw new Error(`invalid ${this.typeName}: ${String(value)}`);
    return value;
  }

  // Only from the same logical type: a plain long written as, say, a bigint means something else.
  protected override _resolve(writer: avro.Type): ((value: unknown) => unknown) | undefined {
    return writer instanceof PassThroughType && writer.typeName === this.typeName ? (v) => v : undefined;
  }
}

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;

/** "-12.340" at scale 3 -> -12340n; the text must carry exactly `scale` fraction digits. */
export function unscaledDecimal(text: string, scale: number): bigint {
  const match = DECIMAL_TEXT.exec(text);
  const fraction = match?.[3] ?? '';
  if (!match || fraction.length !== scale) {
    throw new Error(`invalid decimal ${JSON.stringify(text)}: need exactly ${scale} fraction digits`);
  }
  const magnitude = BigInt(`${match[2]}${fraction}`);
  return match[1] ? -magnitude : magnitude;
}

export function decimalText(unscaled: bigint, scale: number): string {
  const sign = unscaled < 0n ? '-' : '';
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  return scale === 0 ? sign + digits : `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** Minimal big-endian two's complement, as Java's BigInteger.toByteArray (what Avro's spec asks). */
export function twosComplementBytes(n: bigint): Buffer {
  const magnitudeBits = (n < 0n ? -n - 1n : n).toString(2).length;
  const size = Math.floor(magnitudeBits / 8) + 1; // one more bit for the sign
  return Buffer.from(
    BigInt.asUintN(size * 8, n)
      .toString(16)
      .padStart(size * 2, '0'),
    'hex',
  );
}

function fromTwosComplement(buf: Buffer): bigint {
  if (buf.length === 0) return 0n; // not minimal, but unambiguous
  return BigInt.asIntN(buf.length * 8, BigInt(`0x${buf.toString('hex')}`));
}

/** Avro decimal on bytes; the value is the exact text, so no float ever touches the number. */
class DecimalType extends avro.types.LogicalType {
  readonly precision: number;
  readonly scale: number;

  constructor(schema: avro.Schema, opts?: Partial<avro.ForSchemaOptions>) {
    super(schema, opts);
    const { precision, scale = 0 } = schema as { precision?: unknown; scale?: unknown };
    if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < 1) {
      throw new Error(`invalid decimal precision: ${String(precision)}`);
    }
    if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > precision) {
      throw new Error(`invalid decimal scale: ${String(scale)} (precision ${precision})`);
    }
    if (this.underlyingType.typeName !== 'bytes') throw new Error('decimal is supported on bytes only');
    this.precision = precision;
    this.scale = scale;
  }

  private checkPrecision(unscaled: bigint): void {
    const digits = (unscaled < 0n ? -unscaled : unscaled).toString().length;
    if (digits > this.precision) {
      throw new Error(`decimal ${decimalText(unscaled, this.scale)} has more than ${this.precision} digits`);
    }
  }

  protected override _fromValue(buf: Buffer): string {
    const unscaled = fromTwosComplement(buf);
    this.checkPrecision(unscaled);
    return decimalText(unscaled, this.scale);
  }

  protected override _toValue(text: unknown): Buffer {
    if (typeof text !== 'string') throw new Error(`decimal must be a string, not ${typeof text}`);
    const unscaled = unscaledDecimal(text, this.scale);
    this.checkPrecision(unscaled);
    return twosComplementBytes(unscaled);
  }

  // Widening only (no integer digit lost, scale padded with zeros): what ALTER ... TYPE numeric allows safely.
  protected override _resolve(writer: avro.Type): ((text: string) => string) | undefined {
    if (!(writer instanceof DecimalType)) return undefined;
    const added = this.scale - writer.scale;
    if (added < 0 || writer.precision - writer.scale > this.precision - this.scale) return undefined;
    const factor = 10n ** BigInt(added);
    return (text) => decimalText(unscaledDecimal(text, writer.scale) * factor, this.scale);
  }

  protected override _export(schema: avro.Schema): void {
    const attrs = schema as { precision?: number; scale?: number };
    attrs.precision = this.precision;
    attrs.scale = this.scale;
  }
}

const LOGICAL_TYPES: avro.ForSchemaOptions['logicalTypes'] = {
  decimal: DecimalType,
  ...Object.fromEntries(Object.keys(PASS_THROUGH).map((name) => [name, PassThroughType])),
};

/**
 * Options for `Type.forSchema`. Frozen and without a `registry`: avsc writes the named types of a
 * schema into `opts.registry`, so callers must pass a copy (`{ ...avroOptions }`); the schema
 * registry client copies them itself. `assertLogicalTypes`: a malformed decimal in our own
 * schemas is a bug, not a reason to fall back to raw bytes.
 */
export const avroOptions: Readonly<Partial<avro.ForSchemaOptions>> = Object.freeze({
  logicalTypes: LOGICAL_TYPES,
  typeHook: longHook,
  assertLogicalTypes: true,
});

const typeCache = new Map<string, avro.Type>();

/** The avsc Type of a schema under our options; built once per distinct schema (building is slow). */
export function avroType(schema: object | string): avro.Type {
  const key = JSON.stringify(schema);
  let type = typeCache.get(key);
  if (!type) {
    // Plain JSON (our own schema objects carry attributes avsc's typings do not know).
    type = avro.Type.forSchema(schema as avro.Schema, { ...avroOptions });
    typeCache.set(key, type);
  }
  return type;
}

/**
 * Second argument of `new SchemaRegistry({ host }, schemaRegistryOptions)`. The client hands
 * `options[SchemaType.AVRO]` (spread into a fresh object, plus its own typeHook that calls ours)
 * to `avsc.Type.forSchema` for every schema it registers or fetches, so `encode` and `decode`
 * read and write exactly what `avroType` does.
 */
export const schemaRegistryOptions: NonNullable<ConstructorParameters<typeof SchemaRegistry>[1]> = {
  [SchemaType.AVRO]: avroOptions,
};
