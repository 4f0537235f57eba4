import { describe, expect, it } from 'vitest';
import type { ConflictPolicy, Sink, SinkEvent, SinkRow, WriteOutcome } from '@cdc/core';
import { sinkKind, type SinkKindName } from '../src/index.ts';

/**
 * The promises every sink keeps (issue: sink conformance suite), written once and run against
 * each sink on its real server. A sink passes when replays, duplicates and reordering never
 * change what the target ends up holding.
 */

export interface SinkOptionsUnderTest {
  readonly policy?: ConflictPolicy;
  /** How long a delete's version marker is kept; default: long enough for the test. */
  readonly deleteRetentionMs?: number;
  /** newest_wins: the target field holding the target's last change time (ms or a timestamp). */
  readonly timestampField?: string;
}

export interface SinkUnderTest {
  /** A fresh sink writing to a target of its own (a key prefix, a collection), started. */
  readonly make: (options?: SinkOptionsUnderTest) => Promise<SinkHandle>;
}

export interface SinkHandle {
  readonly sink: Sink;
  /** The row as the target holds it, without the sink's bookkeeping; null when absent or deleted. */
  readonly read: (id: bigint) => Promise<SinkRow | null>;
  /** A person edits the target directly (sets these fields). */
  readonly editDirectly: (id: bigint, changes: SinkRow) => Promise<void>;
  /** Whether any trace of the row (data or delete marker) is left. */
  readonly exists: (id: bigint) => Promise<boolean>;
  readonly close: () => Promise<void>;
}

let lsn = 0x2000000n;

/** Events of a `patients(id bigint primary key, name text, email text, notes text, visits int)` table. */
export function event(
  op: 'c' | 'u' | 'd',
  id: number,
  row: Partial<Record<'name' | 'email' | 'notes' | 'visits', unknown>> = {},
  options: { unchanged?: string[]; version?: { commitLsn: bigint; seq: bigint }; commitTimeMs?: number } = {},
): SinkEvent {
  lsn += 0x100n;
  const full = { id: BigInt(id), name: null, email: null, notes: null, visits: null, ...row };
  return {
    topic: 'cdc.public.patients',
    partition: 0,
    offset: String(lsn),
    op,
    key: { id: BigInt(id) },
    before: op === 'd' ? { ...full } : null,
    after: op === 'd' ? null : full,
    unchanged: options.unchanged ?? [],
    version: options.version ?? { commitLsn: lsn, seq: 0n },
    commitTimeMs: options.commitTimeMs ?? Date.now(),
    table: { schema: 'public', name: 'patients' },
    headers: {},
  };
}

const kinds = (outcomes: readonly WriteOutcome[]) => outcomes.map((o) => o.kind);

/**
 * Registers the suite for a kind of the registry (services/sinks/src/kinds.ts); `variant` tells
 * several configurations of one kind apart. Promises the kind's target cannot keep (conflict
 * detection, delete markers: its `supports`) are not asked of it. conformance-coverage.test.ts
 * fails when a registered kind has no call of this.
 */
