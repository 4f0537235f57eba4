import { describe, expect, it } from 'vitest';
import type { SinkEvent } from '@cdc/core';
import type { DocumentId } from './document-id.ts';
import { planDocument, type DocumentChange, type PlanSettings } from './plan.ts';
import { ABSENT, storedState } from './stored-document.ts';
import { valueHash } from '../value-hash.ts';

const id: DocumentId = { value: 1n, text: 'i1' };
const settings: PlanSettings = { policy: 'source_wins', deleteRetentionMs: 1000, now: 0 };

function upsert(
  index: number,
  lsn: bigint,
  fields: Record<string, unknown>,
  unchanged: string[] = [],
): DocumentChange {
  return { kind: 'upsert', index, event: event(lsn), row: { fields: { id: 1n, ...fields }, unchanged } };
}

function remove(index: number, lsn: bigint): DocumentChange {
  return { kind: 'delete', index, event: event(lsn) };
}

function event(lsn: bigint): SinkEvent {
  return { version: { commitLsn: lsn, seq: 0n }, commitTimeMs: 1000 } as SinkEvent;
}

const written = (doc: Record<string, unknown>, lsn: bigint) =>
  storedState({
    _id: 1n,
    ...doc,
    _cdc: { lsn, seq: 0n, h: Object.fromEntries(Object.entries(doc).map(([f, v]) => [f, valueHash(v)])) },
  });

describe('planDocument', () => {
  it('folds in-order changes into one guarded write of the newest version', () => {
    const plan = planDocument(
      id,
      ABSENT,
      [upsert(0, 10n, { name: 'a' }), upsert(1, 20n, { visits: 2 })],
      settings,
      null,
    );
    expect([...plan.outcomes.values()]).toEqual([{ kind: 'written' }, { kind: 'written' }]);
    expect(plan.write?.version).toEqual({ commitLsn: 20n, seq: 0n });
    expect(plan.write?.indexes).toEqual([0, 1]);
    // Absent when read: a plain insert, with the guarded upsert to fall back on.
    expect(plan.write?.model).toEqual({
      insertOne: {
        document: {
          _id: 1n,
          id: 1n,
          name: 'a',
          visits: 2,
          _cdc: { lsn: 20n, seq: 0n, h: { id: valueHash(1n), name: valueHash('a'), visits: valueHash(2) } },
        },
      },
    });
    const fallback = plan.write?.fallback as { updateMany: { filter: object; update: { $set: object } } };
    expect(fallback.updateMany.update.$set).toMatchObject({ id: 1n, name: 'a', visits: 2, '_cdc.lsn': 20n });
    expect(fallback.updateMany.filter).toMatchObject({ _id: 1n, $or: expect.any(Array) as unknown });
  });

  it('calls stale what the target or an earlier event of the batch already holds', () => {
    const plan = planDocument(
      id,
      written({ id: 1n, name: 'x' }, 15n),
      [upsert(0, 10n, { name: 'old' }), upsert(1, 30n, { name: 'new' }), upsert(2, 20n, { name: 'late' })],
      settings,
      null,
    );
    expect(Object.fromEntries(plan.outcomes)).toEqual({
      0: { kind: 'stale' },
      1: { kind: 'written' },
      2: { kind: 'stale' },
    });
    expect(plan.write?.indexes).toEqual([1]);
  });

  it('writes nothing when every change is stale', () => {
    const plan = planDocument(id, written({ id: 1n }, 50n), [upsert(0, 10n, {})], settings, null);
    expect(plan.write).toBeUndefined();
  });

  it('turns a delete into a marker that drops the data fields', () => {
    const plan = planDocument(id, written({ id: 1n, name: 'a' }, 5n), [remove(0, 10n)], settings, null);
    const update = (plan.write?.model as { updateMany: { update: Record<string, unknown> } }).updateMany
      .update;
    expect(update).toEqual({
      $set: { _cdc: { lsn: 10n, seq: 0n, deleted: true, expire_at: new Date(1000) } },
      $unset: { id: '', name: '' },
    });
  });

  it('rewrites the whole document when a row comes back after its delete in the same batch', () => {
    const plan = planDocument(
      id,
      written({ id: 1n, name: 'a', notes: 'n' }, 5n),
      [remove(0, 10n), upsert(1, 20n, { name: 'b' })],
      settings,
      null,
    );
    const update = (plan.write?.model as { updateMany: { update: Record<string, unknown> } }).updateMany
      .update;
    expect(update).toEqual({
      $set: {
        id: 1n,
        name: 'b',
        _cdc: { lsn: 20n, seq: 0n, h: { id: valueHash(1n), name: valueHash('b') } },
      },
      $unset: { notes: '' },
    });
  });

  it('reports a direct edit with both sides; merge keeps it unless the source changed that field too', () => {
    const found = { ...written({ id: 1n, email: 'a@x', visits: 1 }, 5n) };
    const edited = { ...found, fields: { ...found.fields, email: 'a@clinic' } };
    const change = upsert(0, 10n, { email: 'a@x', visits: 2 });
    const merge = planDocument(id, edited, [change], { ...settings, policy: 'merge' }, null);
    expect(merge.outcomes.get(0)).toEqual({
      kind: 'written',
      conflict: {
        policy: 'merge',
        resolution: 'merged',
        target: { id: 1n, email: 'a@clinic', visits: 1 },
        source: { id: 1n, email: 'a@x', visits: 2 },
        changedFields: ['email'],
      },
    });
    const set = (merge.write?.model as { updateMany: { update: { $set: object } } }).updateMany.update.$set;
    expect(set).not.toHaveProperty('email');
    expect(set).toMatchObject({ visits: 2 });
    const held = planDocument(id, edited, [change], { ...settings, policy: 'manual' }, null);
    expect(held.outcomes.get(0)).toMatchObject({ kind: 'skipped', conflict: { resolution: 'held' } });
    expect(held.write).toBeUndefined();
  });

  it('newest_wins compares the commit time with the edit time the target holds', () => {
    const found = written({ id: 1n, email: 'a@x' }, 5n);
    const edited = { ...found, fields: { ...found.fields, email: 'b@x', edited_at: new Date(2000) } };
    const newest = { ...settings, policy: 'newest_wins' as const, timestampField: 'edited_at' };
    expect(
      planDocument(id, edited, [upsert(0, 10n, { email: 'c@x' })], newest, null).outcomes.get(0),
    ).toMatchObject({
      kind: 'skipped',
      conflict: { resolution: 'target' },
    });
  });

  it('leaves unchanged TOAST fields out of the write and keeps their hashes', () => {
    const plan = planDocument(
      id,
      written({ id: 1n, notes: 'long' }, 5n),
      [upsert(0, 10n, { name: 'b' }, ['notes'])],
      settings,
      null,
    );
    const set = (plan.write?.model as { updateMany: { update: { $set: object } } }).updateMany.update.$set;
    expect(Object.keys(set)).not.toContain('notes');
    expect(Object.keys(set)).not.toContain('_cdc.h.notes');
  });

  it('keeps a truncated row truncated against older replays', () => {
    const floor = { commitLsn: 100n, seq: 0n };
    expect(planDocument(id, ABSENT, [upsert(0, 50n, {})], settings, floor).outcomes.get(0)).toEqual({
      kind: 'stale',
    });
    expect(planDocument(id, ABSENT, [upsert(0, 150n, {})], settings, floor).outcomes.get(0)).toEqual({
      kind: 'written',
    });
  });
});
