import { describe, expect, it } from 'vitest';
import type { TableColumn, TableShape } from '../../src/avro/table-schemas.ts';
import { debeziumValue } from '../../src/debezium/column-values.ts';
import { required } from '../../src/debezium/connect-schema.ts';
import { debeziumEnvelope, NEW_KEY_HEADER, OLD_KEY_HEADER } from '../../src/debezium/debezium-format.ts';
import { DEBEZIUM_NAMES, decimalSchema, VARIABLE_SCALE_DECIMAL } from '../../src/debezium/postgres-types.ts';
import { UNAVAILABLE_VALUE } from '../../src/debezium/row-values.ts';
import { snapshotMarker } from '../../src/debezium/snapshot-marker.ts';
import { microDuration, zonedTimestamp } from '../../src/debezium/temporal.ts';
import { buildChangeEvents, type ChangeEventInput } from '../../src/events/change-event.ts';
import { EventSeqs } from '../../src/events/event-seqs.ts';
import { UNCHANGED } from '../../src/pgoutput/messages.ts';
import { DATE_INFINITY, TIMESTAMP_INFINITY, TIMESTAMP_MINUS_INFINITY } from '../../src/types/datetime.ts';

// Expected values are Debezium Server 3.6.1's own, from the run captured in
// debezium-server-3.6.1.json (scripts/debezium-compare.ts) unless a line says otherwise.

const semantic = (type: 'int32' | 'int64' | 'string', name: string) => required(type, { name, version: 1 });
const value = (
  schema: ReturnType<typeof required>,
  v: Parameters<typeof debeziumValue>[1],
  fractionWidth = 6,
) => debeziumValue(schema, v, { fractionWidth });

