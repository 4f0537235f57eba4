import { describe, expect, it } from 'vitest';
import type { ConflictPolicy, SinkEvent } from '@cdc/core';
import { event } from '../../test/conformance.ts';
import type { ConflictSettings } from '../field-conflicts.ts';
import { planBatch, resolveRelations } from './batch-plan.ts';
import { propertyTimeMs } from './conflicts.ts';
import type { HeldPage } from './held-page.ts';
import { replayOnPage, type KeyWrite } from './replay.ts';
import { afterWrite, BOT, editedBy, patientMapping } from './test-pages.ts';

// Conflict detection without a server: a page our bot wrote (its sync hashes), then edited by a
// person; what each policy makes of the next change. notion-conformance.int.test.ts runs the
// shared policies against the emulator.

const mapping = patientMapping();

function replay(events: SinkEvent[], page: HeldPage | undefined, conflicts: ConflictSettings): KeyWrite {
  const [plan] = planBatch(events, () => mapping).keys;
  return replayOnPage(
    resolveRelations(plan!, () => undefined, new Map()),
    page ? [page] : [],
    { conflicts, botId: BOT },
  );
}

const ada = { name: 'Ada', email: 'ada@example.org', visits: 1 };
const editedAt = Date.UTC(2026, 11, 4, 10, 0, 0);

/** A page the sink wrote for Ada, whose email a person then changed. */
function conflicted(): HeldPage {
  // An early version: the changes of the tests come after it, whenever they are made.
  const insert = event('c', 1, ada, { version: { commitLsn: 1n, seq: 0n } });
  const write = replay([insert], undefined, { policy: 'source_wins' }).write!;
  return editedBy(
    afterWrite(undefined, write),
    { Email: { type: 'email', email: 'ada@clinic.example' } },
    editedAt,
  );
}

const policy = (name: ConflictPolicy, timestampField?: string): ConflictSettings => ({
  policy: name,
  timestampField,
});

describe('conflicts', () => {
  it('sees none when our bot edited the page last, even if its values differ from our hashes', () => {
    const page = { ...conflicted(), lastEditedBy: BOT };
    expect(replay([event('u', 1, { ...ada, visits: 2 })], page, policy('manual')).conflict).toBeUndefined();
  });

  it('names the fields a person changed, with both sides, and writes ours for source_wins', () => {
    const result = replay([event('u', 1, { ...ada, visits: 2 })], conflicted(), policy('source_wins'));
    expect(result.conflict).toMatchObject({
      policy: 'source_wins',
      resolution: 'source',
      changedFields: ['email'],
      source: { email: 'ada@example.org', visits: 2 },
    });
    expect(result.conflict?.target).toEqual({
      name: 'Ada',
      email: 'ada@clinic.example',
      notes: null,
      visits: 1,
    });
    expect(result.write?.properties.Email).toEqual({ email: 'ada@example.org' });
  });

  it('merge keeps their value of a field the source has not changed since, and writes ours where it has', () => {
    const kept = replay([event('u', 1, { ...ada, visits: 2 })], conflicted(), policy('merge'));
    expect(kept.conflict?.resolution).toBe('merged');
    expect(kept.write?.properties.Email).toBeUndefined();
    expect(kept.write?.properties.Visits).toEqual({ number: 2 });
    // The page keeps their email and the sync state agrees: the next write sees no conflict.
    const after = afterWrite(conflicted(), kept.write!);
    expect(
      replay([event('u', 1, { ...ada, visits: 3 })], { ...after, lastEditedBy: 'someone' }, policy('merge'))
        .conflict,
    ).toBeUndefined();
    const both = replay([event('u', 1, { ...ada, email: 'new@example.org' })], conflicted(), policy('merge'));
    expect(both.write?.properties.Email).toEqual({ email: 'new@example.org' });
  });

  it('target_wins and manual leave the page and skip the change', () => {
    for (const name of ['target_wins', 'manual'] as const) {
      const result = replay([event('u', 1, { ...ada, visits: 2 })], conflicted(), policy(name));
      expect(result).toMatchObject({ skipped: true, conflict: { policy: name } });
      expect(result.write).toBeUndefined();
    }
  });

  it("newest_wins compares the commit time with the page's last_edited_time, or a date property", () => {
    const older = replay(
      [event('u', 1, ada, { commitTimeMs: editedAt - 1000 })],
      conflicted(),
      policy('newest_wins', 'last_edited_time'),
    );
    const newer = replay(
      [event('u', 1, ada, { commitTimeMs: editedAt + 1000 })],
      conflicted(),
      policy('newest_wins', 'last_edited_time'),
    );
    expect([older.conflict?.resolution, older.skipped]).toEqual(['target', true]);
    expect([newer.conflict?.resolution, newer.write !== undefined]).toEqual(['source', true]);
    const page = editedBy(conflicted(), {
      Reviewed: { type: 'date', date: { start: '2026-12-04T12:00:00', time_zone: 'Europe/Paris' } },
    });
    const byProperty = replay(
      [event('u', 1, ada, { commitTimeMs: editedAt + 1000 })],
      page,
      policy('newest_wins', 'Reviewed'),
    );
    expect(byProperty.conflict?.resolution).toBe('target'); // 11:00 UTC is after the commit
  });

  it('counts a page a person trashed as changed in every field; merge takes it out of the trash with ours', () => {
    const page = { ...conflicted(), inTrash: true };
    const result = replay([event('u', 1, { ...ada, visits: 2 })], page, policy('merge'));
    expect(result.conflict).toMatchObject({
      changedFields: ['email', 'name', 'notes', 'visits'],
      target: null,
    });
    expect(result.write).toMatchObject({
      inTrash: false,
      properties: { Email: { email: 'ada@example.org' } },
    });
  });
});

describe('propertyTimeMs', () => {
  it('reads a time from a date, a number, an edit time and a formula', () => {
    expect(propertyTimeMs({ type: 'date', date: { start: '2026-12-04T10:00:00Z' } })).toBe(editedAt);
    expect(propertyTimeMs({ type: 'number', number: editedAt })).toBe(editedAt);
    expect(propertyTimeMs({ type: 'last_edited_time', last_edited_time: '2026-12-04T10:00:00.000Z' })).toBe(
      editedAt,
    );
    expect(
      propertyTimeMs({ type: 'formula', formula: { type: 'date', date: { start: '2026-12-04' } } }),
    ).toBe(Date.UTC(2026, 11, 4));
    expect(propertyTimeMs({ type: 'checkbox', checkbox: true })).toBeUndefined();
  });
});
