import { describe, expect, it } from 'vitest';
import type { SinkEvent } from '@cdc/core';
import { event } from '../test/conformance.ts';
import { planKeyChanges, tableOf, unmappedReason, type KeyChange } from './key-changes.ts';

// The grouping every batch-plan.ts of a sink is a thin user of: a plan per key, failures named by
// the sink, older changes stale.

interface Plan {
  readonly key: string;
  readonly changes: (KeyChange & { readonly tag: string })[];
}

const version = (commitLsn: bigint, seq = 0n) => ({ commitLsn, seq });

/** Places a patient by id; a row named `bad` fails, naming itself. */
function plan(events: readonly SinkEvent[], created: string[] = []) {
  return planKeyChanges<{ readonly tag: string }, Plan>(events, 'no truncate here', (e, index) => {
    if (e.after?.name === 'bad') return `row ${index} is bad`;
    const key = String(e.key.id);
    return {
      id: key,
      newPlan: () => {
        created.push(key);
        return { key, changes: [] };
      },
      change: { tag: `${e.op}${index}` },
    };
  });
}

describe('planKeyChanges', () => {
  it('groups changes by key in order of first change, each with its index, version, time, row and mapped part', () => {
    const a1 = event('c', 1, { name: 'a' }, { version: version(10n), commitTimeMs: 1000 });
    const b1 = event('c', 2, { name: 'b' }, { version: version(11n) });
    const a2 = event('d', 1, {}, { version: version(12n), commitTimeMs: 2000 });
    const created: string[] = [];
    const { outcomes, keys } = plan([a1, b1, a2], created);
    expect(outcomes).toEqual([undefined, undefined, undefined]);
    expect(created).toEqual(['1', '2']);
    expect(keys.map((k) => k.key)).toEqual(['1', '2']);
    expect(keys[0]!.changes).toEqual([
      { index: 0, version: version(10n), commitTimeMs: 1000, row: a1.after, tag: 'c0' },
      { index: 2, version: version(12n), commitTimeMs: 2000, row: null, tag: 'd2' },
    ]);
    expect(keys[1]!.changes.map((c) => c.index)).toEqual([1]);
  });

  it('marks a change not newer than the last kept one of its key stale, and keeps other keys apart', () => {
    const { outcomes, keys } = plan([
      event('u', 1, { name: 'new' }, { version: version(20n, 1n) }),
      event('u', 1, { name: 'same' }, { version: version(20n, 1n) }),
      event('u', 1, { name: 'old' }, { version: version(20n, 0n) }),
      event('u', 2, { name: 'other' }, { version: version(5n) }),
      event('u', 1, { name: 'newer' }, { version: version(21n) }),
    ]);
    expect(outcomes).toEqual([undefined, { kind: 'stale' }, { kind: 'stale' }, undefined, undefined]);
    expect(keys[0]!.changes.map((c) => c.row?.name)).toEqual(['new', 'newer']);
    expect(keys[1]!.changes.map((c) => c.row?.name)).toEqual(['other']);
  });

  it('fails a truncate with the reason given, without asking place, and what place refuses with its reason', () => {
    const truncate: SinkEvent = { ...event('c', 9), op: 't', key: {}, after: null };
    const { outcomes, keys } = plan([truncate, event('c', 1, { name: 'bad' }), event('c', 1)]);
    expect(outcomes).toEqual([
      { kind: 'failed', reason: 'no truncate here' },
      { kind: 'failed', reason: 'row 1 is bad' },
      undefined,
    ]);
    // A refused change does not count as the key's last: the one after it is kept.
    expect(keys).toHaveLength(1);
    expect(keys[0]!.changes.map((c) => c.index)).toEqual([2]);
  });

  it('names the table and the setting of an event the sink has no mapping for', () => {
    const other = { ...event('c', 1), table: { schema: 'crm', name: 'leads' }, topic: 'cdc.crm.leads' };
    expect(tableOf(other)).toBe('crm.leads');
    expect(unmappedReason(other, 'data source', 'tables')).toBe(
      'table crm.leads (topic cdc.crm.leads) has no data source in this sink: add tables.crm.leads',
    );
  });
});
