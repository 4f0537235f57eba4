import { CdcError } from '@cdc/core';
import { describe, expect, it } from 'vitest';
import { avroType } from '@cdc/core';
import { envelopeSchema, keySchema, type TableShape } from '../avro/table-schemas.ts';
import { UNCHANGED, type RelationMessage, type TruncateMessage, type Tuple } from '../pgoutput/messages.ts';
import { buildChangeEvents, type ChangeEventInput, type KeyChange } from './change-event.ts';
import { EventSeqs } from './event-seqs.ts';
import { column, thrown } from '../testing.ts';

// "full name" becomes the Avro field full_name: rows and unchanged_fields use the Avro names.
const patients: TableShape = {
  prefix: 'cdc',
  schema: 'public',
  table: 'patients',
  columns: [
    column('id', { kind: 'int64' }, false, true),
    column('full name', { kind: 'text' }, false),
    column('notes', { kind: 'text' }),
    column('price', { kind: 'decimal', precision: 10, scale: 2 }),
    column('seen', { kind: 'timestamptz' }),
  ],
};

const relationOf = (shape: TableShape, full = false): RelationMessage => ({
  tag: 'relation',
  relationOid: 16384,
  schema: shape.schema,
  name: shape.table,
  replicaIdentity: full ? 'full' : 'default',
  columns: shape.columns.map((c) => ({ name: c.name, typeOid: 25, typeMod: -1, isKey: full || c.isKey })),
});

// The message's first event is the transaction's third: seq 2.
const context = () => ({
  txId: 731,
  commitLsn: 0x1a2b3c0n,
  seqs: new EventSeqs(2n),
  lsn: 0x1a2b100n,
  commitTimeMs: 1_704_164_645_678n,
});
const source = {
  version: '0.1.0',
  connector: 'postgresql',
  name: 'cdc',
  ts_ms: 1_704_164_645_678n,
  snapshot: 'false',
  db: 'clinic',
  schema: 'public',
  table: 'patients',
  txId: 731n,
  lsn: 0x1a2b100n,
  commit_lsn: 0x1a2b3c0n,
  seq: 2n,
};
const version = (seq = 2n) => ({ commitLsn: 0x1a2b3c0n, seq });
const NOW = 1_704_164_700_000n;

const ADA: Tuple = ['42', 'Ada Lovelace', 'long notes', '12.50', '2024-01-02 03:04:05.678901+00'];
const adaRow = {
  id: 42n,
  full_name: 'Ada Lovelace',
  notes: 'long notes',
  price: '12.50',
  seen: 1_704_164_645_678_901n,
};

/** Builds the records and proves that the table's own Avro types carry every one of them exactly. */
function build(
  message: ChangeEventInput['message'],
  shape = patients,
  extra: Partial<ChangeEventInput> = {},
) {
  const records = buildChangeEvents({
    database: 'clinic',
    version: '0.1.0',
    nowMs: NOW,
    shape,
    message,
    context: context(),
    ...extra,
  });
  const valueType = avroType(envelopeSchema(shape));
  for (const { key, value } of records) {
    if (key !== null) {
      const keyType = avroType(keySchema(shape));
      expect(keyType.fromBuffer(keyType.toBuffer(key))).toEqual(key);
    }
    if (value !== null) expect(valueType.fromBuffer(valueType.toBuffer(value))).toEqual(value);
  }
  return records;
}

const event = (
  key: object | null,
  op: string,
  before: object | null,
  after: object | null,
  unchanged: string[] = [],
  seq = 2n,
) => ({
  key,
  value: { before, after, op, ts_ms: NOW, source: { ...source, seq }, unchanged_fields: unchanged },
  version: version(seq),
});
const tombstone = (key: object, seq = 2n) => ({ key, value: null, version: version(seq) });
/** Both halves of a key change name the other half's key. */
const moved = <T extends object>(record: T, keyChange: KeyChange) => ({ ...record, keyChange });