describe("Debezium mode's values", () => {
  it('writes timestamptz as ZonedTimestamp text in UTC with the column precision', () => {
    const micros = 1_709_202_896_654_321n; // 2024-02-29 12:34:56.654321+02
    expect(zonedTimestamp(micros, 6)).toBe('2024-02-29T10:34:56.654321Z');
    expect(zonedTimestamp(1_709_202_896_654_000n, 3)).toBe('2024-02-29T10:34:56.654Z');
    expect(zonedTimestamp(1_709_202_896_000_000n, 0)).toBe('2024-02-29T10:34:56Z');
    // A timestamptz[] element has the array's precision: 6 digits even for a whole second.
    expect(zonedTimestamp(1_704_067_200_000_000n, 6)).toBe('2024-01-01T00:00:00.000000Z');
    expect(zonedTimestamp(-2_193_332_401_000_000n, 0)).toBe('1900-07-01T04:59:59Z');
    // java.time's years beyond 9999 and before year 1 (ISO_LOCAL_DATE).
    expect(zonedTimestamp(253_402_300_800_000_000n, 6)).toBe('+10000-01-01T00:00:00.000000Z');
    expect(zonedTimestamp(-62_167_219_200_000_000n, 6)).toBe('0000-01-01T00:00:00.000000Z');
    expect(zonedTimestamp(-62_198_755_200_000_000n, 6)).toBe('-0001-01-01T00:00:00.000000Z');
    const zoned = semantic('string', DEBEZIUM_NAMES.zonedTimestamp);
    expect(value(zoned, TIMESTAMP_INFINITY)).toBe('infinity');
    expect(value(zoned, TIMESTAMP_MINUS_INFINITY)).toBe('-infinity');
  });

  it('writes intervals as MicroDuration, months at 365.25 / 12 days as Debezium does', () => {
    expect(microDuration('P1Y2M3DT4H5M6.789S')).toBe(37_091_106_789_000n);
    expect(microDuration('P1Y2M3DT4H5M6.5S')).toBe(37_091_106_500_000n);
    expect(microDuration('P-3DT1.5S')).toBe(-259_198_500_000n); // '-3 days 00:00:01.5'
    expect(microDuration('PT0S')).toBe(0n);
    expect(microDuration('not an interval')).toBeUndefined();
  });

  it('writes money as a Decimal of scale 2 and unbounded numeric as VariableScaleDecimal', () => {
    const money = decimalSchema(2);
    expect(value(money, '-$1,234.56')).toBe('-1234.56');
    expect(value(money, '$0.00')).toBe('0.00');
    expect(value(money, '($1.00)')).toBe('-1.00'); // lc_monetary's accounting form
    expect(value(VARIABLE_SCALE_DECIMAL, '0.000000000000000001')).toEqual({
      scale: 18,
      value: Buffer.from([1]),
    });
    expect(value(VARIABLE_SCALE_DECIMAL, '56.789')).toEqual({
      scale: 3,
      value: Buffer.from('00ddd5', 'hex'),
    });
    // stripTrailingZeros: -12.500 is -125 at scale 1.
    expect(value(VARIABLE_SCALE_DECIMAL, '-12.500')).toEqual({ scale: 1, value: Buffer.from([0x83]) });
    expect(value(VARIABLE_SCALE_DECIMAL, 'NaN')).toBeNull();
    expect(value(decimalSchema(2, 10), '-12345678.9')).toBe('-12345678.90');
  });

  it('writes times and timestamps by precision: milliseconds up to 3 digits, else microseconds', () => {
    expect(value(semantic('int32', DEBEZIUM_NAMES.time), 45_296_789_000n)).toBe(45_296_789); // 12:34:56.789
    expect(value(semantic('int64', DEBEZIUM_NAMES.microTime), 86_399_999_999n)).toBe(86_399_999_999n);
    expect(value(semantic('int64', DEBEZIUM_NAMES.timestamp), 1_000n)).toBe(1n); // 1970-01-01 00:00:00.001
    expect(value(semantic('int64', DEBEZIUM_NAMES.microTimestamp), 1_709_210_096_123_456n)).toBe(
      1_709_210_096_123_456n,
    );
    expect(value(semantic('int64', DEBEZIUM_NAMES.microTimestamp), TIMESTAMP_INFINITY)).toBe(
      9_223_372_036_825_200_000n,
    );
    expect(value(semantic('int64', DEBEZIUM_NAMES.timestamp), TIMESTAMP_MINUS_INFINITY)).toBe(
      -9_223_372_036_832_400n,
    );
  });

  it("writes infinity dates as Debezium's stream and snapshot each do", () => {
    const date = semantic('int32', DEBEZIUM_NAMES.date);
    expect(value(date, DATE_INFINITY)).toBe(-2_147_472_692);
    expect(debeziumValue(date, DATE_INFINITY, { fractionWidth: 6, snapshot: true })).toBe(-622_191_234);
    expect(value(date, 19_782)).toBe(19_782);
  });

  it('keeps enum labels, arrays and their nulls as they are', () => {
    const enumSchema = required('string', {
      name: DEBEZIUM_NAMES.enum,
      version: 1,
      parameters: { allowed: 'sad,ok,happy' },
    });
    expect(value(enumSchema, 'happy')).toBe('happy');
    const ints = { type: 'array', optional: false, items: { type: 'int32', optional: true } } as const;
    expect(value(ints, [1, null, -3])).toEqual([1, null, -3]);
    const decimals = {
      type: 'array',
      optional: false,
      items: { ...decimalSchema(2, 5), optional: true },
    } as const;
    expect(value(decimals, ['1.5', null])).toEqual(['1.50', null]);
  });
});

// A table the way the source shapes it in Debezium mode (stream/table-shapes.ts).
const col = (
  name: string,
  kind: TableColumn['kind'],
  pgName: string,
  extra: Partial<TableColumn> = {},
): TableColumn => ({
  name,
  kind,
  nullable: true,
  isKey: false,
  pgType: { oid: 0, name: pgName, typeMod: -1 },
  ...extra,
});
const pkOrder: TableShape = {
  prefix: 'dbz',
  schema: 'public',
  table: 'pk_order',
  envelope: 'debezium',
  columns: [
    col('b', { kind: 'int32' }, 'int4', { nullable: false, isKey: true }),
    col('a', { kind: 'text' }, 'text', { nullable: false, isKey: true }),
    col('note', { kind: 'text' }, 'text'),
    col('tags', { kind: 'array', element: { kind: 'text' } }, '_text'),
  ],
  keyOrder: ['a', 'b'],
};
const keyless: TableShape = {
  prefix: 'dbz',
  schema: 'public',
  table: 'keyless',
  envelope: 'debezium',
  columns: [col('x', { kind: 'int32' }, 'int4'), col('y', { kind: 'text' }, 'text')],
  keyOrder: [],
};

