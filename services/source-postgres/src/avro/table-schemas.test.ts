import { describe, expect, it } from 'vitest';
import type { ColumnKind } from '../types/column-kind.ts';
import { avroType } from '@cdc/core';
import {
  avroName,
  avroTypeFor,
  envelopeSchema,
  keySchema,
  topicName,
  valueSchema,
  type TableShape,
} from './table-schemas.ts';
import { column, thrown } from '../testing.ts';

const patients: TableShape = {
  prefix: 'cdc',
  schema: 'public',
  table: 'patients',
  columns: [
    column('id', { kind: 'int64' }, false, true),
    column('name', { kind: 'text' }, false),
    column('born', { kind: 'date' }),
  ],
};

describe('avroTypeFor', () => {
  // The Avro column of the type mapping in docs/contracts.md, kind by kind.
  const mapping: Array<[ColumnKind, unknown]> = [
    [{ kind: 'int16' }, 'int'],
    [{ kind: 'int32' }, 'int'],
    [{ kind: 'int64' }, 'long'],
    [{ kind: 'float32' }, 'float'],
    [{ kind: 'float64' }, 'double'],
    [
      { kind: 'decimal', precision: 12, scale: 2 },
      { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 },
    ],
    [{ kind: 'numeric-text' }, 'string'],
    [{ kind: 'bool' }, 'boolean'],
    [{ kind: 'text' }, 'string'],
    [{ kind: 'uuid' }, { type: 'string', logicalType: 'uuid' }],
    [{ kind: 'date' }, { type: 'int', logicalType: 'date' }],
    [{ kind: 'time' }, { type: 'long', logicalType: 'time-micros' }],
    [{ kind: 'timestamp' }, { type: 'long', logicalType: 'local-timestamp-micros' }],
    [{ kind: 'timestamptz' }, { type: 'long', logicalType: 'timestamp-micros' }],
    [{ kind: 'interval' }, 'string'],
    [{ kind: 'json' }, 'string'],
    [{ kind: 'bytea' }, 'bytes'],
    [
      { kind: 'array', element: { kind: 'int32' } },
      { type: 'array', items: ['null', 'int'] },
    ],
    [{ kind: 'other', typeName: 'inet' }, 'string'],
  ];
  it.each(mapping)('%o -> %o', (kind, expected) => {
    expect(avroTypeFor(kind)).toEqual(expected);
  });
});

describe('valueSchema and keySchema', () => {
  it('name records like Debezium; in the row only NOT NULL key fields are required', () => {
    // "name" is NOT NULL but not a key column: a key-only `before` (REPLICA IDENTITY DEFAULT) or an
    // unchanged TOAST value in `after` leaves it null, so the row field is nullable all the same.
    expect(valueSchema(patients)).toEqual({
      type: 'record',
      name: 'Value',
      namespace: 'cdc.public.patients',
      fields: [
        { name: 'id', type: 'long', 'pg.column': 'id' },
        { name: 'name', type: ['null', 'string'], default: null, 'pg.column': 'name' },
        {
          name: 'born',
          type: ['null', { type: 'int', logicalType: 'date' }],
          default: null,
          'pg.column': 'born',
        },
      ],
    });
    expect(keySchema(patients)).toEqual({
      type: 'record',
      name: 'Key',
      namespace: 'cdc.public.patients',
      fields: [{ name: 'id', type: 'long', 'pg.column': 'id' }],
    });
  });

  it('make a key field nullable exactly when its column is (keyless table, REPLICA IDENTITY FULL)', () => {
    // Under FULL a table without primary key is keyed on all its columns, nullable ones included.
    const log: TableShape = {
      ...patients,
      columns: [column('at', { kind: 'timestamp' }, false, true), column('n', { kind: 'int32' }, true, true)],
    };
    const expected = [
      { name: 'at', type: { type: 'long', logicalType: 'local-timestamp-micros' }, 'pg.column': 'at' },
      { name: 'n', type: ['null', 'int'], default: null, 'pg.column': 'n' },
    ];
    expect(keySchema(log).fields).toEqual(expected);
    expect(valueSchema(log).fields).toEqual(expected);
    const keyType = avroType(keySchema(log));
    const key = { at: 1_704_164_645_000_000n, n: null };
    expect({ ...(keyType.fromBuffer(keyType.toBuffer(key)) as object) }).toEqual(key);
    expect(keyType.isValid({ at: null, n: 7 })).toBe(false);
  });

  it('refuse a key for a table without key columns', () => {
    const error = thrown(() =>
      keySchema({ ...patients, columns: patients.columns.map((c) => ({ ...c, isKey: false })) }),
    );
    expect(error.code).toBe('NO_PRIMARY_KEY');
    expect(error.message).toContain('public.patients');
    expect(valueSchema({ ...patients, columns: [column('x', { kind: 'int32' })] }).fields).toHaveLength(1);
  });

  it('turn any identifier into an Avro name and keep the original in "pg.column"', () => {
    expect(avroName('1st column')).toBe('_1st_column');
    expect(avroName('a-b.c')).toBe('a_b_c');
    expect(avroName('café😀')).toBe('caf__');
    expect(avroName('_ok_Name9')).toBe('_ok_Name9');
    expect(avroName('')).toBe('_');

    const shape: TableShape = {
      prefix: 'cdc.prod-1',
      schema: 'My Schema',
      table: '2024 orders',
      columns: [column('Order ID', { kind: 'int32' }, false, true), column('9lives', { kind: 'text' })],
    };
    const value = valueSchema(shape);
    expect(value.namespace).toBe('cdc.prod_1.My_Schema._2024_orders');
    expect(value.fields.map((f) => [f.name, f['pg.column']])).toEqual([
      ['Order_ID', 'Order ID'],
      ['_9lives', '9lives'],
    ]);
    // avsc accepts the names, and the custom attribute does not disturb it.
    const type = avroType(envelopeSchema(shape));
    expect(type.name).toBe('cdc.prod_1.My_Schema._2024_orders.Envelope');
    expect(avroType(keySchema(shape)).name).toBe('cdc.prod_1.My_Schema._2024_orders.Key');
  });

  it('refuse two columns that become the same Avro field, naming both', () => {
    const shape = {
      ...patients,
      columns: [
        ...patients.columns,
        column('first-name', { kind: 'text' }),
        column('first_name', { kind: 'text' }),
      ],
    };
    const error = thrown(() => valueSchema(shape));
    expect(error.code).toBe('SCHEMA_NAME_CLASH');
    expect(error.message).toContain('"first-name"');
    expect(error.message).toContain('"first_name"');
    expect(error.message).toContain('public.patients');
  });
});