describe('buildChangeEvents', () => {
  it('insert: op c, after decoded per column kind, key the primary key', () => {
    const records = build({ tag: 'insert', relationOid: 16384, new: ADA }, patients, {
      relation: relationOf(patients),
    });
    expect(records).toEqual([event({ id: 42n }, 'c', null, adaRow)]);
  });

  it('update without old row: before null; unchanged TOAST is null and listed, never a placeholder', () => {
    const changed: Tuple = ['42', 'Ada King', UNCHANGED, '13.00', null];
    expect(build({ tag: 'update', relationOid: 16384, new: changed })).toEqual([
      event(
        { id: 42n },
        'u',
        null,
        { id: 42n, full_name: 'Ada King', notes: null, price: '13.00', seen: null },
        ['notes'],
      ),
    ]);
  });

  it('REPLICA IDENTITY FULL: unchanged TOAST values come from the old row and are not listed', () => {
    // Under FULL PostgreSQL flattens the old row, so it carries the values the new tuple leaves out.
    const changed: Tuple = ['42', UNCHANGED, UNCHANGED, '13.00', ADA[4] ?? null];
    const records = build({ tag: 'update', relationOid: 16384, old: ADA, new: changed }, patients, {
      relation: relationOf(patients, true),
    });
    expect(records).toEqual([event({ id: 42n }, 'u', adaRow, { ...adaRow, price: '13.00' })]);
  });

  it('unchanged TOAST in a NOT NULL non-key column without old row: null in after, and listed', () => {
    const changed: Tuple = ['42', UNCHANGED, null, null, null];
    expect(build({ tag: 'update', relationOid: 16384, new: changed })).toEqual([
      event({ id: 42n }, 'u', null, { id: 42n, full_name: null, notes: null, price: null, seen: null }, [
        'full_name',
      ]),
    ]);
  });

  it('unchanged TOAST in a NOT NULL key column without old row: an error that names table, column and fix', () => {
    const error = thrown(() =>
      build({ tag: 'update', relationOid: 16384, new: [UNCHANGED, 'Ada', null, null, null] }),
    );
    expect(error.code).toBe('UNCHANGED_NOT_NULL');
    expect(error.message).toMatch(/^public\.patients\.id: /);
    expect(error.fix).toMatch(/REPLICA IDENTITY FULL/);
    expect(error.details).toMatchObject({ schema: 'public', table: 'patients', column: 'id' });
  });

  it('delete under DEFAULT identity: key-only before, then a tombstone with the same key', () => {
    // "full name" is NOT NULL, yet null in before: PostgreSQL sent the key columns only.
    const keyOnly: Tuple = ['42', null, null, null, null];
    const key = { id: 42n };
    expect(build({ tag: 'delete', relationOid: 16384, key: keyOnly })).toEqual([
      event(key, 'd', { id: 42n, full_name: null, notes: null, price: null, seen: null }, null),
      tombstone(key),
    ]);
    // A key column without its value: no key can be made, and none is made up.
    const error = thrown(() =>
      build({ tag: 'delete', relationOid: 16384, key: [null, null, null, null, null] }),
    );
    expect(error.code).toBe('KEY_UNKNOWN');
    expect(error.details).toMatchObject({ schema: 'public', table: 'patients', column: 'id' });
    // Nor does an update put such an old row in `before`.
    const noKey: Tuple = [null, null, null, null, null];
    expect(thrown(() => build({ tag: 'update', relationOid: 16384, key: noKey, new: ADA })).code).toBe(
      'KEY_UNKNOWN',
    );
  });

  it('delete under FULL: before is the whole old row', () => {
    expect(build({ tag: 'delete', relationOid: 16384, old: ADA })).toEqual([
      event({ id: 42n }, 'd', adaRow, null),
      tombstone({ id: 42n }),
    ]);
  });

  it('update that changes the key: delete + tombstone of the old key, create of the new one, a seq each', () => {
    const renumbered: Tuple = ['43', ...ADA.slice(1)];
    const [oldKey, newKey] = [{ id: 42n }, { id: 43n }];
    expect(
      build({ tag: 'update', relationOid: 16384, key: ['42', null, null, null, null], new: renumbered }),
    ).toEqual([
      moved(event(oldKey, 'd', { id: 42n, full_name: null, notes: null, price: null, seen: null }, null), {
        newKey,
      }),
      moved(tombstone(oldKey), { newKey }),
      moved(event(newKey, 'c', null, { ...adaRow, id: 43n }, [], 3n), { oldKey }),
    ]);
  });

  it('REPLICA IDENTITY FULL with a primary key: an update of other columns is one u keyed by the primary key', () => {
    // pgoutput flags every column as identity under FULL; the shape's key is still the primary key.
    const changed: Tuple = ['42', 'Ada King', 'long notes', '13.00', ADA[4] ?? null];
    const records = build({ tag: 'update', relationOid: 16384, old: ADA, new: changed }, patients, {
      relation: relationOf(patients, true),
    });
    expect(records).toEqual([
      event({ id: 42n }, 'u', adaRow, { ...adaRow, full_name: 'Ada King', price: '13.00' }),
    ]);
    // A change of the primary key itself is a key change, with the whole old row as `before`.
    const renumbered: Tuple = ['20', ...changed.slice(1)];
    const after = { ...adaRow, id: 20n, full_name: 'Ada King', price: '13.00' };
    expect(build({ tag: 'update', relationOid: 16384, old: ADA, new: renumbered })).toEqual([
      moved(event({ id: 42n }, 'd', adaRow, null), { newKey: { id: 20n } }),
      moved(tombstone({ id: 42n }), { newKey: { id: 20n } }),
      moved(event({ id: 20n }, 'c', null, after, [], 3n), { oldKey: { id: 42n } }),
    ]);
  });

  it('truncate: op t, key null', () => {
    const message: TruncateMessage = {
      tag: 'truncate',
      relationOids: [16384],
      cascade: false,
      restartIdentity: false,
    };
    expect(build(message)).toEqual([event(null, 't', null, null)]);
  });

  it('snapshot read: op r, no transaction nor own LSN, snapshot true or last', () => {
    const snapshotContext = {
      txId: null,
      commitLsn: 0x1a2b3c0n,
      seqs: new EventSeqs(2n),
      lsn: null,
      commitTimeMs: 1_704_164_645_678n,
    };
    const read = (last: boolean) =>
      build({ tag: 'read', row: ADA, last }, patients, { context: snapshotContext });
    const expected = (snapshot: string, seq: bigint) => [
      {
        key: { id: 42n },
        value: {
          ...event(null, 'r', null, adaRow).value,
          source: { ...source, txId: null, lsn: null, snapshot, seq },
        },
        version: version(seq),
      },
    ];
    // One running seq across the snapshot: a seq per row.
    expect(read(false)).toEqual(expected('true', 2n));
    expect(read(true)).toEqual(expected('last', 3n));
  });

  it('table without primary key under REPLICA IDENTITY FULL: the key is every column', () => {
    // Without a primary key or declared key columns, the key is the replica identity: every column
    // under FULL (key-columns.ts), so every update is a key change.
    const log: TableShape = {
      prefix: 'cdc',
      schema: 'public',
      table: 'patients',
      columns: [
        column('at', { kind: 'timestamp' }, false, true),
        column('what', { kind: 'text' }, false, true),
        column('n', { kind: 'int32' }, true, true),
      ],
    };
    const row: Tuple = ['2024-01-02 03:04:05', 'login', '7'];
    const key = { at: 1_704_164_645_000_000n, what: 'login', n: 7 };
    expect(
      build({ tag: 'delete', relationOid: 16384, old: row }, log, { relation: relationOf(log, true) }),
    ).toEqual([event(key, 'd', key, null), tombstone(key)]);
    // An unchanged TOAST value of a key column comes from the old row, into after and the new key.
    const newKey = { ...key, n: 8 };
    expect(
      build({ tag: 'update', relationOid: 16384, old: row, new: [row[0] ?? null, UNCHANGED, '8'] }, log),
    ).toEqual([
      moved(event(key, 'd', key, null), { newKey }),
      moved(tombstone(key), { newKey }),
      moved(event(newKey, 'c', null, newKey, [], 3n), { oldKey: key }),
    ]);
    // A nullable column gives a nullable key field: its NULL is part of the key.
    const nulled = { ...key, n: null };
    expect(build({ tag: 'insert', relationOid: 16384, new: [row[0] ?? null, 'login', null] }, log)).toEqual([
      event(nulled, 'c', null, nulled),
    ]);
    // An unchanged (unsent) value is not NULL: a nullable key field does not make it one.
    const error = thrown(() =>
      build({ tag: 'update', relationOid: 16384, new: [row[0] ?? null, 'login', UNCHANGED] }, log),
    );
    expect(error.code).toBe('KEY_UNKNOWN');
    expect(error.details).toMatchObject({ column: 'n' });
    expect(error.fix).toMatch(/REPLICA IDENTITY FULL/);
  });

  it('a value that cannot be represented names table and column', () => {
    const error = thrown(() =>
      build({ tag: 'insert', relationOid: 16384, new: ['42', 'Ada', null, 'NaN', null] }),
    );
    expect(error.code).toBe('UNREPRESENTABLE_VALUE');
    expect(error.message).toMatch(/^public\.patients\.price: decimal\(10,2\) value "NaN" cannot be/);
    expect(error.details).toMatchObject({
      schema: 'public',
      table: 'patients',
      column: 'price',
      text: 'NaN',
    });
    expect(error.cause).toBeInstanceOf(CdcError);

    const invalid = thrown(() =>
      build({ tag: 'insert', relationOid: 16384, new: ['forty-two', 'Ada', null, null, null] }),
    );
    expect(invalid.code).toBe('INVALID_VALUE');
    expect(invalid.details).toMatchObject({ column: 'id', kind: 'int64' });
  });

  it('refuses a stale shape and a NULL in a NOT NULL key column', () => {
    const widened = relationOf({
      ...patients,
      columns: [...patients.columns, column('extra', { kind: 'text' })],
    });
    const insert = { tag: 'insert', relationOid: 16384, new: ADA } as const;
    expect(thrown(() => build(insert, patients, { relation: widened })).code).toBe('SHAPE_MISMATCH');
    expect(thrown(() => build({ ...insert, new: [...ADA, 'x'] })).code).toBe('SHAPE_MISMATCH');
    const nulled = thrown(() => build({ ...insert, new: [null, 'Ada', null, null, null] }));
    expect(nulled.code).toBe('NULL_IN_NOT_NULL');
    expect(nulled.details).toMatchObject({ column: 'id' });
    // In a NOT NULL non-key column a NULL fits the row record (the shape may be stale): kept as null.
    expect(build({ ...insert, new: ['42', null, null, null, null] })).toEqual([
      event({ id: 42n }, 'c', null, { id: 42n, full_name: null, notes: null, price: null, seen: null }),
    ]);
  });
});
