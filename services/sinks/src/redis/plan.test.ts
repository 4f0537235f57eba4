import { describe, expect, it } from 'vitest';
import { versionText, type ConflictPolicy, type SinkEvent } from '@cdc/core';
import { event } from '../../test/conformance.ts';
import { parseBookkeeping } from './bookkeeping.ts';
import { hashFormat, jsonFormat, type RecordFormat } from './format.ts';
import { plan, type Decision, type PlanSettings } from './plan.ts';
import { changedFields, digest, hashFingerprint, type RecordState, type TargetField } from './record.ts';

const NONE: RecordState = {
  version: null,
  deleted: false,
  digests: new Map(),
  target: null,
  fingerprint: '',
};

function settings(overrides: Partial<PlanSettings> = {}): PlanSettings {
  return {
    format: hashFormat,
    policy: 'source_wins',
    timestampField: undefined,
    ttlSeconds: undefined,
    deleteRetentionMs: 1000,
    ...overrides,
  };
}

const decide = (e: SinkEvent, state: RecordState, s = settings()) =>
  plan(e, versionText(e.version), state, s);

function written(decision: Decision): Extract<Decision, { kind: 'write' }> {
  if (decision.kind !== 'write') throw new Error(`expected a write, got ${decision.kind}`);
  return decision;
}

/** The state after a direct edit of some fields (what a read would find). */
function edited(
  state: RecordState,
  changes: Record<string, string>,
  format: RecordFormat = hashFormat,
): RecordState {
  const target = new Map(state.target);
  for (const [name, value] of Object.entries(changes)) {
    target.set(name, format.field(name, value) as TargetField);
  }
  return { ...state, target, fingerprint: hashFingerprint(target) };
}

const fields = (state: RecordState) =>
  Object.fromEntries([...(state.target ?? [])].map(([k, f]) => [k, f.value]));

