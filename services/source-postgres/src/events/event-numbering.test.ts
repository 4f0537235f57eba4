import { describe, expect, it } from 'vitest';
import type { TableShape } from '../avro/table-schemas.ts';
import type { PgoutputMessage, RelationMessage } from '../pgoutput/messages.ts';
import { column } from '../testing.ts';
import { buildChangeEvents, type ChangeEventInput, type ChangeRecord } from './change-event.ts';
import { TransactionTracker, type ChangeContext } from './transaction-tracker.ts';

// Seqs number events, not pgoutput messages: the tracker and the event builder together, fed a
// transaction as the stream feeds them (stream/change-stream.ts #append and #truncate).

const shapeOf = (table: string, keyColumns: readonly string[]): TableShape => ({
  prefix: 'cdc',
  schema: 'public',
  table,
  columns: ['id', 'note', 'qty'].map((name) =>
    column(
      name,
      name === 'note' ? { kind: 'text' } : { kind: 'int32' },
      name !== 'id',
      keyColumns.includes(name),
    ),
  ),
});

/** REPLICA IDENTITY FULL: pgoutput flags every column as identity, whatever the primary key. */
const relationOf = (oid: number, shape: TableShape): RelationMessage => ({
  tag: 'relation',
  relationOid: oid,
  schema: shape.schema,
  name: shape.table,
  replicaIdentity: 'full',
  columns: shape.columns.map((c) => ({ name: c.name, typeOid: 23, typeMod: -1, isKey: true })),
});

// t(id primary key, note, qty) and u (the same columns, no primary key, keyed by id as declared
// in keyless.key_columns): the shapes TableShapes makes for them (key-columns.ts).
const T = shapeOf('t', ['id']);
const U = shapeOf('u', ['id']);
const shapes = new Map([
  [1, T],
  [2, U],
]);
const relations = [relationOf(1, T), relationOf(2, U)];

const begin: PgoutputMessage = { tag: 'begin', finalLsn: '0/500', commitTime: 1_000_000n, xid: 9 };
const commit: PgoutputMessage = {
  tag: 'commit',
  flags: 0,
  commitLsn: '0/500',
  endLsn: '0/528',
  commitTime: 1_000_000n,
};
const transaction: PgoutputMessage[] = [
  begin,
  { tag: 'insert', relationOid: 1, new: ['1', 'a', '1'] },
  { tag: 'update', relationOid: 1, old: ['1', 'a', '1'], new: ['1', 'b', '2'] },
  { tag: 'update', relationOid: 1, old: ['1', 'b', '2'], new: ['10', 'b', '2'] },
  { tag: 'update', relationOid: 2, old: ['5', 'x', '1'], new: ['5', 'y', '1'] },
  { tag: 'truncate', relationOids: [1, 2], cascade: false, restartIdentity: false },
  commit,
];

/** The records of one transaction, built as the stream builds them. */
function stream(messages: readonly PgoutputMessage[]): ChangeRecord[] {
  const tracker = new TransactionTracker();
  for (const relation of relations) tracker.feed(relation, 0n);
  const records: ChangeRecord[] = [];
  const build = (relation: RelationMessage, message: ChangeEventInput['message'], context: ChangeContext) =>
    records.push(
      ...buildChangeEvents({
        database: 'db',
        version: 'test',
        nowMs: 0n,
        shape: shapes.get(relation.relationOid)!,
        relation,
        message,
        context,
      }),
    );
  messages.forEach((message, index) => {
    const step = tracker.feed(message, BigInt(index));
    if (step.kind === 'change') build(step.relation, step.message, step.context);
    if (step.kind === 'truncate')
      for (const relation of step.relations) build(relation, step.message, step.context);
  });
  return records;
}

const summary = (records: readonly ChangeRecord[]) =>
  records.map((record) => ({
    table: record.value?.source.table,
    op: record.value?.op ?? 'tombstone',
    key: record.key,
    seq: record.version.seq,
    sourceSeq: record.value?.source.seq,
    keyChange: record.keyChange,
  }));

describe('event numbering', () => {
  it('gives every event of a transaction its own seq, in stream order', () => {
    expect(summary(stream(transaction))).toEqual([
      { table: 't', op: 'c', key: { id: 1 }, seq: 0n, sourceSeq: 0n, keyChange: undefined },
      // Under FULL with a primary key, an update of other columns: one u keyed by the primary key.
      { table: 't', op: 'u', key: { id: 1 }, seq: 1n, sourceSeq: 1n, keyChange: undefined },
      // A key change: delete n, its tombstone n, create n + 1; each half names the other key.
      { table: 't', op: 'd', key: { id: 1 }, seq: 2n, sourceSeq: 2n, keyChange: { newKey: { id: 10 } } },
      { op: 'tombstone', key: { id: 1 }, seq: 2n, sourceSeq: undefined, keyChange: { newKey: { id: 10 } } },
      { table: 't', op: 'c', key: { id: 10 }, seq: 3n, sourceSeq: 3n, keyChange: { oldKey: { id: 1 } } },
      // A keyless table with declared key columns behaves the same: one u keyed by them.
      { table: 'u', op: 'u', key: { id: 5 }, seq: 4n, sourceSeq: 4n, keyChange: undefined },
      // One TRUNCATE of two tables: an event per table, a seq each.
      { table: 't', op: 't', key: null, seq: 5n, sourceSeq: 5n, keyChange: undefined },
      { table: 'u', op: 't', key: null, seq: 6n, sourceSeq: 6n, keyChange: undefined },
    ]);
  });

  it('numbers a replayed transaction the same way', () => {
    // After a crash PostgreSQL resends the transaction whole: the versions must come out the same.
    const versions = (records: readonly ChangeRecord[]) => records.map((record) => record.version);
    expect(versions(stream(transaction))).toEqual(versions(stream(transaction)));
  });

  it('keeps the full old row as before of an update under FULL', () => {
    const update = stream(transaction).find((record) => record.value?.op === 'u');
    expect(update?.value?.before).toEqual({ id: 1, note: 'a', qty: 1 });
    expect(update?.value?.after).toEqual({ id: 1, note: 'b', qty: 2 });
  });
});
