import { describe, expect, it } from 'vitest';
import type { SinkEvent } from '@cdc/core';
import { event } from '../../test/conformance.ts';
import {
  planBatch,
  resolveRelations,
  TRUNCATE_REASON,
  type KeyPlan,
  type ResolvedChange,
} from './batch-plan.ts';
import type { HeldPage } from './held-page.ts';
import { replayOnPage, type KeyWrite } from './replay.ts';
import { readSyncState, syncText } from './sync-state.ts';
import { afterWrite, BOT, PERSON, patientMapping } from './test-pages.ts';

// How a batch's changes to one key come to one page write, given the page Notion holds: pure, no
// server. notion-conformance.int.test.ts shows the same against the emulator.

const mapping = patientMapping();
const settings = { conflicts: { policy: 'source_wins' as const }, botId: BOT };

function plans(events: SinkEvent[]): KeyPlan<ResolvedChange>[] {
  const { keys } = planBatch(events, (table) => (table === 'public.patients' ? mapping : undefined));
  return keys.map((plan) => resolveRelations(plan, () => undefined, new Map()));
}

function replay(events: SinkEvent[], page?: HeldPage): KeyWrite {
  const [plan] = plans(events);
  return replayOnPage(plan!, page ? [page] : [], settings);
}

/** The page Notion holds after the sink wrote these events to it (or to nothing). */
function written(events: SinkEvent[], page?: HeldPage): HeldPage {
  const result = replay(events, page);
  if (!result.write) throw new Error('nothing written');
  return afterWrite(page, result.write);
}

const syncOf = (page: HeldPage) => readSyncState(page.properties['CDC sync']);

describe('planBatch', () => {
  it('fails what cannot map or is a truncate, names an unmapped table, and makes an older change of a key stale', () => {
    const older = event('u', 1, { name: 'old' }); // event() numbers versions in the order of its calls
    const newer = event('u', 1, { name: 'new' });
    const { outcomes, keys } = planBatch(
      [
        older,
        newer,
        { ...event('c', 2), key: {} },
        { ...event('c', 3), op: 't', key: {} },
        { ...event('c', 4), table: { schema: 'public', name: 'doctors' } },
      ],
      (table) => (table === 'public.patients' ? mapping : undefined),
    );
    expect(outcomes[0]).toBeUndefined();
    expect(outcomes[2]).toEqual({
      kind: 'failed',
      reason: 'the key has no field id (its fields: none), which sinks[0].tables.public.patients.key names',
    });
    expect(outcomes[3]).toEqual({ kind: 'failed', reason: TRUNCATE_REASON });
    expect((outcomes[4] as { reason?: string }).reason).toMatch(/add tables\.public\.doctors$/u);
    expect(keys.map((plan) => [plan.key, plan.changes.length])).toEqual([['1', 2]]);
    // Reordered: the older one comes after the newer, and is stale.
    const reordered = planBatch([newer, older], () => mapping);
    expect(reordered.outcomes).toEqual([undefined, { kind: 'stale' }]);
  });

  it('fails a change whose relation names a row without a page, and keeps the others of its key', () => {
    const related = patientMapping({
      Name: { field: 'name', type: 'title' },
      Referred: { field: 'notes', type: 'relation', table: 'public.patients' },
    });
    const { keys } = planBatch([event('c', 1, { notes: '7' }), event('u', 1, { notes: '8' })], () => related);
    const failures = new Map<number, string>();
    const plan = resolveRelations(keys[0]!, (_table, key) => (key === '7' ? 'page-7' : undefined), failures);
    expect(plan.changes.map((change) => change.values?.get('Referred'))).toEqual([
      { relation: [{ id: 'page-7' }] },
    ]);
    expect(failures.get(1)).toMatch(
      /^sinks\[0\]\.tables\.public\.patients\.properties\.Referred: no page of public\.patients has key "8" yet/u,
    );
  });
});

