import { describe, expect, it } from 'vitest';
import type { PgoutputMessage, RelationMessage } from '../pgoutput/messages.ts';
import { TransactionTracker, type TrackerStep } from './transaction-tracker.ts';
import { thrown } from '../testing.ts';

const relation = (columns: RelationMessage['columns'] = []): RelationMessage => ({
  tag: 'relation',
  relationOid: 16384,
  schema: 'public',
  name: 'patients',
  replicaIdentity: 'default',
  columns: [{ name: 'id', typeOid: 20, typeMod: -1, isKey: true }, ...columns],
});

// Commit time 2024-01-02T03:04:05.678901Z in microseconds.
const COMMIT_US = 1_704_164_645_678_901n;
const begin = (xid: number, finalLsn: string): PgoutputMessage => ({
  tag: 'begin',
  finalLsn,
  commitTime: COMMIT_US,
  xid,
});
const commit = (commitLsn: string, endLsn: string): PgoutputMessage => ({
  tag: 'commit',
  flags: 0,
  commitLsn,
  endLsn,
  commitTime: COMMIT_US,
});
const insert = (id: string): PgoutputMessage => ({ tag: 'insert', relationOid: 16384, new: [id] });

describe('TransactionTracker', () => {
  it('numbers the rows of a multi-row insert that share one commit LSN', () => {
    const tracker = new TransactionTracker();
    expect(tracker.feed(begin(731, '0/1A2B3C0'), 0x1a2b000n)).toEqual({
      kind: 'begin',
      txId: 731,
      commitLsn: 0x1a2b3c0n,
    });
    tracker.feed(relation(), 0x1a2b000n);
    // One INSERT ... VALUES (1),(2),(3): three messages, here all at the same WAL position.
    const steps = ['1', '2', '3'].map((id) => tracker.feed(insert(id), 0x1a2b100n));
    const contexts = steps.map((step) => (step.kind === 'change' ? step.context : undefined));
    expect(contexts.map((context) => context && { ...context, seqs: undefined })).toEqual(
      steps.map(() => ({
        txId: 731,
        commitLsn: 0x1a2b3c0n,
        seqs: undefined,
        lsn: 0x1a2b100n,
        commitTimeMs: 1_704_164_645_678n,
      })),
    );
    // One numbering for the whole transaction: each event draws the next seq.
    expect(new Set(contexts.map((context) => context?.seqs)).size).toBe(1);
    expect(contexts.map((context) => context?.seqs.next())).toEqual([0n, 1n, 2n]);
    expect(tracker.inTransaction).toBe(true);
    expect(tracker.feed(commit('0/1A2B3C0', '0/1A2B3F0'), 0x1a2b3c0n)).toEqual({
      kind: 'commit',
      summary: {
        txId: 731,
        commitLsn: 0x1a2b3c0n,
        endLsn: 0x1a2b3f0n,
        commitTimeMs: 1_704_164_645_678n,
        changes: 3,
      },
    });
    expect(tracker.inTransaction).toBe(false);

    // The next transaction starts again at 0: the version is (commitLsn, seq), not seq alone.
    tracker.feed(begin(732, '0/1A2C000'), 0x1a2b400n);
    const step = tracker.feed(insert('4'), 0x1a2b500n);
    expect(step.kind === 'change' && step.context.seqs.next()).toBe(0n);
    expect(step.kind === 'change' && step.context.commitLsn).toBe(0x1a2c000n);
  });

  it('counts a truncate as one data message and resolves all its relations', () => {
    const tracker = new TransactionTracker();
    const other = { ...relation(), relationOid: 16390, name: 'visits' };
    tracker.feed(relation(), 1n);
    tracker.feed(other, 1n);
    tracker.feed(begin(9, '0/200'), 1n);
    const first = tracker.feed(insert('1'), 2n);
    if (first.kind === 'change') first.context.seqs.next();
    const step = tracker.feed(
      { tag: 'truncate', relationOids: [16384, 16390], cascade: false, restartIdentity: false },
      3n,
    );
    expect(step.kind).toBe('truncate');
    if (step.kind !== 'truncate') return;
    expect(step.relations.map((r) => r.name)).toEqual(['patients', 'visits']);
    // An event per table, each with its own seq (the builder draws them: see below).
    expect([step.context.seqs.next(), step.context.seqs.next()]).toEqual([1n, 2n]);
    const done = tracker.feed(commit('0/200', '0/228'), 4n);
    expect(done.kind === 'commit' && done.summary.changes).toBe(2);
  });

  it('replaces a relation and says whether it changed', () => {
    const tracker = new TransactionTracker();
    const first = relation();
    expect(tracker.feed(first, 1n)).toEqual({
      kind: 'relation',
      relation: first,
      previous: undefined,
      changed: false,
    });
    // Resent unchanged (a new session, a cache invalidation): not a schema change.
    const again = relation();
    expect(tracker.feed(again, 2n)).toMatchObject({ previous: first, changed: false });
    const widened = relation([{ name: 'notes', typeOid: 25, typeMod: -1, isKey: false }]);
    const step: TrackerStep = tracker.feed(widened, 3n);
    expect(step).toEqual({ kind: 'relation', relation: widened, previous: again, changed: true });
    expect(tracker.relation(16384)).toBe(widened);
    const full = { ...widened, replicaIdentity: 'full' as const };
    expect(tracker.feed(full, 4n)).toMatchObject({ changed: true });

    tracker.feed(begin(1, '0/10'), 5n);
    const change = tracker.feed(insert('1'), 6n);
    expect(change.kind === 'change' && change.relation).toBe(full);
  });

  it('passes other messages through', () => {
    const tracker = new TransactionTracker();
    const type: PgoutputMessage = { tag: 'type', typeOid: 70000, schema: 'public', name: 'mood' };
    expect(tracker.feed(type, 1n)).toEqual({ kind: 'other', message: type });
    const heartbeat: PgoutputMessage = {
      tag: 'message',
      transactional: false,
      lsn: '0/5',
      prefix: 'cdc.heartbeat',
      content: Buffer.from(''),
    };
    expect(tracker.feed(heartbeat, 5n)).toEqual({ kind: 'other', message: heartbeat });
  });

  it('refuses impossible orders', () => {
    const tracker = new TransactionTracker();
    tracker.feed(relation(), 1n);
    expect(thrown(() => tracker.feed(insert('1'), 0x10n)).message).toMatch(/insert .* outside a transaction/);
    expect(thrown(() => tracker.feed(commit('0/10', '0/20'), 0x10n)).code).toBe('PGOUTPUT_ORDER');
    expect(
      thrown(() =>
        tracker.feed(
          { tag: 'message', transactional: true, lsn: '0/1', prefix: 'x', content: Buffer.from('') },
          1n,
        ),
      ).message,
    ).toMatch(/outside a transaction/);

    tracker.feed(begin(5, '0/100'), 0x10n);
    const nested = thrown(() => tracker.feed(begin(6, '0/200'), 0x20n));
    expect(nested.code).toBe('PGOUTPUT_ORDER');
    expect(nested.message).toMatch(/Begin of xid 6 inside transaction 5/);
    expect(
      thrown(() => tracker.feed({ tag: 'delete', relationOid: 999, key: ['1'] }, 0x30n)).message,
    ).toMatch(/relation 999 before its Relation message/);
    expect(thrown(() => tracker.feed(commit('0/180', '0/1A0'), 0x40n)).message).toMatch(
      /Commit at 0\/180 closes a transaction announced at 0\/100/,
    );
  });
});
