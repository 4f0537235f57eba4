import { describe, expect, it } from 'vitest';
import type { SinkRow } from './sink.ts';
import { canonicalValue, verifyRows, type VerifiableSink } from './verify.ts';

async function* rows(list: Array<{ key: SinkRow; row: SinkRow }>) {
  yield* list;
}

const sinkOf = (
  stored: Array<{ key: SinkRow; row: SinkRow }>,
  project = (row: SinkRow) => row,
): VerifiableSink => ({
  scan: () => rows(stored),
  project,
});

describe('verify', () => {
  it('reads values the same whichever way a target stores them', () => {
    expect(canonicalValue(42n)).toBe(canonicalValue('42'));
    expect(canonicalValue(42)).toBe('42');
    expect(canonicalValue({ toBigInt: () => 9007199254740993n })).toBe('9007199254740993');
    expect(canonicalValue(null)).toBeUndefined();
    expect(canonicalValue(Buffer.from('hi'))).toBe('aGk=');
  });

  it('finds no difference when the sink holds the table', async () => {
    const table = [
      { key: { id: 1n }, row: { id: 1n, name: 'a', note: null } },
      { key: { id: 2n }, row: { id: 2n, name: 'b', note: 'x' } },
    ];
    const stored = [
      { key: { id: '2' }, row: { id: '2', name: 'b', note: 'x' } },
      { key: { id: '1' }, row: { id: '1', name: 'a' } },
    ];
    const report = await verifyRows(rows(table), sinkOf(stored), { schema: 'public', name: 't' });
    expect(report).toMatchObject({ sourceRows: 2, sinkRows: 2, differences: 0 });
  });

  it('lists missing, extra and different rows with the fields that differ', async () => {
    const table = [
      { key: { id: 1n }, row: { id: 1n, name: 'a', secret: 's' } },
      { key: { id: 2n }, row: { id: 2n, name: 'b', secret: 's' } },
    ];
    const stored = [
      { key: { id: 2n }, row: { id: 2n, name: 'B' } },
      { key: { id: 3n }, row: { id: 3n, name: 'c' } },
    ];
    const withoutSecret = ({ secret: _secret, ...row }: SinkRow) => row;
    const report = await verifyRows(rows(table), sinkOf(stored, withoutSecret), {
      schema: 'public',
      name: 't',
    });
    expect(report).toEqual({
      sourceRows: 2,
      sinkRows: 2,
      missing: ['id=1'],
      extra: ['id=3'],
      different: [{ key: 'id=2', fields: ['name'] }],
      differences: 3,
    });
  });
});
