import { describe, expect, it } from 'vitest';
import type { ConflictPolicy } from '@cdc/core';
import {
  changedFieldsOf,
  decideConflict,
  fieldHashConflict,
  fieldHashes,
  theirFields,
  timestampMs,
  type FoundConflict,
} from './field-conflicts.ts';
import { valueHash } from './value-hash.ts';

// The field-hash conflict decision the FHIR, Calendar and Notion sinks share; how each reads
// its target's values and edit time stays in its conflicts.ts.

const written = { name: 'Ada', email: 'ada@example.org', visits: 1 };
const stored = fieldHashes(written);
const row = { id: 1n, name: 'Ada', email: 'ada@example.org', visits: 2 };

function conflict(
  current: Record<string, unknown>,
  ours: Record<string, unknown>,
  policy: ConflictPolicy,
  options: { isDelete?: boolean; commitTimeMs?: number; editedAtMs?: number } = {},
) {
  return fieldHashConflict({
    stored,
    current,
    ours,
    change: { isDelete: options.isDelete ?? false, commitTimeMs: options.commitTimeMs ?? 1000, row },
    settings: { policy },
    editedAtMs: () => options.editedAtMs,
  });
}

describe('fieldHashes and changedFieldsOf', () => {
  it('hash a missing value as null, so a field read back as absent matches a null written', () => {
    expect(fieldHashes({ a: undefined, b: null })).toEqual({ a: valueHash(null), b: valueHash(null) });
    expect(changedFieldsOf(fieldHashes({ a: null }), {})).toEqual([]);
  });

  it('name the stored fields whose value changed, sorted, ignoring fields not stored', () => {
    expect(changedFieldsOf(stored, { ...written, visits: 3, name: 'Eve', extra: 1 })).toEqual([
      'name',
      'visits',
    ]);
  });
});

describe('fieldHashConflict', () => {
  it('tells no conflict when the target holds what we wrote', () => {
    expect(conflict(written, row, 'source_wins')).toBeUndefined();
  });

  it('records both sides and the changed fields; source_wins writes and keeps nothing of theirs', () => {
    const current = { ...written, email: 'ada@clinic.example' };
    expect(conflict(current, row, 'source_wins')).toEqual({
      conflict: {
        policy: 'source_wins',
        resolution: 'source',
        target: current,
        source: row,
        changedFields: ['email'],
      },
      write: true,
      keepTheirs: [],
    });
  });

  it('leaves the target for target_wins and manual', () => {
    const current = { ...written, email: 'x' };
    expect(conflict(current, row, 'target_wins')).toMatchObject({
      write: false,
      conflict: { resolution: 'target' },
    });
    expect(conflict(current, row, 'manual')).toMatchObject({
      write: false,
      conflict: { resolution: 'held' },
    });
  });

  it('merge keeps theirs where the source did not change the field since our write, ours where it did', () => {
    const current = { ...written, email: 'ada@clinic.example', visits: 5 };
    const found = conflict(current, { ...written, visits: 2 }, 'merge');
    expect(found).toMatchObject({ write: true, keepTheirs: ['email'], conflict: { resolution: 'merged' } });
    expect(found?.conflict.changedFields).toEqual(['email', 'visits']);
  });

  it('merge of a delete writes ours: no fields are left to merge', () => {
    const found = conflict({ ...written, email: 'x' }, {}, 'merge', { isDelete: true });
    expect(found).toMatchObject({ write: true, keepTheirs: [], conflict: { resolution: 'source' } });
  });

  it('newest_wins compares the edit time with the commit time, ours winning a tie or an unknown time', () => {
    const current = { ...written, email: 'x' };
    const at = (editedAtMs: number | undefined) =>
      conflict(current, row, 'newest_wins', { commitTimeMs: 1000, editedAtMs })?.conflict.resolution;
    expect(at(1001)).toBe('target');
    expect(at(1000)).toBe('source');
    expect(at(undefined)).toBe('source');
  });
});

describe('decideConflict', () => {
  const found = (asked: string[]): FoundConflict => ({
    changedFields: ['a'],
    target: null,
    isDelete: false,
    commitTimeMs: 1000,
    source: row,
    editedAtMs: () => {
      asked.push('editedAt');
      return 2000;
    },
    keepTheirs: () => {
      asked.push('keepTheirs');
      return ['a'];
    },
  });

  it('asks for the edit time under newest_wins only, and for the fields to keep when merging only', () => {
    const asked: string[] = [];
    expect(decideConflict({ policy: 'source_wins' }, found(asked)).keepTheirs).toEqual([]);
    expect(asked).toEqual([]);
    expect(decideConflict({ policy: 'newest_wins' }, found(asked)).write).toBe(false);
    expect(asked).toEqual(['editedAt']);
    expect(decideConflict({ policy: 'merge' }, found(asked)).keepTheirs).toEqual(['a']);
    expect(asked).toEqual(['editedAt', 'keepTheirs']);
  });
});

describe('theirFields', () => {
  it('keeps the changed fields whose new value of ours is still the one we wrote', () => {
    expect(theirFields(['email', 'visits'], stored, { email: 'ada@example.org', visits: 9 })).toEqual([
      'email',
    ]);
    expect(theirFields(['email'], stored, {})).toEqual([]);
  });
});

describe('timestampMs', () => {
  it('reads ms, a long and date text; anything else has no time', () => {
    expect(timestampMs(5)).toBe(5);
    expect(timestampMs(7n)).toBe(7);
    expect(timestampMs('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
    expect(timestampMs('not a date')).toBeUndefined();
    expect(timestampMs(new Date(0))).toBeUndefined();
    expect(timestampMs(null)).toBeUndefined();
  });
});