function events(
  shape: TableShape,
  message: ChangeEventInput['message'],
  context: Partial<ChangeEventInput['context']> = {},
) {
  return buildChangeEvents({
    database: 'db',
    version: '0.1.0',
    nowMs: 0n,
    shape,
    message,
    context: {
      txId: 731,
      lsn: 0x100n,
      commitLsn: 0x200n,
      seqs: new EventSeqs(),
      commitTimeMs: 0n,
      ...context,
    },
  });
}

describe("Debezium mode's records", () => {
  it('keys in primary-key definition order, and a key change carries the other key on all three records', () => {
    const format = debeziumEnvelope();
    const keyFields = format.keySchema(pkOrder)!.fields.map((field) => field.name);
    expect(keyFields).toEqual(['a', 'b']);
    const records = format.format(
      pkOrder,
      events(pkOrder, {
        tag: 'update',
        relationOid: 1,
        key: ['1', 'x', null, null],
        new: ['1', 'v', 'n', null],
      }),
      {},
    );
    expect(records.map((r) => (r.value as { op: string } | null)?.op ?? 'tombstone')).toEqual([
      'd',
      'tombstone',
      'c',
    ]);
    const headers = records.map((r) => r.headers({ traceparent: 't' }));
    // Debezium Server's JSON header converter, as it wrote __debezium.newkey in the captured run.
    const newKey =
      '{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"a"},' +
      '{"type":"int32","optional":false,"field":"b"}],"optional":false,"name":"dbz.public.pk_order.Key"},' +
      '"payload":{"a":"v","b":1}}';
    expect(headers[0]![NEW_KEY_HEADER]).toBe(newKey);
    expect(headers[1]![NEW_KEY_HEADER]).toBe(newKey);
    expect(headers[2]![OLD_KEY_HEADER]).toContain('"payload":{"a":"x","b":1}');
    expect(headers[2]![NEW_KEY_HEADER]).toBeUndefined();
    expect(Object.keys(headers[0]!)).toEqual([
      'cdc.commit_lsn',
      'cdc.seq',
      'traceparent',
      NEW_KEY_HEADER,
      '__debezium.context.connectorLogicalName',
      '__debezium.context.taskId',
      '__debezium.context.connectorName',
      '__debezium.context.runId',
    ]);
    expect(headers[0]!['__debezium.context.connectorName']).toBe(
      '{"schema":{"type":"string","optional":false},"payload":"postgresql"}',
    );
    // Every header in the JSON converter's form, ours too, as Debezium Server writes its tracing SMT's.
    expect(headers[0]!.traceparent).toBe('{"schema":{"type":"string","optional":false},"payload":"t"}');
    // The delete's before is the key-only old row; NOT NULL columns stay required, so none is null.
    expect((records[0]!.value as { before: unknown }).before).toEqual({
      b: 1,
      a: 'x',
      note: null,
      tags: null,
    });
  });

  it('gives a keyless table null keys and no key schema, and skips truncates', () => {
    const format = debeziumEnvelope();
    expect(format.keySchema(keyless)).toBeUndefined();
    const deleted = format.format(
      keyless,
      events(keyless, { tag: 'delete', relationOid: 1, old: ['1', 'one'] }),
      {},
    );
    expect(deleted.map((r) => r.key)).toEqual([null, null]);
    expect(deleted[1]!.value).toBeNull();
    const updated = format.format(
      keyless,
      events(keyless, { tag: 'update', relationOid: 1, old: ['2', 'two'], new: ['2', 'TWO'] }),
      {},
    );
    expect(updated.map((r) => (r.value as { op: string }).op)).toEqual(['u']);
    expect(
      format.format(
        keyless,
        events(keyless, { tag: 'truncate', relationOids: [1], cascade: false, restartIdentity: false }),
        {},
      ),
    ).toEqual([]);
  });

  it('writes the unavailable-value placeholder for unchanged TOAST values, in the form of the type', () => {
    const format = debeziumEnvelope();
    const [record] = format.format(
      pkOrder,
      events(pkOrder, { tag: 'update', relationOid: 1, new: ['1', 'x', UNCHANGED, UNCHANGED] }),
      {},
    );
    expect((record!.value as { after: unknown }).after).toEqual({
      b: 1,
      a: 'x',
      note: UNAVAILABLE_VALUE,
      tags: [UNAVAILABLE_VALUE],
    });
  });

  it('fills source and transaction: sequence, commit microseconds, orders per transaction and table', () => {
    const format = debeziumEnvelope();
    const seqs = new EventSeqs();
    const context = { commitTimeUs: 1_796_198_443_984_591n, previousCommitEndLsn: 822_632_696n };
    const inTx = (shape: TableShape, row: (string | null)[], lsn: bigint) =>
      format.format(
        shape,
        events(shape, { tag: 'insert', relationOid: 1, new: row }, { seqs, lsn }),
        context,
      )[0]!.value as Record<string, Record<string, unknown>>;
    const first = inTx(pkOrder, ['3', 'z', 'third', null], 822_632_696n);
    const second = inTx(keyless, ['3', 'three'], 822_633_168n);
    const third = inTx(pkOrder, ['4', 'w', null, null], 822_633_300n);
    // As Debezium wrote them for the same transaction of the captured run.
    expect(first.source).toMatchObject({
      ts_ms: 1_796_198_443_984n,
      ts_us: 1_796_198_443_984_591n,
      ts_ns: 1_796_198_443_984_591_000n,
      sequence: '["822632696","822632696"]',
      snapshot: 'false',
      txId: 731n,
      lsn: 822_632_696n,
      xmin: null,
    });
    expect([first, second, third].map((v) => v.transaction)).toEqual([
      { id: '731:822632696', total_order: 1n, data_collection_order: 1n },
      { id: '731:822633168', total_order: 2n, data_collection_order: 1n },
      { id: '731:822633300', total_order: 3n, data_collection_order: 2n },
    ]);
    // A new transaction counts from 1 again.
    const next = format.format(
      pkOrder,
      events(pkOrder, { tag: 'insert', relationOid: 1, new: ['5', 'q', null, null] }, { txId: 732 }),
      context,
    )[0]!.value as Record<string, Record<string, unknown>>;
    expect(next.transaction).toMatchObject({ total_order: 1n });
  });

  it("marks snapshot rows as Debezium's snapshot does, and never gives them a transaction block", () => {
    const place = {
      firstTable: false,
      lastTable: false,
      firstInTable: false,
      lastInTable: false,
      lastOfSnapshot: false,
    };
    expect(snapshotMarker({ ...place, firstTable: true, firstInTable: true })).toBe('first');
    expect(snapshotMarker({ ...place, firstInTable: true })).toBe('first_in_data_collection');
    expect(snapshotMarker(place)).toBe('true');
    expect(snapshotMarker({ ...place, lastInTable: true })).toBe('last_in_data_collection');
    // A one-row table in the middle: its last row wins over its first.
    expect(snapshotMarker({ ...place, firstInTable: true, lastInTable: true })).toBe(
      'last_in_data_collection',
    );
    // A one-row first table of several: first.
    expect(snapshotMarker({ ...place, firstTable: true, firstInTable: true, lastInTable: true })).toBe(
      'first',
    );
    expect(snapshotMarker({ ...place, lastTable: true, lastInTable: true })).toBe('last');
    // The last table was empty: the last row read is still last.
    expect(snapshotMarker({ ...place, lastInTable: true, lastOfSnapshot: true })).toBe('last');
    const format = debeziumEnvelope();
    const [row] = format.format(
      pkOrder,
      events(
        pkOrder,
        { tag: 'read', row: ['1', 'x', 'first', null], last: false },
        { txId: null, lsn: null },
      ),
      { snapshot: 'first_in_data_collection', snapshotTxId: 52_716n, commitTimeUs: 1_000_001n },
    );
    const v = row!.value as Record<string, Record<string, unknown> | null>;
    expect(v.source).toMatchObject({
      snapshot: 'first_in_data_collection',
      txId: 52_716n,
      lsn: 0x200n,
      sequence: '[null,"512"]',
    });
    expect(v.transaction).toBeNull();
  });
});