describe('deciding a write', () => {
  it('is stale for the stored version or older, and chains the events of one batch', () => {
    const first = written(decide(event('c', 1, { name: 'a' }), NONE));
    expect(first.conflict).toBeUndefined();
    const second = written(decide(event('u', 1, { name: 'b' }), first.next));
    expect(fields(second.next)).toMatchObject({ id: '1', name: 'b' });
    expect(
      decide(event('u', 1, { name: 'c' }, { version: { commitLsn: 1n, seq: 0n } }), second.next),
    ).toEqual({
      kind: 'stale',
    });
    // The script is told the record as the decision saw it.
    expect(second.args.slice(1, 4)).toEqual([
      first.next.version,
      first.next.fingerprint,
      second.next.version,
    ]);
  });

  it('removes null fields and leaves unchanged ones, in both formats', () => {
    for (const format of [hashFormat, jsonFormat]) {
      const s = settings({ format });
      const insert = written(decide(event('c', 1, { name: 'Ada', notes: 'long', visits: 1 }), NONE, s));
      const update = written(
        decide(
          event('u', 1, { name: null, notes: null, visits: 2 }, { unchanged: ['notes'] }),
          insert.next,
          s,
        ),
      );
      const row = fields(update.next);
      expect(row.notes).toBe('long');
      expect(row.visits).toBe(format === hashFormat ? '2' : 2);
      if (format === hashFormat) expect(row).not.toHaveProperty('name');
      else expect(row.name).toBeNull();
    }
  });

  it('sets only the fields whose bytes change, against a record as read from Redis too', () => {
    const insert = written(decide(event('c', 1, { name: 'Ada', email: 'ada@x', visits: 1 }), NONE));
    // The hash as HGETALL returns it (Buffers), with our bookkeeping.
    const read = hashFormat.found(
      [...(insert.next.target ?? [])].flatMap(([name, field]) => [Buffer.from(name), Buffer.from(field.raw)]),
    );
    const state: RecordState = { ...insert.next, ...read };
    const update = written(decide(event('u', 1, { name: 'Ada', email: 'ada@x', visits: 2 }), state));
    const [nset] = update.args.slice(7, 8);
    expect(nset).toBe('1');
    expect(update.args.slice(9, 11)).toEqual(['visits', '2']);
    expect(fields(update.next)).toMatchObject({ id: '1', name: 'Ada', email: 'ada@x', visits: '2' });
    // The bookkeeping keeps a digest of every field, taken of the same bytes.
    expect(update.next.digests).toEqual(
      new Map([...(update.next.target ?? [])].map(([name, field]) => [name, digest(field.raw)])),
    );
    expect(update.next.fingerprint).toBe(
      hashFingerprint(new Map([...(update.next.target ?? [])].map(([n, f]) => [n, { ...f }]))),
    );
  });

  it('sees no conflict on a record it never wrote, nor on a row whose TTL expired', () => {
    const foreign = edited(NONE, { name: 'someone else' });
    expect(written(decide(event('c', 1, { name: 'a' }), foreign)).conflict).toBeUndefined();
    const insert = written(decide(event('c', 1, { name: 'a' }), NONE, settings({ ttlSeconds: 10 })));
    const expired: RecordState = { ...insert.next, target: null, fingerprint: '' };
    const after = decide(event('u', 1, { name: 'b' }), expired, settings({ ttlSeconds: 10 }));
    expect(written(after).conflict).toBeUndefined();
    // Without a TTL, a vanished row was deleted by someone: a conflict.
    expect(written(decide(event('u', 1, { name: 'b' }), expired)).conflict).toMatchObject({ target: null });
  });

  describe('conflicts', () => {
    const base = written(decide(event('c', 1, { name: 'Ada', email: 'a@x', visits: 1 }), NONE)).next;
    const theirs = edited(base, { email: 'a@clinic' });
    const update = event('u', 1, { name: 'Ada', email: 'a@x', visits: 2 });
    const under = (policy: ConflictPolicy, extra: Partial<PlanSettings> = {}) =>
      decide(update, theirs, settings({ policy, ...extra }));

    it('finds the fields edited directly', () => {
      expect(changedFields(theirs)).toEqual(['email']);
      expect(changedFields(base)).toEqual([]);
    });

    it('applies each policy and reports both sides', () => {
      const source = written(under('source_wins'));
      expect(source.conflict).toEqual({
        policy: 'source_wins',
        resolution: 'source',
        target: { id: '1', name: 'Ada', email: 'a@clinic', visits: '1' },
        source: { id: 1n, name: 'Ada', email: 'a@x', notes: null, visits: 2 },
        changedFields: ['email'],
      });
      expect(fields(source.next).email).toBe('a@x');
      expect(under('target_wins')).toMatchObject({ kind: 'skipped', conflict: { resolution: 'target' } });
      expect(under('manual')).toMatchObject({ kind: 'skipped', conflict: { resolution: 'held' } });
    });

    it('merge keeps their edit until the source changes that field', () => {
      const merged = written(under('merge'));
      expect(merged.conflict?.resolution).toBe('merged');
      expect(fields(merged.next)).toMatchObject({ email: 'a@clinic', visits: '2' });
      const again = written(
        decide(
          event('u', 1, { name: 'Ada', email: 'a@x', visits: 3 }),
          merged.next,
          settings({ policy: 'merge' }),
        ),
      );
      expect(fields(again.next).email).toBe('a@clinic');
      const changed = written(
        decide(
          event('u', 1, { name: 'Ada', email: 'new@x', visits: 3 }),
          again.next,
          settings({ policy: 'merge' }),
        ),
      );
      expect(fields(changed.next).email).toBe('new@x');
    });

    it('newest_wins compares the commit time with the target field, in ms or ISO text', () => {
      const at = Date.parse('2026-01-01T00:00:00Z');
      const stamped = (value: string) => edited(theirs, { edited_at: value });
      const s = settings({ policy: 'newest_wins', timestampField: 'edited_at' });
      const older = event('u', 1, { name: 'x' }, { commitTimeMs: at - 1 });
      const newer = event('u', 1, { name: 'x' }, { commitTimeMs: at + 1 });
      for (const value of [String(at), '2026-01-01T00:00:00Z']) {
        expect(decide(older, stamped(value), s)).toMatchObject({
          kind: 'skipped',
          conflict: { resolution: 'target' },
        });
        expect(decide(newer, stamped(value), s)).toMatchObject({
          kind: 'write',
          conflict: { resolution: 'source' },
        });
      }
      // An edit that does not say when it happened does not win.
      expect(decide(older, theirs, s)).toMatchObject({ kind: 'write', conflict: { resolution: 'source' } });
    });

    it('a delete over a direct edit follows the policy too', () => {
      const remove = event('d', 1);
      expect(decide(remove, theirs, settings({ policy: 'target_wins' }))).toMatchObject({ kind: 'skipped' });
      const deleted = written(decide(remove, theirs, settings({ policy: 'merge' })));
      expect(deleted.conflict).toMatchObject({ resolution: 'source', source: null });
      expect(deleted.next).toMatchObject({ deleted: true, target: null });
    });
  });

  it('JSON: a conflict resolved for the source keeps fields only the target has', () => {
    const s = settings({ format: jsonFormat });
    const insert = written(decide(event('c', 1, { name: 'Ada' }), NONE, s));
    const theirs = edited(insert.next, { tag: 'vip' }, jsonFormat);
    const update = written(decide(event('u', 1, { name: 'Ada L.' }), theirs, s));
    expect(update.conflict?.changedFields).toEqual(['tag']);
    expect(JSON.parse(update.args[9] as string)).toMatchObject({ name: 'Ada L.', tag: 'vip' });
  });
});

describe('bookkeeping', () => {
  it('reads what it writes and refuses a hash without a version', () => {
    const insert = written(decide(event('c', 1, { name: 'a' }), NONE));
    const entries = insert.args.slice(-6) as string[];
    const hash: Record<string, string> = {};
    for (let i = 0; i < entries.length; i += 2) hash[entries[i] as string] = entries[i + 1] as string;
    expect(parseBookkeeping(hash)).toMatchObject({ version: insert.next.version, deleted: false });
    expect(parseBookkeeping({})).toEqual({ version: null, deleted: false, digests: new Map() });
    expect(parseBookkeeping({ 'f:name': 'x' })).toMatch(/no valid version/);
  });
});
