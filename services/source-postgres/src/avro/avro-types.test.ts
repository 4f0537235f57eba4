import avro from 'avsc';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { schemaFromConfluentSchema } from '@kafkajs/confluent-schema-registry/dist/schemaTypeResolver.js';
import { describe, expect, it } from 'vitest';
import type { ColumnKind, ColumnValue } from '../types/column-kind.ts';
import { avroOptions, avroType, schemaRegistryOptions } from '@cdc/core';
import { valueSchema } from './table-schemas.ts';

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** The record of a table with one nullable column `c`, the way every row travels. */
function oneColumn(kind: ColumnKind): avro.Type {
  return avroType(
    valueSchema({
      prefix: 'cdc',
      schema: 'public',
      table: 't',
      columns: [{ name: 'c', kind, nullable: true, isKey: false }],
    }),
  );
}

function roundTrip(kind: ColumnKind, value: ColumnValue): unknown {
  const type = oneColumn(kind);
  return (type.fromBuffer(type.toBuffer({ c: value })) as { c: unknown }).c;
}

const decimal = (precision: number, scale: number): ColumnKind => ({ kind: 'decimal', precision, scale });
const arrayOf = (element: ColumnKind): ColumnKind => ({ kind: 'array', element });
const UUID = '123e4567-e89b-12d3-a456-426614174000';

// Keyed by kind so that the compiler notices a ColumnKind without edge values here.
const EDGES: Record<ColumnKind['kind'], Array<[ColumnKind, ColumnValue[]]>> = {
  int16: [[{ kind: 'int16' }, [0, 32767, -32768]]],
  int32: [[{ kind: 'int32' }, [2147483647, -2147483648]]],
  int64: [[{ kind: 'int64' }, [0n, INT64_MAX, INT64_MIN, 2n ** 53n + 1n, -(2n ** 53n) - 1n]]],
  // Only values a float32 holds exactly survive a float column.
  float32: [
    [
      { kind: 'float32' },
      [0, -0, 1.5, Math.fround(0.1), Math.fround(3.4028235e38), NaN, Infinity, -Infinity],
    ],
  ],
  float64: [[{ kind: 'float64' }, [0.1, -0, 5e-324, 1.7976931348623157e308, NaN, Infinity, -Infinity]]],
  decimal: [
    [decimal(8, 3), ['-0.001', '99999.999', '-99999.999', '0.000', '1.000']],
    [decimal(1, 0), ['0', '9', '-9']],
    [decimal(5, 5), ['0.00001', '-0.99999']],
    // 38 digits need 16 bytes of two's complement.
    [decimal(38, 0), ['9'.repeat(38), `-${'9'.repeat(38)}`, '18446744073709551616']],
    [decimal(38, 10), [`${'9'.repeat(28)}.${'9'.repeat(10)}`, '-0.0000000001']],
  ],
  'numeric-text': [[{ kind: 'numeric-text' }, ['0.00000000000000000001', '-$1,234.56', 'NaN', '']]],
  bool: [[{ kind: 'bool' }, [true, false]]],
  text: [[{ kind: 'text' }, ['', 'plain', 'ünïcödé ✓ 😀 漢字', 'a'.repeat(70_000)]]],
  uuid: [
    [
      { kind: 'uuid' },
      [UUID, '00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF'],
    ],
  ],
  date: [[{ kind: 'date' }, [0, -1, 20_000, 2147483647, -2147483648]]],
  time: [[{ kind: 'time' }, [0n, 45_296_789_012n, 86_400_000_000n]]],
  timestamp: [[{ kind: 'timestamp' }, [0n, 1_764_000_000_123_456n, -1n, INT64_MAX, INT64_MIN]]],
  timestamptz: [
    [{ kind: 'timestamptz' }, [0n, 1_764_000_000_123_456n, -62_135_596_800_000_000n, INT64_MAX, INT64_MIN]],
  ],
  interval: [[{ kind: 'interval' }, ['P1Y2M3DT4H5M6.789S', 'PT0S', '-P1D']]],
  json: [[{ kind: 'json' }, ['{"a":[1,2.5,{"b":null}],"é":"😀"}', 'null', '[]']]],
  bytea: [[{ kind: 'bytea' }, [Buffer.alloc(0), Buffer.from([0, 255, 1, 128]), Buffer.alloc(100_000, 7)]]],
  array: [
    [arrayOf({ kind: 'int32' }), [[], [null], [1, null, -3]]],
    [arrayOf({ kind: 'int64' }), [[INT64_MAX, null, INT64_MIN]]],
    [arrayOf({ kind: 'text' }), [['', null, 'x']]],
    [arrayOf(decimal(5, 2)), [['-1.00', null, '999.99']]],
    [arrayOf({ kind: 'timestamptz' }), [[1_764_000_000_123_456n, null]]],
    [arrayOf({ kind: 'uuid' }), [[UUID, null]]],
    [arrayOf({ kind: 'bytea' }), [[Buffer.alloc(0), null, Buffer.from('ff', 'hex')]]],
    [arrayOf({ kind: 'float64' }), [[NaN, null, -Infinity]]],
  ],
  other: [[{ kind: 'other', typeName: 'point' }, ['(1,2)', '192.168.0.1/24', '[1,5)']]],
};

