import { describe, expect, it } from 'vitest';
import { valueSchema, type TableShape } from '../avro/table-schemas.ts';
import { column } from '../testing.ts';
import { describeChanges } from './schema-registrar.ts';

const shape = (columns: TableShape['columns']): TableShape => ({
  prefix: 'cdc',
  schema: 'public',
  table: 't',
  columns,
});

describe('describeChanges', () => {
  it('names added, removed and retyped columns by their PostgreSQL names', () => {
    const before = valueSchema(
      shape([
        column('id', { kind: 'int32' }, false, true),
        column('amount', { kind: 'int32' }),
        column('gone', { kind: 'text' }),
      ]),
    ).fields;
    const after = valueSchema(
      shape([
        column('id', { kind: 'int32' }, false, true),
        column('amount', { kind: 'text' }),
        column('new col', { kind: 'bool' }),
      ]),
    ).fields;
    expect(describeChanges(before, after)).toEqual([
      'column "amount" changed from ["null","int"] to ["null","string"]',
      'column "new col" added as ["null","boolean"]',
      'column "gone" removed',
    ]);
  });

  it('finds nothing when the fields are the same', () => {
    const fields = valueSchema(shape([column('id', { kind: 'int64' }, false, true)])).fields;
    expect(describeChanges(fields, fields)).toEqual([]);
  });
});
