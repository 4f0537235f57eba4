import { describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../events/change-event.ts';
import { RECORD_HEADERS, keyJson, recordHeaders } from './record-headers.ts';

const version = { commitLsn: 0x1a2b3c0n, seq: 3n };
const trace = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };

describe('recordHeaders', () => {
  it('writes the version and the trace context on every record', () => {
    const record: ChangeRecord = { key: { id: 1 }, value: null, version };
    expect(recordHeaders(record, trace)).toEqual({
      'cdc.commit_lsn': String(0x1a2b3c0n),
      'cdc.seq': '3',
      ...trace,
    });
  });

  it('names the other key on both halves of a key change', () => {
    const deleted: ChangeRecord = {
      key: { id: 2n },
      value: null,
      version,
      keyChange: { newKey: { id: 20n } },
    };
    expect(recordHeaders(deleted, {})).toMatchObject({ 'cdc.newkey': '{"id":20}' });
    expect(recordHeaders(deleted, {})).not.toHaveProperty('cdc.oldkey');
    const created: ChangeRecord = {
      key: { id: 20n },
      value: null,
      version,
      keyChange: { oldKey: { id: 2n } },
    };
    expect(recordHeaders(created, {})).toMatchObject({ 'cdc.oldkey': '{"id":2}' });
    expect(recordHeaders(created, {})).not.toHaveProperty('cdc.newkey');
  });

  it('takes the header names it is given', () => {
    const names = { ...RECORD_HEADERS, newKey: '__debezium.newkey' };
    const deleted: ChangeRecord = { key: { id: 2 }, value: null, version, keyChange: { newKey: { id: 20 } } };
    expect(recordHeaders(deleted, {}, names)).toMatchObject({ '__debezium.newkey': '{"id":20}' });
  });
});

describe('keyJson', () => {
  it('writes every value exactly: longs with every digit, bytes as base64, decimals as text', () => {
    expect(
      keyJson({
        big: 9_007_199_254_740_993n,
        n: 7,
        price: '12.50',
        raw: Buffer.from([0xde, 0xad]),
        tags: ['a', null],
        name: 'Ada "the first"',
        gone: null,
        ok: true,
      }),
    ).toBe(
      '{"big":9007199254740993,"n":7,"price":"12.50","raw":"3q0=","tags":["a",null],"name":"Ada \\"the first\\"","gone":null,"ok":true}',
    );
    // A microsecond timestamp is a long: past 2^53, and still exact.
    expect(keyJson({ at: 1_704_164_645_678_901n })).toBe('{"at":1704164645678901}');
  });

  it('writes the floats JSON has no number for as strings', () => {
    expect(keyJson({ a: Number.NaN, b: Number.POSITIVE_INFINITY, c: Number.NEGATIVE_INFINITY })).toBe(
      '{"a":"NaN","b":"Infinity","c":"-Infinity"}',
    );
  });
});