describe('avroType: every ColumnValue survives Avro unchanged', () => {
  const cases = Object.values(EDGES).flatMap((list) =>
    list.flatMap(([kind, values]) => [...values, null].map((value) => ({ kind, value }))),
  );
  it.each(cases)('$kind.kind $value', ({ kind, value }) => {
    const back = roundTrip(kind, value);
    expect(back).toEqual(value);
    // toEqual does not tell 0 from -0, nor check that a bigint stays a bigint.
    if (typeof value === 'number') expect(Object.is(back, value)).toBe(true);
    expect(typeof back).toBe(typeof value);
  });
});

describe('BigInt long', () => {
  it('refuses numbers and values outside int64, rather than rounding them', () => {
    const type = oneColumn({ kind: 'int64' });
    expect(() => type.toBuffer({ c: 5 })).toThrow();
    expect(() => type.toBuffer({ c: INT64_MAX + 1n })).toThrow();
    expect(() => type.toBuffer({ c: INT64_MIN - 1n })).toThrow();
  });

  it('encodes every int64 as the Avro spec does, and reads it back exactly', () => {
    const ours = avroType('long');
    const reference = avro.Type.forSchema('long'); // avsc's own, exact within 2^53
    // The reference encoding of any int64: zig-zag, then little-endian base-128 groups.
    const spec = (n: bigint): Buffer => {
      let z = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
      const bytes: number[] = [];
      do {
        bytes.push(Number(z & 0x7fn) | (z > 0x7fn ? 0x80 : 0));
        z >>= 7n;
      } while (z > 0n);
      return Buffer.from(bytes);
    };
    const edges = [
      0n,
      1n,
      -1n,
      63n,
      -64n,
      64n,
      -65n,
      2n ** 48n - 1n,
      -(2n ** 48n),
      2n ** 48n,
      -(2n ** 48n) - 1n,
    ];
    const wide = [2n ** 49n + 1n, -(2n ** 53n) - 3n, 2n ** 62n, INT64_MAX, INT64_MIN, INT64_MIN + 1n];
    for (const n of [...edges, ...wide]) {
      const bytes = ours.toBuffer(n);
      expect(bytes.equals(spec(n)), `${n}`).toBe(true);
      expect(ours.fromBuffer(bytes)).toBe(n);
      if (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)) {
        expect(bytes.equals(reference.toBuffer(Number(n))), `${n}`).toBe(true);
      }
    }
  });

  it('refuses a truncated long', () => {
    const ours = avroType('long');
    expect(() => ours.fromBuffer(Buffer.from([0x80])) as unknown).toThrow(/truncated/);
    expect(
      () => ours.fromBuffer(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])) as unknown,
    ).toThrow(/truncated/);
    const record = avroType({
      type: 'record',
      name: 'R',
      fields: [
        { name: 'a', type: 'long' },
        { name: 'b', type: 'long' },
      ],
    });
    const bytes = record.toBuffer({ a: 2n ** 60n, b: -3n });
    expect(record.fromBuffer(bytes)).toEqual({ a: 2n ** 60n, b: -3n });
    expect(() => record.fromBuffer(bytes.subarray(0, bytes.length - 1)) as unknown).toThrow(/truncated/);
  });

  it('reads an int written by an older schema as a bigint (int -> long promotion)', () => {
    const writer = avroType({ type: 'record', name: 'R', fields: [{ name: 'c', type: 'int' }] });
    const reader = avroType({ type: 'record', name: 'R', fields: [{ name: 'c', type: 'long' }] });
    const read = reader.fromBuffer(writer.toBuffer({ c: -7 }), reader.createResolver(writer)) as {
      c: unknown;
    };
    expect(read.c).toBe(-7n);
  });

  it('applies to longs written as objects and under logical types avsc does not know', () => {
    const type = avroType({
      type: 'record',
      name: 'R',
      fields: [
        { name: 'a', type: { type: 'long' } },
        { name: 'b', type: { type: 'long', logicalType: 'timestamp-millis' } },
      ],
    });
    const value = { a: INT64_MAX, b: INT64_MIN };
    expect({ ...(type.fromBuffer(type.toBuffer(value)) as object) }).toEqual(value);
  });
});

