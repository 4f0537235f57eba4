import { describe, expect, it } from 'vitest';
import type { ConflictPolicy, SinkEvent } from '@cdc/core';
import { event } from '../../test/conformance.ts';
import { planBatch } from './batch-plan.ts';
import type { CalendarEvent } from './event-body.ts';
import { compileEventMapping } from './event-mapping.ts';
import { decide } from './replay.ts';
import { PATIENT_TEMPLATE } from './test-templates.ts';

// Conflict detection without a server: what the sink wrote (its field hashes) against what the
// calendar holds now. calendar-conformance.int.test.ts runs the shared policies against the emulator.
// event() numbers versions in the order of its calls: the event held is made before the update.

const mapping = compileEventMapping('public.patients', PATIENT_TEMPLATE, 'UTC');
const only = (events: SinkEvent[]) => planBatch(events, () => mapping, 'test').keys[0]!;
const settings = (policy: ConflictPolicy, timestampField?: string) => ({
  sink: 'test',
  conflicts: { policy, timestampField },
});

/** The event as the sink wrote it for Ada, then edited in Calendar: another location (email). */
function editedInCalendar(
  edit: (event: CalendarEvent) => CalendarEvent = (e) => ({ ...e, location: 'ada@clinic.example' }),
) {
  const written = decide(
    only([event('c', 1, { name: 'Ada', email: 'ada@example.org', visits: 1 })]),
    undefined,
    settings('manual'),
  ).write!.event;
  return edit({ ...written, etag: '"7"', updated: '2025-06-01T12:00:00.000Z' });
}

const update = (commitTimeMs = Date.now()) =>
  only([event('u', 1, { name: 'Ada', email: 'ada@example.org', visits: 2 }, { commitTimeMs })]);

describe('conflicts', () => {
  it('sees none when nobody touched the event', () => {
    const untouched = editedInCalendar((e) => e);
    const result = decide(update(), untouched, settings('manual'));
    expect(result.conflict).toBeUndefined();
    expect(result.write?.mode).toBe('update');
  });

  it('source_wins: writes ours and records the conflict with both sides', () => {
    const edited = editedInCalendar();
    const result = decide(update(), edited, settings('source_wins'));
    expect(result.conflict).toMatchObject({
      policy: 'source_wins',
      resolution: 'source',
      changedFields: ['email'],
      target: { name: 'Ada', email: 'ada@clinic.example', visits: '1' },
      source: { email: 'ada@example.org', visits: 2 },
    });
    expect(result.write?.event).toMatchObject({
      location: 'ada@example.org',
      extendedProperties: { shared: { visits: '2' } },
    });
  });

  it('target_wins and manual: keep theirs, skip ours', () => {
    for (const policy of ['target_wins', 'manual'] as const) {
      const edited = editedInCalendar();
      const result = decide(update(), edited, settings(policy));
      expect(result).toMatchObject({ skipped: true, applied: [0], conflict: { policy } });
      expect(result.write).toBeUndefined();
    }
  });

  it('merge: keeps their value of what changed there only, writes what changed at the source', () => {
    const edited = editedInCalendar();
    const result = decide(update(), edited, settings('merge'));
    expect(result.conflict).toMatchObject({ resolution: 'merged', changedFields: ['email'] });
    expect(result.write?.event).toMatchObject({
      location: 'ada@clinic.example',
      extendedProperties: { shared: { visits: '2' } },
    });
    // Changed on both sides: the source's value.
    const both = decide(
      only([event('u', 1, { name: 'Ada', email: 'ada@new.example', visits: 2 })]),
      edited,
      settings('merge'),
    );
    expect(both.write?.event.location).toBe('ada@new.example');
  });

  it('newest_wins: Calendar’s `updated` against the commit time, or a field the template places', () => {
    const edited = editedInCalendar();
    const editedAt = Date.parse(edited.updated!);
    expect(decide(update(editedAt - 1000), edited, settings('newest_wins', 'updated'))).toMatchObject({
      skipped: true,
      conflict: { resolution: 'target' },
    });
    expect(
      decide(update(editedAt + 1000), edited, settings('newest_wins', 'updated')).conflict?.resolution,
    ).toBe('source');
    // A shared property holding ms since the epoch as text.
    const stamped = editedInCalendar((e) => ({
      ...e,
      location: 'ada@clinic.example',
      extendedProperties: { ...e.extendedProperties, shared: { visits: String(editedAt + 5000) } },
    }));
    expect(
      decide(update(editedAt + 1000), stamped, settings('newest_wins', 'visits')).conflict?.resolution,
    ).toBe('target');
  });

  it('an event cancelled in Calendar is a conflict for a live row, none for a deleted one', () => {
    const cancelled = editedInCalendar((e) => ({ ...e, status: 'cancelled' }));
    const result = decide(update(), cancelled, settings('source_wins'));
    expect(result.conflict).toMatchObject({
      target: null,
      changedFields: ['email', 'name', 'notes', 'visits'],
    });
    expect(result.write?.event.status).toBe('confirmed');
    expect(decide(update(), cancelled, settings('merge')).conflict?.resolution).toBe('source');
    const removed = decide(only([event('d', 1)]), cancelled, settings('manual'));
    expect(removed.conflict).toBeUndefined();
    expect(removed.write?.event.status).toBe('cancelled');
  });

  it('has nothing to tell for an event without our hashes', () => {
    const foreign: CalendarEvent = { id: 'x', summary: 'someone else', etag: '"1"', status: 'confirmed' };
    expect(decide(update(), foreign, settings('manual')).conflict).toBeUndefined();
  });
});
