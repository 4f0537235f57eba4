import { describe, expect, it } from 'vitest';
import { versionText, type SinkEvent } from '@cdc/core';
import { event } from '../../test/conformance.ts';
import { planBatch, TRUNCATE_REASON } from './batch-plan.ts';
import { DELETED_KEY, HASHES_KEY, SINK_KEY, VERSION_KEY, storedVersion } from './bookkeeping.ts';
import type { CalendarEvent } from './event-body.ts';
import { compileEventMapping } from './event-mapping.ts';
import { decide } from './replay.ts';
import { PATIENT_TEMPLATE } from './test-templates.ts';

// How a batch's changes to one event come to one write, given what the calendar holds: pure, no
// server. calendar-conformance.int.test.ts shows the same against the emulator.

const mapping = compileEventMapping('public.patients', PATIENT_TEMPLATE, 'UTC');
const settings = { sink: 'test' };
const plan = (events: SinkEvent[]) => planBatch(events, () => mapping, 'test');
const only = (events: SinkEvent[]) => plan(events).keys[0]!;

let etags = 0;
/** The event as Calendar answers a write of it: with an etag and its own fields. */
function stored(written: CalendarEvent | undefined): CalendarEvent {
  if (!written) throw new Error('nothing was written');
  etags += 1;
  return { ...written, etag: `"${etags}"`, updated: new Date().toISOString(), kind: 'calendar#event' };
}

describe('planBatch', () => {
  it('maps each row once, fails what cannot map, and makes older changes of a key stale', () => {
    const newer = event('u', 1, { name: 'new' });
    const older = { ...event('u', 1, { name: 'old' }), version: { commitLsn: 1n, seq: 0n } };
    const { outcomes, keys } = plan([
      newer,
      older,
      { ...event('c', 2), key: {} },
      { ...event('c', 3), op: 't', key: {} },
      { ...event('c', 4, { name: 'x' }), table: { schema: 'public', name: 'other' } },
    ]);
    expect(outcomes[1]).toEqual({ kind: 'stale' });
    expect((outcomes[2] as { reason: string }).reason).toMatch(
      /empty key, and the event id is made from the key/u,
    );
    expect(outcomes[3]).toEqual({ kind: 'failed', reason: TRUNCATE_REASON });
    expect(outcomes[4]).toBeUndefined();
    expect(keys).toHaveLength(2);
  });

  it('fails a table without a template, naming the setting to add', () => {
    const { outcomes } = planBatch([event('c', 1)], () => undefined, 'test');
    expect(outcomes[0]).toEqual({
      kind: 'failed',
      reason:
        'table public.patients (topic cdc.public.patients) has no event template in this sink: add tables.public.patients',
    });
  });
});

describe('decide', () => {
  it('inserts a new event with the last state of the batch, our version and a hash per field', () => {
    const c = event('c', 1, { name: 'Ada', visits: 1 });
    const u = event('u', 1, { name: 'Ada L.', visits: 2 });
    const key = only([c, u]);
    const result = decide(key, undefined, settings);
    expect(result).toMatchObject({ stale: [], applied: [0, 1], write: { mode: 'insert' } });
    const written = result.write!.event;
    expect(written).toMatchObject({
      id: key.eventId,
      status: 'confirmed',
      summary: 'Ada L.',
      extendedProperties: {
        shared: { visits: '2' },
        private: { [SINK_KEY]: 'test', [VERSION_KEY]: versionText(u.version) },
      },
    });
    expect(written).not.toHaveProperty('location'); // email is null: no location
    const hashes = JSON.parse(written.extendedProperties!.private![HASHES_KEY]!) as Record<string, string>;
    expect(Object.keys(hashes).sort()).toEqual(['email', 'name', 'notes', 'visits']);
  });

  it('is stale for what the calendar holds, and updates the rest with If-Match on its etag', () => {
    const c = event('c', 1, { name: 'Ada' });
    const held = stored(decide(only([c]), undefined, settings).write?.event);
    expect(decide(only([c]), held, settings)).toEqual({ stale: [0], applied: [] });
    const u = event('u', 1, { name: 'Ada L.' });
    const result = decide(only([c, u]), held, settings);
    expect(result).toMatchObject({ stale: [0], applied: [1], write: { mode: 'update', etag: held.etag } });
    expect(result.write?.event).not.toHaveProperty('etag');
  });

  it('cancels a deleted row with the delete’s version, and brings it back confirmed on a later insert', () => {
    const c = event('c', 1, { name: 'Ada' });
    const d = event('d', 1);
    const held = stored(decide(only([c]), undefined, settings).write?.event);
    const cancelled = stored(decide(only([d]), held, settings).write?.event);
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      summary: 'Ada',
      extendedProperties: { private: { [DELETED_KEY]: 'true' } },
    });
    expect(storedVersion(cancelled.extendedProperties?.private)).toEqual(d.version);
    // A replayed insert older than the delete stays stale: the event stays cancelled.
    expect(decide(only([c]), cancelled, settings)).toEqual({ stale: [0], applied: [] });
    const again = event('c', 1, { name: 'Ada again' });
    const revived = decide(only([again]), cancelled, settings).write;
    expect(revived).toMatchObject({
      mode: 'update',
      event: { id: held.id, status: 'confirmed', summary: 'Ada again' },
    });
    expect(revived?.event.extendedProperties?.private).not.toHaveProperty(DELETED_KEY);
  });

  it('inserts a row the batch inserts and deletes first, then cancels it', () => {
    const c = event('c', 1, { name: 'Ada' });
    const d = event('d', 1);
    const key = only([c, d]);
    const first = decide(key, undefined, settings);
    expect(first).toMatchObject({
      applied: [0],
      more: true,
      write: { mode: 'insert', event: { status: 'confirmed' } },
    });
    const then = decide(key, stored(first.write?.event), settings);
    expect(then).toMatchObject({
      stale: [0],
      applied: [1],
      write: { mode: 'update', event: { status: 'cancelled' } },
    });
    // A delete of an event the calendar never had leaves nothing to cancel.
    expect(decide(only([event('d', 2)]), undefined, settings)).toEqual({ stale: [], applied: [0] });
  });

  it('takes unchanged TOAST fields, and what a person added, from the event as held', () => {
    const held = {
      ...stored(
        decide(only([event('c', 1, { name: 'Ada', notes: 'a long note' })]), undefined, settings).write
          ?.event,
      ),
      attendees: [{ email: 'ada@example.org' }],
      sequence: 3,
    };
    const partial = event('u', 1, { name: 'Ada L.', notes: null, visits: 2 }, { unchanged: ['notes'] });
    const written = decide(only([partial]), held, settings).write?.event;
    expect(written).toMatchObject({
      summary: 'Ada L.',
      description: 'a long note',
      attendees: [{ email: 'ada@example.org' }],
    });
    expect(written).not.toHaveProperty('sequence');
    expect(written).not.toHaveProperty('kind');
  });

  it('refuses an event whose extended properties break Calendar’s limits, saying which', () => {
    const result = decide(
      only([event('c', 1, { name: 'Ada', visits: 'x'.repeat(1025) })]),
      undefined,
      settings,
    );
    expect(result.write).toBeUndefined();
    expect(result.refused).toBe(
      'the shared extended property visits is 1025 characters long; Calendar keeps at most 1024',
    );
  });
});