describe('replayOnPage', () => {
  it('creates a page with the newest state and our version and a hash per property', () => {
    const c = event('c', 1, { name: 'Ada', visits: 1 });
    const u = event('u', 1, { name: 'Ada L.', email: 'ada@example.org', visits: 2 });
    const result = replay([c, u]);
    expect(result.applied).toEqual([0, 1]);
    expect(result.write).toMatchObject({ pageId: undefined, properties: { Visits: { number: 2 } } });
    const page = afterWrite(undefined, result.write!);
    expect(syncOf(page)?.version).toEqual(u.version);
    expect(Object.keys(syncOf(page)?.hashes ?? {})).toEqual(['Name', 'Email', 'Notes', 'Visits']);
  });

  it('makes what the page holds stale, and updates it with what is newer', () => {
    const c = event('c', 1, { name: 'Ada' });
    const u = event('u', 1, { name: 'Ada L.' });
    const page = written([c]);
    expect(replay([c], page)).toEqual({ stale: [0], applied: [] });
    const result = replay([c, u], page);
    expect(result).toMatchObject({ stale: [0], applied: [1], write: { pageId: page.id } });
    expect(result.write?.inTrash).toBeUndefined();
  });

  it('trashes the page of a delete with the delete version, so an older insert replayed stays stale', () => {
    const c = event('c', 1, { name: 'Ada' });
    const d = event('d', 1);
    const live = written([c]);
    const result = replay([d], live);
    expect(result.write).toMatchObject({ pageId: live.id, inTrash: true });
    expect(Object.keys(result.write!.properties)).toEqual(['CDC sync']);
    const trashed = afterWrite(live, result.write!);
    expect(syncOf(trashed)).toMatchObject({ version: d.version, deleted: true });
    expect(replay([c], trashed)).toEqual({ stale: [0], applied: [] });
  });

  it('takes a trashed page out of the trash for a later insert, in the same request', () => {
    const [c, d, again] = [
      event('c', 1, { name: 'Ada' }),
      event('d', 1),
      event('c', 1, { name: 'Ada again' }),
    ];
    const trashed = written([d], written([c]));
    const result = replay([again], trashed);
    expect(result.write).toMatchObject({
      pageId: trashed.id,
      inTrash: false,
      properties: { Name: { title: [{ text: { content: 'Ada again' } }] } },
    });
    expect(syncOf(afterWrite(trashed, result.write!))?.deleted).toBe(false);
  });

  it('marks a row inserted and deleted within the batch with a new page, trashed after; a lone delete of nothing writes nothing', () => {
    const result = replay([event('c', 1, { name: 'Ada' }), event('d', 1)]);
    expect(result.write).toMatchObject({
      pageId: undefined,
      trashAfter: true,
      properties: { Name: { title: [{ text: { content: 'Ada' } }] } },
    });
    expect(replay([event('d', 2)])).toEqual({ stale: [], applied: [0] });
  });

  it('moves the marker of a trashed page by restoring it with the new version, then trashing it again', () => {
    const [c, d] = [event('c', 1, { name: 'Ada' }), event('d', 1)];
    const trashed = written([d], written([c]));
    const result = replay([event('c', 1, { name: 'back' }), event('d', 1)], trashed);
    expect(result.write).toMatchObject({ pageId: trashed.id, inTrash: false, trashAfter: true });
  });

  it('finishes a trashing that did not land (the batch failed after the marker)', () => {
    const [c, d] = [event('c', 1, { name: 'Ada' }), event('d', 1)];
    const created = replay([c, d]).write!;
    const markedNotTrashed = afterWrite(undefined, { ...created, trashAfter: false });
    expect(replay([d], markedNotTrashed)).toEqual({
      stale: [0],
      applied: [],
      write: { pageId: markedNotTrashed.id, properties: {}, inTrash: true },
    });
    // A person who took it out of the trash keeps it so.
    expect(replay([d], { ...markedNotTrashed, lastEditedBy: PERSON }).write).toBeUndefined();
  });

  it('leaves out a property PostgreSQL did not send, or takes it from an earlier change of the batch', () => {
    const page = written([event('c', 1, { name: 'Ada', notes: 'long note', visits: 1 })]);
    const partial = event('u', 1, { name: 'Ada L.', visits: 2 }, { unchanged: ['notes'] });
    const result = replay([partial], page);
    expect(Object.keys(result.write!.properties).sort()).toEqual(['CDC sync', 'Email', 'Name', 'Visits']);
    // The page keeps its notes, and the sync state hashes what it keeps.
    const after = afterWrite(page, result.write!);
    expect(syncOf(after)?.hashes.Notes).toBe(syncOf(page)?.hashes.Notes);
    const full = event('u', 1, { name: 'A', notes: 'in batch', visits: 3 });
    const later = event('u', 1, { name: 'B', visits: 4 }, { unchanged: ['notes'] });
    expect(replay([full, later], page).write?.properties.Notes).toEqual({
      rich_text: [{ type: 'text', text: { content: 'in batch' } }],
    });
  });

  it('refuses a key two pages hold, naming both', () => {
    const page = written([event('c', 1, { name: 'Ada' })]);
    const [plan] = plans([event('u', 1, { name: 'x' })]);
    const result = replayOnPage(plan!, [page, { ...page, id: 'other' }], settings);
    expect(result.refused).toMatch(
      /^2 pages of data source 1f2e3d4c-.* have ID "1" \(ids .*, other\): .*trash the duplicates/u,
    );
  });
});

describe('sync state', () => {
  it('round-trips through the rich text property, and is none when edited into something else', () => {
    const state = { version: { commitLsn: 0x2000100n, seq: 3n }, hashes: { Email: 'abc' }, deleted: true };
    expect(syncText(state)).toBe('{"v":"0000000002000100/0000000000000003","h":{"Email":"abc"},"d":1}');
    expect(readSyncState({ rich_text: [{ plain_text: syncText(state) }] })).toEqual(state);
    expect(readSyncState({ rich_text: [{ plain_text: 'edited by hand' }] })).toBeUndefined();
    expect(readSyncState({ rich_text: [] })).toBeUndefined();
  });
});
