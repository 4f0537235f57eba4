import { describe, expect, it } from 'vitest';
import { declaredKeyColumns, messageKeyColumns, type KeyCandidates } from './key-columns.ts';
import { thrown } from './testing.ts';

const table = { schema: 'public', name: 't' };
const columns = ['id', 'tenant', 'note', 'qty'];
const keyOf = (candidates: Partial<KeyCandidates>) => [
  ...messageKeyColumns(table, {
    columns,
    primaryKey: [],
    declared: undefined,
    replicaIdentity: [],
    ...candidates,
  }),
];

describe('messageKeyColumns', () => {
  it('is the primary key whatever the replica identity', () => {
    // DEFAULT identity: the identity is the primary key.
    expect(keyOf({ primaryKey: ['id'], replicaIdentity: ['id'] })).toEqual(['id']);
    // FULL: pgoutput flags every column; the key stays the primary key.
    expect(keyOf({ primaryKey: ['id', 'tenant'], replicaIdentity: columns })).toEqual(['id', 'tenant']);
    // A declaration for a table with a primary key does not win (preflight reports it).
    expect(keyOf({ primaryKey: ['id'], declared: ['note'], replicaIdentity: columns })).toEqual(['id']);
  });

  it('is the declared columns of a keyless table, else its replica identity', () => {
    // A set: the key schema takes its fields in the table's column order (table-schemas.ts).
    expect(new Set(keyOf({ declared: ['tenant', 'id'], replicaIdentity: columns }))).toEqual(
      new Set(['id', 'tenant']),
    );
    // Keyless under FULL without a declaration: the whole row.
    expect(keyOf({ replicaIdentity: columns })).toEqual(columns);
    // No key at all (keySchema then refuses the table with NO_PRIMARY_KEY).
    expect(keyOf({})).toEqual([]);
  });

  it('refuses declared columns the table does not have, naming them and the setting', () => {
    const error = thrown(() => keyOf({ declared: ['id', 'Event_Id'], replicaIdentity: columns }));
    expect(error.code).toBe('KEY_COLUMN_UNKNOWN');
    expect(error.message).toMatch(/declares Event_Id as the message key of public\.t/);
    expect(error.fix).toMatch(/source\.keyless\.key_columns\['public\.t'\].*id, tenant, note, qty/);
  });

  it("keys as Debezium does in Debezium's envelope, in the key's own order", () => {
    const debezium = (candidates: Partial<KeyCandidates>) => [
      ...messageKeyColumns(
        table,
        { columns, primaryKey: [], declared: undefined, replicaIdentity: columns, ...candidates },
        'debezium',
      ),
    ];
    // The primary key in its definition order; declared columns in the order declared.
    expect(debezium({ primaryKey: ['tenant', 'id'] })).toEqual(['tenant', 'id']);
    expect(debezium({ declared: ['qty', 'id'] })).toEqual(['qty', 'id']);
    // A keyless table: its first unique index, else no key at all (null keys), never the whole row.
    expect(debezium({ uniqueIndex: ['note'] })).toEqual(['note']);
    expect(debezium({})).toEqual([]);
  });

  it('finds the declaration of a table by its schema.table name', () => {
    const keyless = { allow: ['public.t'], key_columns: { 'public.t': ['id'] } };
    expect(declaredKeyColumns(keyless, 'public', 't')).toEqual(['id']);
    expect(declaredKeyColumns(keyless, 'other', 't')).toBeUndefined();
  });
});