describe('decimal', () => {
  const decimalType = (precision: number, scale: number) =>
    avroType({ type: 'bytes', logicalType: 'decimal', precision, scale });
  const bytes = avro.Type.forSchema('bytes');

  it('writes the minimal big-endian two-complement unscaled integer (the Avro spec, as Java does)', () => {
    const type = decimalType(5, 2);
    // -1.00 -> unscaled -100 -> 0x9c (one byte is enough: 0x9c = -100 in 8 bits).
    expect(bytes.fromBuffer(type.toBuffer('-1.00'))).toEqual(Buffer.from([0x9c]));
    expect(bytes.fromBuffer(type.toBuffer('1.28'))).toEqual(Buffer.from([0x00, 0x80]));
    expect(bytes.fromBuffer(type.toBuffer('-1.29'))).toEqual(Buffer.from([0xff, 0x7f]));
    expect(bytes.fromBuffer(type.toBuffer('0.00'))).toEqual(Buffer.from([0x00]));
    // The whole Avro value: length 1 (zig-zag 0x02), then the byte.
    expect(type.toBuffer('-1.00')).toEqual(Buffer.from([0x02, 0x9c]));
  });

  it('reads non-minimal encodings from other writers', () => {
    const type = decimalType(5, 2);
    expect(type.fromBuffer(bytes.toBuffer(Buffer.from([0xff, 0x9c])))).toBe('-1.00');
    expect(type.fromBuffer(bytes.toBuffer(Buffer.from([0x00, 0x00, 0x64])))).toBe('1.00');
  });

  it('needs 16 bytes for the largest numeric(38,0)', () => {
    expect(bytes.fromBuffer(decimalType(38, 0).toBuffer('9'.repeat(38)))).toHaveLength(16);
    expect(bytes.fromBuffer(decimalType(38, 0).toBuffer(`-${'9'.repeat(38)}`))).toHaveLength(16);
  });

  it('refuses values that do not fit the precision, or are not exact text at the scale', () => {
    const type = decimalType(8, 3);
    for (const bad of [
      '100000.000',
      '-100000.000',
      '1.5',
      '1.0000',
      '1',
      'NaN',
      'Infinity',
      '1e3',
      ' 1.000',
      '',
    ]) {
      expect(() => type.toBuffer(bad), bad).toThrow();
      expect(type.isValid(bad), bad).toBe(false);
    }
    expect(() => type.toBuffer(1.5)).toThrow(/string/);
    expect(() => type.toBuffer('100000.000')).toThrow(/more than 8 digits/);
  });

  it('refuses bytes that hold more digits than the precision', () => {
    const tooBig = decimalType(10, 0).toBuffer('1000000000');
    expect(() => decimalType(9, 0).fromBuffer(tooBig) as unknown).toThrow(/more than 9 digits/);
  });

  it('reads an older, narrower decimal into a wider one, exactly', () => {
    const writer = decimalType(8, 2);
    const reader = decimalType(12, 4);
    expect(reader.fromBuffer(writer.toBuffer('-123456.78'), reader.createResolver(writer))).toBe(
      '-123456.7800',
    );
    // Fewer integer digits or a smaller scale could lose data: no resolver.
    expect(() => decimalType(7, 2).createResolver(writer)).toThrow();
    expect(() => decimalType(8, 1).createResolver(writer)).toThrow();
  });

  it('refuses decimal schemas that make no sense instead of falling back to raw bytes', () => {
    expect(() => avroType({ type: 'bytes', logicalType: 'decimal', precision: 2, scale: 3 })).toThrow();
    expect(() => avroType({ type: 'bytes', logicalType: 'decimal', scale: 1 })).toThrow();
  });

  it('keeps its attributes when the schema is exported', () => {
    expect(decimalType(8, 3).schema({ exportAttrs: true })).toEqual({
      type: 'bytes',
      logicalType: 'decimal',
      precision: 8,
      scale: 3,
    });
  });
});

