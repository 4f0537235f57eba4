import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AvroRecord, TableShape } from '../../src/avro/table-schemas.ts';
import { toConnect } from '../../src/debezium/avro-data.ts';
import { debeziumEnvelope } from '../../src/debezium/debezium-format.ts';
import type { SnapshotValue } from '../../src/debezium/debezium-schemas.ts';
import { buildChangeEvents } from '../../src/events/change-event.ts';
import { EventSeqs } from '../../src/events/event-seqs.ts';
import { ALL_TYPES_TABLES } from './all-types.ts';
import { describeDifference, differences, plain, type Plain } from './record-diff.ts';

/**
 * Our Debezium mode against what Debezium Server 3.6.1 itself wrote (debezium-server-3.6.1.json,
 * captured by scripts/debezium-compare.ts --write-fixture on the tables of all-types.ts), without
 * Debezium: the key and value schemas of every table, and the key and row values of every type,
 * through both of Debezium's paths (the snapshot's JDBC reads and the stream's pgoutput text),
 * built from the same PostgreSQL text the source reads.
 */

type Captured = { key: Plain; value: { op: string; after: Plain; source: { snapshot: string } } | null };
type Fixture = {
  tables: Record<string, { shape: TableShape; schemas: { key: Plain; value: Plain }; records: Captured[] }>;
  rows: Record<string, (string | null)[]>;
};

const fixture = JSON.parse(
  readFileSync(new URL('./debezium-server-3.6.1.json', import.meta.url), 'utf8'),
) as Fixture;

const PREFIX = 'dbz_fixture';
const shapeOf = (table: string): TableShape => ({ ...fixture.tables[table]!.shape, prefix: PREFIX });
/** Debezium's side with its prefix back, read as Connect schemas the way the converter reads it. */
const theirs = (schema: Plain) =>
  schema === null
    ? undefined
    : toConnect(JSON.parse(JSON.stringify(schema).replaceAll('<prefix>', PREFIX)) as AvroRecord);

describe('Debezium mode against a captured Debezium Server 3.6.1 run', () => {
  for (const table of ALL_TYPES_TABLES) {
    it(`registers Debezium's key and value schemas for ${table}`, () => {
      const format = debeziumEnvelope();
      const shape = shapeOf(table);
      const { schemas } = fixture.tables[table]!;
      const key = format.keySchema(shape);
      expect(key && toConnect(key)).toEqual(theirs(schemas.key));
      expect(toConnect(format.valueSchema(shape))).toEqual(theirs(schemas.value));
    });
  }

  it('writes the key and row values Debezium wrote for every type, snapshot and stream', () => {
    const shape = shapeOf('all_types');
    const format = debeziumEnvelope();
    const found: string[] = [];
    let checked = 0;
    for (const record of fixture.tables.all_types!.records) {
      const value = record.value;
      if (value === null || (value.op !== 'r' && value.op !== 'c')) continue;
      const id = String((value.after as { id: number }).id);
      const row = fixture.rows[id];
      if (!row) continue;
      const snapshot = value.op === 'r';
      const records = buildChangeEvents({
        database: 'db',
        version: '0.1.0',
        nowMs: 0n,
        shape,
        message: snapshot ? { tag: 'read', row, last: false } : { tag: 'insert', relationOid: 1, new: row },
        context: {
          txId: snapshot ? null : 1,
          lsn: snapshot ? null : 1n,
          commitLsn: 1n,
          seqs: new EventSeqs(),
          commitTimeMs: 0n,
        },
      });
      const [ours] = format.format(shape, records, {
        ...(snapshot ? { snapshot: value.source.snapshot as SnapshotValue } : {}),
      });
      const mine = ours!.value as { op: string; after: unknown };
      const pairs: [string, Plain, Plain][] = [
        ['key', record.key, plain(ours!.key, PREFIX)],
        ['op', value.op, mine.op],
        ['after', value.after, plain(mine.after, PREFIX)],
      ];
      for (const [path, a, b] of pairs) {
        for (const difference of differences(path, a, b, { snapshot })) {
          // The stream's `name` columns: Debezium 3.6.1 writes null there (record-diff.ts).
          if (!difference.explained) found.push(describeDifference(`${value.op} id ${id}`, difference));
        }
      }
      checked += 1;
    }
    expect(found).toEqual([]);
    // Three snapshot rows and the same three streamed, each with every column.
    expect(checked).toBe(6);
  });

  it('finds a difference when there is one (the comparison can fail)', () => {
    const record = fixture.tables.all_types!.records.find((r) => r.value?.op === 'r')!;
    const after = { ...(record.value!.after as Record<string, Plain>), c_money: '-1234.57' };
    expect(differences('after', record.value!.after, after, { snapshot: true })).toHaveLength(1);
  });
});