export function sinkConformance(
  kindName: SinkKindName,
  variant: string | undefined,
  target: SinkUnderTest,
): void {
  const { supports } = sinkKind(kindName);
  const name = variant ? `${kindName} ${variant}` : kindName;
  // A sink that guards versions at the target says `stale` for what the target holds already; one
  // whose receiver guards them (a webhook) delivers it again, and the receiver's state must not move.
  const STALE = supports.versionGuard === 'target' ? 'stale' : 'written';
  describe(`${name}: sink conformance`, () => {
    it('applies inserts, updates and deletes', async () => {
      const { sink, read, close } = await target.make();
      try {
        const outcomes = await sink.write([
          event('c', 1, { name: 'Ada', visits: 1 }),
          event('c', 2, { name: 'Bob' }),
          event('u', 1, { name: 'Ada', visits: 2 }),
          event('d', 2),
        ]);
        expect(kinds(outcomes)).toEqual(['written', 'written', 'written', 'written']);
        expect(await read(1n)).toMatchObject({ id: 1n, name: 'Ada', visits: 2 });
        expect(await read(2n)).toBeNull();
      } finally {
        await close();
      }
    });

    it('changes nothing on duplicate delivery', async () => {
      const { sink, read, close } = await target.make();
      try {
        const insert = event('c', 1, { name: 'Ada', email: 'ada@example.org' });
        expect(kinds(await sink.write([insert]))).toEqual(['written']);
        const first = await read(1n);
        expect(kinds(await sink.write([insert, insert]))).toEqual([STALE, STALE]);
        expect(await read(1n)).toEqual(first);
      } finally {
        await close();
      }
    });

    it('leaves the same state after replaying the whole topic twice, in other batch sizes', async () => {
      const { sink, read, close } = await target.make();
      try {
        const topic = [
          event('c', 1, { name: 'a1' }),
          event('c', 2, { name: 'b1' }),
          event('u', 1, { name: 'a2', visits: 3 }),
          event('c', 3, { name: 'c1' }),
          event('d', 2),
          event('u', 3, { name: 'c2' }),
          event('c', 2, { name: 'b2' }), // re-inserted after its delete
          event('u', 1, { name: 'a3', notes: 'x' }),
        ];
        await sink.write(topic);
        const state = await Promise.all([1n, 2n, 3n].map(read));
        expect(state.map((row) => row?.name)).toEqual(['a3', 'b2', 'c2']);
        for (const size of [1, 3]) {
          for (let i = 0; i < topic.length; i += size) {
            const outcomes = await sink.write(topic.slice(i, i + size));
            expect(kinds(outcomes).every((kind) => kind === STALE)).toBe(true);
          }
          expect(await Promise.all([1n, 2n, 3n].map(read))).toEqual(state);
        }
      } finally {
        await close();
      }
    });

    it('never regresses to an older version', async () => {
      const { sink, read, close } = await target.make();
      try {
        const older = event('u', 1, { name: 'older' });
        const newer = event('u', 1, { name: 'newer' });
        expect(kinds(await sink.write([newer]))).toEqual(['written']);
        expect(kinds(await sink.write([older]))).toEqual([STALE]);
        expect((await read(1n))?.name).toBe('newer');
        // Within one batch too: the last version wins whatever the order.
        const v1 = event('u', 5, { name: 'v1' });
        const v2 = event('u', 5, { name: 'v2' });
        expect(kinds(await sink.write([v2, v1]))).toEqual(['written', STALE]);
        expect((await read(5n))?.name).toBe('v2');
      } finally {
        await close();
      }
    });

    it('keeps a deleted row deleted when an older insert is replayed', async () => {
      const { sink, read, exists, close } = await target.make();
      try {
        const insert = event('c', 1, { name: 'Ada' });
        const remove = event('d', 1);
        await sink.write([insert, remove]);
        expect(await read(1n)).toBeNull();
        expect(kinds(await sink.write([insert]))).toEqual([STALE]);
        expect(await read(1n)).toBeNull();
        expect(await exists(1n)).toBe(true); // the delete's version marker
      } finally {
        await close();
      }
    });

    // `cdc trace` asks the target which version it holds for a row (Sink.versionOf).
    if (supports.versionGuard === 'target')
      it("tells the version it holds for a row: a write's, a delete's, none for a row never written", async () => {
        const { sink, close } = await target.make();
        try {
          const insert = event('c', 1, { name: 'Ada' });
          const update = event('u', 1, { name: 'Ada L.' });
          const bob = event('c', 2, { name: 'Bob' });
          const remove = event('d', 2);
          await sink.write([insert, update, bob, remove]);
          expect(typeof sink.versionOf).toBe('function');
          expect(await sink.versionOf?.(insert)).toEqual(update.version);
          expect(await sink.versionOf?.(remove)).toEqual(remove.version);
          expect(await sink.versionOf?.(event('c', 99))).toBeNull();
        } finally {
          await close();
        }
      });
    else
      it('cannot tell the version its receiver holds for a row', async () => {
        const { sink, close } = await target.make();
        try {
          await sink.write([event('c', 1, { name: 'Ada' })]);
          expect(await sink.versionOf?.(event('c', 1))).toBeUndefined();
        } finally {
          await close();
        }
      });

    if (supports.deleteMarkers)
      it('lets delete markers expire after the retention', async () => {
        const { sink, read, exists, close } = await target.make({ deleteRetentionMs: 1000 });
        try {
          await sink.write([event('c', 1, { name: 'Ada' }), event('d', 1)]);
          expect(await exists(1n)).toBe(true);
          await expect.poll(() => exists(1n), { timeout: 15_000, interval: 500 }).toBe(false);
          expect(await read(1n)).toBeNull();
        } finally {
          await close();
        }
      });

    it('leaves unchanged TOAST fields as they are (partial update)', async () => {
      const { sink, read, close } = await target.make();
      try {
        await sink.write([event('c', 1, { name: 'Ada', notes: 'a very long note', visits: 1 })]);
        await sink.write([
          event('u', 1, { name: 'Ada L.', notes: null, visits: 2 }, { unchanged: ['notes'] }),
        ]);
        expect(await read(1n)).toMatchObject({ name: 'Ada L.', notes: 'a very long note', visits: 2 });
      } finally {
        await close();
      }
    });

    it('fails only the record it cannot write, and writes the rest', async () => {
      const { sink, read, close } = await target.make();
      try {
        const poison = { ...event('c', 9, { name: 'x' }), key: {} }; // no key value: no target id
        const outcomes = await sink.write([
          event('c', 1, { name: 'a' }),
          poison,
          event('c', 2, { name: 'b' }),
        ]);
        expect(kinds(outcomes)).toEqual(['written', 'failed', 'written']);
        expect((await read(2n))?.name).toBe('b');
      } finally {
        await close();
      }
    });

    if (supports.conflicts)
      describe('conflicts: the target was changed directly since our last write', () => {
        const conflicted = async (policy: ConflictPolicy, timestampField?: string) => {
          const handle = await target.make({ policy, ...(timestampField ? { timestampField } : {}) });
          await handle.sink.write([event('c', 1, { name: 'Ada', email: 'ada@example.org', visits: 1 })]);
          await handle.editDirectly(1n, { email: 'ada@clinic.example' });
          return handle;
        };

        it('source_wins: writes ours and records the conflict with both sides', async () => {
          const { sink, read, close } = await conflicted('source_wins');
          try {
            const [outcome] = await sink.write([
              event('u', 1, { name: 'Ada', email: 'ada@example.org', visits: 2 }),
            ]);
            expect(outcome).toMatchObject({
              kind: 'written',
              conflict: {
                policy: 'source_wins',
                resolution: 'source',
                changedFields: ['email'],
                target: { email: 'ada@clinic.example' },
                source: { email: 'ada@example.org', visits: 2 },
              },
            });
            expect(await read(1n)).toMatchObject({ email: 'ada@example.org', visits: 2 });
          } finally {
            await close();
          }
        });

        it('target_wins: keeps theirs and records the conflict', async () => {
          const { sink, read, close } = await conflicted('target_wins');
          try {
            const [outcome] = await sink.write([
              event('u', 1, { name: 'Ada', email: 'ada@example.org', visits: 2 }),
            ]);
            expect(outcome).toMatchObject({
              kind: 'skipped',
              conflict: { policy: 'target_wins', resolution: 'target' },
            });
            expect(await read(1n)).toMatchObject({ email: 'ada@clinic.example', visits: 1 });
          } finally {
            await close();
          }
        });

        it('merge: overwrites only the fields that changed at the source since the last sync', async () => {
          const { sink, read, close } = await conflicted('merge');
          try {
            const [outcome] = await sink.write([
              event('u', 1, { name: 'Ada', email: 'ada@example.org', visits: 2 }),
            ]);
            expect(outcome).toMatchObject({
              kind: 'written',
              conflict: { policy: 'merge', resolution: 'merged' },
            });
            expect(await read(1n)).toMatchObject({ name: 'Ada', email: 'ada@clinic.example', visits: 2 });
          } finally {
            await close();
          }
        });

        it('manual: leaves the target and holds the change for review', async () => {
          const { sink, read, close } = await conflicted('manual');
          try {
            const [outcome] = await sink.write([
              event('u', 1, { name: 'Ada', email: 'ada@example.org', visits: 2 }),
            ]);
            expect(outcome).toMatchObject({
              kind: 'skipped',
              conflict: { policy: 'manual', resolution: 'held', source: { visits: 2 } },
            });
            expect(await read(1n)).toMatchObject({ email: 'ada@clinic.example', visits: 1 });
          } finally {
            await close();
          }
        });

        it('newest_wins: the later of the source commit and the target change wins', async () => {
          const { sink, read, editDirectly, close } = await conflicted('newest_wins', 'edited_at');
          try {
            const editedAt = Date.now();
            await editDirectly(1n, { email: 'ada@clinic.example', edited_at: editedAt });
            const older = event(
              'u',
              1,
              { name: 'Ada', email: 'old@example.org' },
              { commitTimeMs: editedAt - 60_000 },
            );
            expect(await sink.write([older])).toMatchObject([
              { kind: 'skipped', conflict: { policy: 'newest_wins', resolution: 'target' } },
            ]);
            expect((await read(1n))?.email).toBe('ada@clinic.example');
            const newer = event(
              'u',
              1,
              { name: 'Ada', email: 'new@example.org' },
              { commitTimeMs: editedAt + 60_000 },
            );
            expect(await sink.write([newer])).toMatchObject([
              { kind: 'written', conflict: { policy: 'newest_wins', resolution: 'source' } },
            ]);
            expect((await read(1n))?.email).toBe('new@example.org');
          } finally {
            await close();
          }
        });

        it('sees no conflict when nobody touched the target', async () => {
          const { sink, close } = await target.make({ policy: 'manual' });
          try {
            await sink.write([event('c', 1, { name: 'Ada' })]);
            const [outcome] = await sink.write([event('u', 1, { name: 'Ada L.' })]);
            expect(outcome).toEqual({ kind: 'written' });
          } finally {
            await close();
          }
        });
      });
  });
}