describe('date, time and uuid logical types', () => {
  it('keep their logicalType and check the underlying type', () => {
    const micros = avroType({ type: 'long', logicalType: 'timestamp-micros' });
    expect(micros.schema({ exportAttrs: true })).toEqual({ type: 'long', logicalType: 'timestamp-micros' });
    expect(() => avroType({ type: 'string', logicalType: 'date' })).toThrow(/date needs int/);
    expect(() => avroType({ type: 'int', logicalType: 'time-micros' })).toThrow();
  });

  it('refuse a string that is not a uuid', () => {
    expect(() => oneColumn({ kind: 'uuid' }).toBuffer({ c: 'not-a-uuid' })).toThrow();
  });

  it('do not read one logical type as another', () => {
    const local = avroType({ type: 'long', logicalType: 'local-timestamp-micros' });
    const utc = avroType({ type: 'long', logicalType: 'timestamp-micros' });
    expect(() => utc.createResolver(local)).toThrow();
    expect(
      utc.fromBuffer(utc.toBuffer(1n), utc.createResolver(avroType(utc.schema({ exportAttrs: true })))),
    ).toBe(1n);
  });
});

describe('options', () => {
  it('survive building many schemas that share record names (no registry is shared)', () => {
    const schema = (extra: string) => ({
      type: 'record',
      name: 'Value',
      namespace: 'cdc.public.t',
      fields: [{ name: extra, type: 'long' }],
    });
    expect(() => [avroType(schema('a')), avroType(schema('b'))]).not.toThrow();
    expect(avro.Type.forSchema(schema('c') as avro.Schema, { ...avroOptions })).toBeDefined();
    expect(avroOptions).not.toHaveProperty('registry');
    expect(Object.isFrozen(avroOptions)).toBe(true);
  });

  it('reach the schema registry client, which then encodes and decodes like avroType', () => {
    const schema = valueSchema({
      prefix: 'cdc',
      schema: 'public',
      table: 't',
      columns: [
        { name: 'id', kind: { kind: 'int64' }, nullable: false, isKey: true },
        { name: 'amount', kind: decimal(10, 2), nullable: true, isKey: false },
        { name: 'at', kind: { kind: 'timestamptz' }, nullable: true, isKey: false },
      ],
    });
    const row = { id: INT64_MAX, amount: '-12345678.90', at: INT64_MIN };
    // What the client does for every schema it registers or fetches by id (several times here,
    // as it does for several schema ids of one subject: no "duplicate type name").
    for (let i = 0; i < 2; i++) {
      const client = schemaFromConfluentSchema(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        schemaRegistryOptions,
      );
      const encoded = client.toBuffer(row);
      expect(encoded).toEqual(avroType(schema).toBuffer(row));
      expect({ ...(client.fromBuffer(encoded) as object) }).toEqual(row);
    }
  });
});