describe('envelopeSchema', () => {
  const event = {
    before: null,
    after: { id: 9223372036854775807n, name: 'Ada', born: -47_000 },
    op: 'c',
    ts_ms: 1_764_000_000_123n,
    source: {
      version: '0.1.0',
      connector: 'postgresql',
      name: 'cdc',
      ts_ms: 1_764_000_000_000n,
      snapshot: 'false',
      db: 'cdc',
      schema: 'public',
      table: 'patients',
      txId: 771n,
      lsn: 24_023_128n,
      commit_lsn: 24_023_200n,
      seq: 0n,
    },
    unchanged_fields: ['name'],
  };

  it('parses with avsc and carries a change event unchanged', () => {
    const type = avroType(envelopeSchema(patients));
    expect(type.name).toBe('cdc.public.patients.Envelope');
    // toEqual ignores that avsc decodes records into classes of its own.
    expect(type.fromBuffer(type.toBuffer(event))).toEqual(event);
  });

  it('defines the row record once and refers to it by full name', () => {
    const fields = envelopeSchema(patients).fields;
    expect(fields.map((f) => f.name)).toEqual([
      'before',
      'after',
      'op',
      'ts_ms',
      'source',
      'unchanged_fields',
    ]);
    expect(fields[1]).toEqual({ name: 'after', type: ['null', 'cdc.public.patients.Value'], default: null });
    expect(fields[5]).toEqual({
      name: 'unchanged_fields',
      type: { type: 'array', items: 'string' },
      default: [],
    });
    expect(fields[4]?.type).toMatchObject({
      type: 'record',
      name: 'Source',
      namespace: 'dev.cdc.postgresql',
    });
  });
});

describe('schema evolution (BACKWARD: the new schema reads data written with the old one)', () => {
  const withNote = (nullable: boolean): TableShape => ({
    ...patients,
    columns: [...patients.columns, column('note', { kind: 'text' }, nullable)],
  });

  it('adding a nullable column resolves, and old rows read it as null', () => {
    const oldValue = avroType(valueSchema(patients));
    const newValue = avroType(valueSchema(withNote(true)));
    const row = { id: 1n, name: 'Ada', born: null };
    const read = newValue.fromBuffer(oldValue.toBuffer(row), newValue.createResolver(oldValue)) as object;
    expect({ ...read }).toEqual({ ...row, note: null });

    const oldEnvelope = avroType(envelopeSchema(patients));
    const newEnvelope = avroType(envelopeSchema(withNote(true)));
    expect(() => newEnvelope.createResolver(oldEnvelope)).not.toThrow();
  });

  it('adding a NOT NULL non-key column resolves too: its row field is nullable, old rows read null', () => {
    const shape = withNote(false);
    expect(valueSchema(shape).fields[3]).toEqual({
      name: 'note',
      type: ['null', 'string'],
      default: null,
      'pg.column': 'note',
    });
    const oldValue = avroType(valueSchema(patients));
    const newValue = avroType(valueSchema(shape));
    const row = { id: 1n, name: 'Ada', born: null };
    const read = newValue.fromBuffer(oldValue.toBuffer(row), newValue.createResolver(oldValue)) as object;
    expect({ ...read }).toEqual({ ...row, note: null });
    expect(() =>
      avroType(envelopeSchema(shape)).createResolver(avroType(envelopeSchema(patients))),
    ).not.toThrow();
  });

  it('adding a NOT NULL key column does not resolve: its field has no default', () => {
    const shape: TableShape = {
      ...patients,
      columns: [...patients.columns, column('site', { kind: 'int32' }, false, true)],
    };
    expect(keySchema(shape).fields[1]).toEqual({ name: 'site', type: 'int', 'pg.column': 'site' });
    expect(() => avroType(keySchema(shape)).createResolver(avroType(keySchema(patients)))).toThrow();
    expect(() => avroType(valueSchema(shape)).createResolver(avroType(valueSchema(patients)))).toThrow();
  });
});

describe('topicName', () => {
  it('is <prefix>.<schema>.<table> with only the characters Kafka allows', () => {
    expect(topicName('cdc', 'public', 'patients')).toBe('cdc.public.patients');
    expect(topicName('cdc.prod-1', 'My Schema', 'orders$2024')).toBe('cdc.prod-1.My_Schema.orders_2024');
    expect(topicName('cdc', 'public', 'café😀')).toBe('cdc.public.caf__');
  });
});
